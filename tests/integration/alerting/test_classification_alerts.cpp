#include "core/domain/FeatureSchema.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QTest>

#include <cmath>

using namespace mldeck;
using namespace mldeck::test;

// A classification deployment's KPI alert rules against real PostgreSQL (the class aggregates the
// database keeps, read through KpiCache): its built-in rules replace MAE and R² by accuracy; an
// accuracy rule fires on a model gone wrong and resolves when it recovers; a metric of the other task
// is refused and nothing is stored.
class TestClassificationAlerts final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    qint64 m_now = 0;
    int m_batch = 0;
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

    QString newDeployment(bool classifier)
    {
        const QString dep = uniqueName(QStringLiteral("clsalert"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        if (!DeploymentStore(*m_conn).ensure(dep, {}, schema))
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot create the deployment ") + dep);
        if (classifier)
            if (auto s = test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET task = 'classification', "
                                                            "classes = ARRAY['declined', 'accepted'] WHERE name = '%1'")
                                                 .arg(dep));
                !s)
                MLDECK_FAIL_IN_HELPER(s.errorMessage());
        return dep;
    }

    // n labelled binary ML predictions at [atSecs, atSecs + 1 s): served class i % 2 with probability
    // 0.8, right when i % 10 < 10 * accuracy.
    void log(const QString &dep, qint64 atSecs, int n, double accuracy)
    {
        const QString prefix = QStringLiteral("b%1-").arg(++m_batch);
        QString sql = QStringLiteral(
            "INSERT INTO mldeck.predictions (ts, predicted, predicted_class, probabilities, latency_ms, failed, path, "
            "deployment, request_key, model_version) "
            "SELECT to_timestamp(%1) + i * interval '1 millisecond', 0.8, i %% 2, CASE WHEN i %% 2 = 1 THEN "
            "ARRAY[0.2, 0.8] ELSE ARRAY[0.8, 0.2] END::real[], 50, false, 'ml', '%2', '%3' || i, 'v1' "
            "FROM generate_series(0, %4 - 1) AS i;"
            "INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key) "
            "SELECT to_timestamp(%1), CASE WHEN i %% 10 < %5 THEN i %% 2 ELSE 1 - i %% 2 END, '%2', '%3' || i "
            "FROM generate_series(0, %4 - 1) AS i;");
        sql = sql.arg(atSecs).arg(dep, prefix).arg(n).arg(qRound(accuracy * 10));
        sql.replace(QStringLiteral("%%"), QStringLiteral("%"));
        if (auto s = test::exec(*m_conn, sql); !s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    AlertRuleStatus state(const QString &dep, const QString &rule)
    {
        return AlertRuleStore(*m_conn).states(dep).value().value(rule);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("clsalert"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
    }

    void init() { m_now = QDateTime::currentSecsSinceEpoch() / 60 * 60; }

    void builtInRulesFollowTheTask()
    {
        AlertRuleStore store(*m_conn);
        const auto classifier = store.rules(newDeployment(true));
        QVERIFY2(classifier, qPrintable(classifier.errorMessage()));
        QStringList ids;
        for (const AlertRule &r : *classifier)
            ids << r.id;
        QCOMPARE(ids, (QStringList{QStringLiteral("failure_rate"), QStringLiteral("latency_p95_ms"),
                                   QStringLiteral("accuracy"), QStringLiteral("no_data"),
                                   QStringLiteral("dependency_fallback")}));
        const auto regression = store.rules(newDeployment(false));
        QVERIFY(regression);
        QCOMPARE(*regression, AlertRule::defaults()); // exactly as before
    }

    void otherTasksMetricIsRefused()
    {
        AlertRuleStore store(*m_conn);
        const QString regression = newDeployment(false);
        const QString classifier = newDeployment(true);
        const Status onRegression =
            store.saveRule(regression, AlertRule::defaultFor(AlertRule::Metric::Accuracy), m_actor);
        QVERIFY(!onRegression);
        QVERIFY2(onRegression.errorMessage().contains(QLatin1String("classification metric")),
                 qPrintable(onRegression.errorMessage()));
        const Status onClassifier = store.saveRule(classifier, AlertRule::defaultFor(AlertRule::Metric::Mae), m_actor);
        QVERIFY(!onClassifier);
        QVERIFY2(onClassifier.errorMessage().contains(QLatin1String("regression metric")),
                 qPrintable(onClassifier.errorMessage()));
        QCOMPARE(test::query(*m_conn,
                             QStringLiteral("SELECT count(*) FROM mldeck.alert_rules WHERE deployment IN ($1, $2)"),
                             {regression, classifier})
                     ->first()
                     .first(),
                 QStringLiteral("0"));
    }

    void accuracyRuleFiresAndResolves()
    {
        const QString dep = newDeployment(true);
        AlertRuleStore store(*m_conn);
        // Only the accuracy rule (< 90 % over 5 min, no pending period) and a log-loss rule watch.
        for (AlertRule r : AlertRule::defaults(true)) {
            r.enabled = r.metric == AlertRule::Metric::Accuracy;
            r.pendingSeconds = 0;
            QVERIFY(store.saveRule(dep, r, m_actor));
        }
        AlertRule loss = AlertRule::defaultFor(AlertRule::Metric::LogLoss);
        loss.pendingSeconds = 0;
        loss.threshold = 1.0;
        QVERIFY(store.saveRule(dep, loss, m_actor));

        log(dep, m_now - 120, 200, 0.60);
        auto j = job();
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        AlertRuleStatus s = state(dep, QStringLiteral("accuracy"));
        QCOMPARE(s.state, AlertRuleState::Firing);
        QVERIFY(s.lastValue && qAbs(*s.lastValue - 0.6) < 1e-12);
        // Log-loss of the 60 % right rows: 0.6 (-ln 0.8) + 0.4 (-ln 0.2) = 0.78, under 1.0.
        const AlertRuleStatus ls = state(dep, QStringLiteral("log_loss"));
        QCOMPARE(ls.state, AlertRuleState::Inactive);
        QVERIFY(ls.lastValue && qAbs(*ls.lastValue - (0.6 * -std::log(0.8) - 0.4 * std::log(0.2))) < 1e-6);
        auto alerts = AlertStore(*m_conn).list(dep, false);
        QVERIFY(alerts);
        QCOMPARE(alerts->size(), 1);
        QCOMPARE(alerts->first().kind, QStringLiteral("kpi"));
        QCOMPARE(alerts->first().dedupKey, QStringLiteral("accuracy"));
        QVERIFY2(alerts->first().title.contains(QLatin1String("accuracy < 90.0 %")), qPrintable(alerts->first().title));

        // The model recovers: 200 rows 60 % right and 800 rows 100 % right are 92 % right.
        log(dep, m_now - 60, 800, 1.0);
        m_now += 15;
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        s = state(dep, QStringLiteral("accuracy"));
        QCOMPARE(s.state, AlertRuleState::Resolved);
        QVERIFY(s.lastValue && qAbs(*s.lastValue - 0.92) < 1e-12);
        alerts = AlertStore(*m_conn).list(dep, false);
        QVERIFY(alerts);
        QVERIFY(alerts->isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestClassificationAlerts)
#include "test_classification_alerts.moc"
