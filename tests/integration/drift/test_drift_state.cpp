#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QJsonObject>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// The anti-flap state lives in PostgreSQL: a restarted checker (new connection, new objects)
// carries on counting consecutive windows; K clean windows resolve the alert.
class TestDriftState final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    QString m_dep;
    QDateTime m_t0 = QDateTime::currentDateTimeUtc().addSecs(-3600);

    std::unique_ptr<PgConnection> open()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        if (!conn) {
            MLDECK_FAIL_IN_HELPER(conn.errorMessage());
            return nullptr; // the caller checks it
        }
        return std::move(conn).value();
    }

    // 400 rows in [from, from + 60 s): x ~ U(shift, shift + 1), c mostly "a" (or mostly "b" when drifted).
    void log(PgConnection &conn, const QDateTime &from, double shift, bool drifted)
    {
        const Status s = test::exec(
            conn,
            QStringLiteral("SELECT setseed(0.42); INSERT INTO mldeck.predictions (ts, predicted, path, deployment, "
                           "request_key, feature_schema, numeric, categorical) "
                           "SELECT '%1'::timestamptz + (i * 150) * interval '1 millisecond', 1.0, 'ml', '%2', "
                           "'k' || i || '-' || extract(epoch FROM '%1'::timestamptz), 1, "
                           "ARRAY[%3 + random()]::real[], ARRAY[CASE WHEN random() < %4 THEN 'a' ELSE 'b' END] "
                           "FROM generate_series(0, 399) AS i")
                .arg(from.toString(Qt::ISODateWithMs), m_dep)
                .arg(shift)
                .arg(drifted ? 0.2 : 0.8));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    Result<DriftCheckReport> check(const QDateTime &now)
    {
        auto conn = open(); // a fresh connection every time: nothing survives in memory
        DriftCheckRequest r;
        r.deployment = m_dep;
        r.persist = true;
        r.now = now;
        r.actor = AlertActor{QStringLiteral("guard@test"), QStringLiteral("test")};
        return runDriftCheck(*conn, r);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("driftstate"));
        auto conn = open();
        QVERIFY(conn);
        QVERIFY(Migrator::migrate(*conn).ok());
        m_dep = uniqueName(QStringLiteral("drift"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back(
            {QStringLiteral("c"), FeatureSpec::Kind::Categorical, {QStringLiteral("a"), QStringLiteral("b")}});
        QCOMPARE(DeploymentStore(*conn).ensure(m_dep, {}, schema).value(), 1);
        // Reference: the first minute; current windows of 60 s, K = 2, at least 100 rows.
        QVERIFY(DriftData(*conn)
                    .setDriftSettings(m_dep,
                                      {{QStringLiteral("window"), QStringLiteral("60s")},
                                       {QStringLiteral("k"), 2},
                                       {QStringLiteral("min_samples"), 100},
                                       {QStringLiteral("reference"),
                                        QStringLiteral("period:%1/%2")
                                            .arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(60).toString(Qt::ISODate))}})
                    .ok());
        log(*conn, m_t0, 0, false);
        for (int w = 1; w <= 2; ++w)
            log(*conn, m_t0.addSecs(60 * w), 0.5, true);
        for (int w = 3; w <= 4; ++w)
            log(*conn, m_t0.addSecs(60 * w), 0, false);
    }

    void restartKeepsStateAndKResolves()
    {
        auto first = check(m_t0.addSecs(120));
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        QCOMPARE(first->result.features.size(), std::size_t(3)); // x, c, __prediction__
        QVERIFY(first->result.features[0].drift);
        QVERIFY(first->result.features[0].pValue.has_value()); // 400 reference rows: KS with a p-value
        QVERIFY(first->fired.isEmpty());                       // one drifting window is not enough
        {
            auto conn = open();
            QVERIFY(conn);
            const auto state = DriftData(*conn).loadState(m_dep);
            QCOMPARE(state->value(QStringLiteral("x")).state.consecutiveDrift, 1);
        }
        // "Restart": new connection, new check; the count carries on from the database.
        auto second = check(m_t0.addSecs(180));
        QVERIFY2(second.ok(), qPrintable(second.errorMessage()));
        QVERIFY(second->fired.contains(QStringLiteral("x")));
        QVERIFY(second->fired.contains(QStringLiteral("c")));
        {
            auto conn = open();
            QVERIFY(conn);
            const auto alerts = AlertStore(*conn).list(m_dep, false);
            QVERIFY(alerts.ok());
            QStringList keys;
            for (const Alert &a : *alerts)
                keys << a.dedupKey;
            QVERIFY(keys.contains(QStringLiteral("drift:x")));
            QVERIFY(keys.contains(QStringLiteral("drift:c")));
        }
        // The same window again changes nothing.
        auto repeat = check(m_t0.addSecs(181));
        QVERIFY(repeat.ok() && repeat->skipped);
        // One clean window: still firing; two: resolved.
        auto clean1 = check(m_t0.addSecs(240));
        QVERIFY(clean1.ok());
        QVERIFY(clean1->resolved.isEmpty());
        QVERIFY(clean1->firing.contains(QStringLiteral("x")));
        auto clean2 = check(m_t0.addSecs(300));
        QVERIFY(clean2.ok());
        QVERIFY(clean2->resolved.contains(QStringLiteral("x")));
        auto conn = open();
        QVERIFY(conn);
        const auto open = AlertStore(*conn).list(m_dep, false);
        for (const Alert &a : *open)
            QVERIFY2(a.dedupKey != QLatin1String("drift:x"), "x should be resolved");
        // The scores were recorded for the sparklines.
        const auto history = DriftData(*conn).scoreHistory(m_dep);
        QVERIFY(history.ok());
        int xPoints = 0;
        for (const auto &p : *history)
            xPoints += p.feature == QLatin1String("x");
        QCOMPARE(xPoints, 4);
    }

    void badSettingsChangeNothing()
    {
        auto conn = open();
        QVERIFY(conn);
        // The store refuses a bad value; one written by hand makes the check fail with the key's name.
        const QJsonObject before = DriftData(*conn).driftSettings(m_dep).value();
        QVERIFY(!DriftData(*conn).setDriftSettings(m_dep, {{QStringLiteral("k"), 0}}).ok());
        QCOMPARE(DriftData(*conn).driftSettings(m_dep).value(), before);
        QVERIFY(test::exec(*conn, QStringLiteral("UPDATE mldeck.deployments SET settings = jsonb_set(settings, "
                                                 "'{drift,k}', '0') WHERE name = '%1'")
                                      .arg(m_dep))
                    .ok());
        DriftCheckRequest r;
        r.deployment = m_dep;
        r.persist = true;
        const auto result = runDriftCheck(*conn, r);
        QVERIFY(!result.ok());
        QVERIFY(result.errorMessage().contains(QStringLiteral("\"k\"")));
        DriftCheckRequest unknown;
        unknown.deployment = QStringLiteral("no-such-deployment");
        QVERIFY(!runDriftCheck(*conn, unknown).ok());
    }
};

QTEST_GUILESS_MAIN(TestDriftState)
#include "test_drift_state.moc"
