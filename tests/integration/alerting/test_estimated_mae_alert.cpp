#include "core/domain/FeatureSchema.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/NannyStore.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// The estimated_mae alert rule of a regression deployment through the KPI alert guard job on real
// PostgreSQL: ML predictions without outcomes, their nanny estimates added through NannyStore (the
// guard's path into the aggregates). The rule fires on the estimate while the MAE rule has nothing to
// judge, resolves when better estimates bring the window's mean under the threshold, and has no value
// where nothing was scored.
class TestEstimatedMaeAlert final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    qint64 m_now = 0;
    int m_serial = 0;
    const AlertActor m_actor{QStringLiteral("tester"), QStringLiteral("testhost")};

    std::unique_ptr<GuardJob> job()
    {
        KpiAlertGuardOptions o;
        o.nowSecs = [this] { return m_now; };
        return makeKpiAlertGuardJob(o);
    }

    GuardContext context(const QString &dep) const
    {
        GuardContext c;
        c.pg = m_db->endpoint();
        c.deployment = dep;
        c.actor = QStringLiteral("guard@test");
        return c;
    }

    // A regression deployment watched only by an estimated_mae rule (> 2 min over 5 min, no pending
    // period) and the MAE rule.
    QString newDeployment()
    {
        const QString dep = uniqueName(QStringLiteral("estalert"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        if (!DeploymentStore(*m_conn).ensure(dep, {}, schema))
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot create the deployment ") + dep);
        AlertRuleStore store(*m_conn);
        for (AlertRule r : AlertRule::defaults()) {
            r.enabled = r.metric == AlertRule::Metric::Mae;
            r.pendingSeconds = 0;
            if (auto s = store.saveRule(dep, r, m_actor); !s)
                MLDECK_FAIL_IN_HELPER(s.errorMessage());
        }
        AlertRule estimated = AlertRule::defaultFor(AlertRule::Metric::EstimatedMae);
        estimated.id = QStringLiteral("estimated_mae");
        estimated.threshold = 2.0;
        estimated.pendingSeconds = 0;
        if (auto s = store.saveRule(dep, estimated, m_actor); !s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
        return dep;
    }

    // A champion and its nanny; the scoring watermark starts at the epoch. Returns the nanny's id.
    qint64 newNanny(const QString &dep)
    {
        const QString modelId =
            queryValue(*m_conn,
                       QStringLiteral("INSERT INTO mldeck.models (deployment, name, version, sha256, "
                                      "file_path, task) VALUES ($1, 'm', 'v1', repeat('a', 64), "
                                      "'/nonexistent/m.pt', 'regression') RETURNING id"),
                       {dep});
        const QString nannyId = queryValue(
            *m_conn,
            QStringLiteral(
                "INSERT INTO mldeck.nanny_models (deployment, model_id, model_version, weights, sha256, meta, "
                "reference, rows, validation_mae) VALUES ($1, $2::bigint, 'v1', '\\x00'::bytea, "
                "repeat('b', 64), '{}'::jsonb, 'test rows', 100, 0.5) RETURNING id"),
            {dep, modelId});
        if (nannyId.isNull() ||
            !query(*m_conn, QStringLiteral("SELECT mldeck.nanny_start($1, $2::bigint, to_timestamp(0))"),
                   {dep, nannyId}))
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot store a nanny"));
        return nannyId.toLongLong();
    }

    // n ML predictions at [atSecs, atSecs + 1 s), no outcome; returns their times.
    std::vector<qint64> log(const QString &dep, qint64 atSecs, int n)
    {
        std::vector<PredictionRow> rows;
        std::vector<qint64> ts;
        for (int i = 0; i < n; ++i) {
            PredictionRow p;
            p.tsMicros = atSecs * 1'000'000 + i * 1000;
            p.deployment = dep;
            p.requestKey = QStringLiteral("e%1").arg(++m_serial);
            p.path = PredictionPath::Ml;
            p.modelVersion = QStringLiteral("v1");
            p.latencyMs = 10;
            p.predicted = 12.0;
            rows.push_back(p);
            ts.push_back(p.tsMicros);
        }
        if (auto s = PredictionLog(*m_conn).appendPredictions(rows); !s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
        return ts;
    }

    AlertRuleStatus state(const QString &dep, const QString &rule)
    {
        return AlertRuleStore(*m_conn).states(dep).value().value(rule);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("estalert"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        const QDate today = QDateTime::currentDateTimeUtc().date();
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(today.addDays(-1), today.addDays(1)).ok());
    }

    void init() { m_now = QDateTime::currentSecsSinceEpoch() / 60 * 60; }

    void firesOnTheEstimateBeforeOutcomesAndResolves()
    {
        const QString dep = newDeployment();
        const qint64 nanny = newNanny(dep);
        NannyStore nannies(*m_conn);
        const std::vector<qint64> bad = log(dep, m_now - 120, 100);
        MLDECK_HELPERS_OK();
        QVERIFY(nannies.addEstimates(dep, nanny, 0, bad.back(), bad, std::vector<double>(bad.size(), 3.0)));
        auto j = job();
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        AlertRuleStatus s = state(dep, QStringLiteral("estimated_mae"));
        QCOMPARE(s.state, AlertRuleState::Firing);
        QVERIFY(s.lastValue && qAbs(*s.lastValue - 3.0) < 1e-12);
        const AlertRuleStatus mae = state(dep, QStringLiteral("mae"));
        QCOMPARE(mae.state, AlertRuleState::Inactive); // no outcome yet: nothing to judge
        QVERIFY(!mae.lastValue);
        auto alerts = AlertStore(*m_conn).list(dep, false);
        QVERIFY(alerts);
        QCOMPARE(alerts->size(), 1);
        QCOMPARE(alerts->first().kind, QStringLiteral("kpi"));
        QCOMPARE(alerts->first().dedupKey, QStringLiteral("estimated_mae"));
        QVERIFY2(alerts->first().title.contains(QLatin1String("estimated MAE > 2.00 min")),
                 qPrintable(alerts->first().title));

        // 300 better predictions: the window's mean estimate is (100 × 3 + 300 × 0.5) / 400 = 1.125.
        const std::vector<qint64> good = log(dep, m_now - 60, 300);
        MLDECK_HELPERS_OK();
        QVERIFY(nannies.addEstimates(dep, nanny, bad.back(), good.back(), good, std::vector<double>(good.size(), 0.5)));
        m_now += 15;
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        s = state(dep, QStringLiteral("estimated_mae"));
        QCOMPARE(s.state, AlertRuleState::Resolved);
        QVERIFY(s.lastValue && qAbs(*s.lastValue - 1.125) < 1e-12);
        alerts = AlertStore(*m_conn).list(dep, false);
        QVERIFY(alerts);
        QVERIFY(alerts->isEmpty());
    }

    void nothingScoredIsNoValue()
    {
        const QString dep = newDeployment();
        log(dep, m_now - 120, 50);
        MLDECK_HELPERS_OK();
        auto j = job();
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        const AlertRuleStatus s = state(dep, QStringLiteral("estimated_mae"));
        QCOMPARE(s.state, AlertRuleState::Inactive);
        QVERIFY(!s.lastValue);
        const auto alerts = AlertStore(*m_conn).list(dep, false);
        QVERIFY(alerts);
        QVERIFY(alerts->isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestEstimatedMaeAlert)
#include "test_estimated_mae_alert.moc"
