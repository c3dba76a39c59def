// The default dependency_fallback alert rule in a real guard round: a backend reports its weather
// API down with the fallback active since 11 minutes (Redis), the KPI alert job fires the rule and
// raises the alert (PostgreSQL); the report of recovery resolves it. Unknown (an expired report, an
// unreachable Redis) neither fires nor resolves, and never fails the job.
#include "core/domain/FeatureSchema.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

class TestDependencyFallbackAlert final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<RedisConnection> m_redis;
    qint64 m_now = 0;
    const AlertActor m_actor{QStringLiteral("tester"), QStringLiteral("testhost")};
    const QString m_rule = QStringLiteral("dependency_fallback");

    std::unique_ptr<PgConnection> open()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        if (!conn) {
            MLDECK_FAIL_IN_HELPER(conn.errorMessage());
            return nullptr; // the caller checks it
        }
        return std::move(conn).value();
    }

    std::unique_ptr<GuardJob> job()
    {
        KpiAlertGuardOptions o;
        o.nowSecs = [this] { return m_now; };
        return makeKpiAlertGuardJob(o);
    }

    GuardContext context(const QString &dep, RedisEndpoint redis = TestServers::redis()) const
    {
        GuardContext c;
        c.redis = redis;
        c.pg = m_db->endpoint();
        c.deployment = dep;
        c.actor = QStringLiteral("guard@test");
        return c;
    }

    // Default rules, untouched: the dependency rule is one of them.
    QString makeDeployment()
    {
        const QString dep = uniqueName(QStringLiteral("depalert"));
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        if (!DeploymentStore(*conn).ensure(dep, {}, schema))
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot create the deployment ") + dep);
        return dep;
    }

    // What the backend writes (dependencies.md). sinceMinutes < 0: up, no fallback.
    void report(const QString &dep, int sinceMinutes, int ttlMs = 60000,
                const QString &name = QStringLiteral("weather"))
    {
        DependencyReport r;
        r.deployment = dep;
        r.name = name;
        r.state = sinceMinutes >= 0 ? DependencyHealth::Down : DependencyHealth::Up;
        r.fallbackActive = sinceMinutes >= 0;
        if (r.fallbackActive) {
            r.fallbackSince = QDateTime::fromSecsSinceEpoch(m_now - sinceMinutes * 60, Qt::UTC);
            r.lastError = QStringLiteral("HTTP 503 from the weather API");
        }
        const Status s = DependencyStore(*m_redis).report(r, ttlMs);
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    AlertRuleStatus state(const QString &dep)
    {
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        return AlertRuleStore(*conn).states(dep).value().value(m_rule);
    }

    QList<Alert> alerts(const QString &dep)
    {
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        QList<Alert> out;
        const QList<Alert> all =
            AlertStore(*conn).list(dep, true).value(); // kept: a range-for over a temporary's value() dangles
        for (const Alert &a : all)
            if (a.kind == QLatin1String("kpi") && a.dedupKey == m_rule)
                out << a;
        return out;
    }

    void forget(const QString &dep)
    {
        auto names = m_redis->command({"SMEMBERS", DependencyStore::indexKey(dep)});
        if (names && names->isArray())
            for (const RedisValue &n : names->array)
                (void)DependencyStore(*m_redis).forget(dep, QString::fromUtf8(n.string));
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("depalert"));
        auto conn = open();
        QVERIFY(conn);
        const auto migrated = Migrator::migrate(*conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        m_redis = std::move(redis).value();
    }

    void init() { m_now = QDateTime::currentSecsSinceEpoch(); }

    void fallbackForElevenMinutesFiresAndRecoveryResolves()
    {
        const QString dep = makeDeployment();
        report(dep, 11);
        auto j = job();
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        AlertRuleStatus s = state(dep);
        QCOMPARE(s.state, AlertRuleState::Firing); // no pending period: the 10 minutes are the wait
        QVERIFY(s.lastValue && qAbs(*s.lastValue - 11.0) < 0.02);
        QVERIFY2(j->lastSummary().contains(m_rule), qPrintable(j->lastSummary()));
        QList<Alert> raised = alerts(dep);
        QCOMPARE(raised.size(), 1);
        QVERIFY(!raised.first().resolved());
        QCOMPARE(raised.first().title, QStringLiteral("weather in fallback for more than 10 min"));
        QCOMPARE(raised.first().severity, QStringLiteral("warning"));
        QCOMPARE(raised.first().details.value(QStringLiteral("dependencies")).toArray(),
                 QJsonArray{QStringLiteral("weather")});

        // Still in fallback a round later: one alert, still open.
        m_now += 15;
        report(dep, 11);
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(alerts(dep).size(), 1);

        // The weather API is back.
        m_now += 15;
        report(dep, -1);
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Resolved);
        QCOMPARE(*state(dep).lastValue, 0.0);
        raised = alerts(dep);
        QCOMPARE(raised.size(), 1);
        QVERIFY(raised.first().resolved());
        forget(dep);
    }

    void aShortFallbackDoesNotFire()
    {
        const QString dep = makeDeployment();
        report(dep, 5);
        auto j = job();
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Inactive);
        QVERIFY(alerts(dep).isEmpty());
        // The same outage, five minutes and a bit later: now it fires.
        m_now += 5 * 60 + 30;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        forget(dep);
    }

    void theThresholdIsPerDeployment()
    {
        const QString dep = makeDeployment();
        {
            auto conn = open();
            QVERIFY(conn);
            AlertRule r = AlertRule::defaultFor(AlertRule::Metric::DependencyFallback);
            r.threshold = 30;
            QVERIFY(AlertRuleStore(*conn).saveRule(dep, r, m_actor));
        }
        report(dep, 11);
        auto j = job();
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Inactive);
        forget(dep);
    }

    void unknownNeitherFiresNorResolves()
    {
        const QString dep = makeDeployment();
        report(dep, 11, 1000); // expires after 1 s
        auto j = job();
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);

        // The backend stops reporting: the name stays, the report expires.
        QTRY_VERIFY_WITH_TIMEOUT(DependencyStore(*m_redis).read(dep).value().front().isUnknown(), 5000);
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing); // silence is the no_data rule's business
        QVERIFY(!state(dep).lastValue);

        // Redis unreachable: the job still runs its KPI rules and reports no error.
        RedisEndpoint nowhere = TestServers::redis();
        nowhere.port = 1; // nothing listens there
        nowhere.timeoutMs = 500;
        m_now += 15;
        const Status s = j->runOnce(context(dep, nowhere));
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(alerts(dep).size(), 1);
        forget(dep);
    }

    void noDependencyReportedStaysQuiet()
    {
        const QString dep = makeDeployment();
        auto j = job();
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Inactive);
        QCOMPARE(*state(dep).lastValue, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestDependencyFallbackAlert)
#include "test_dependency_fallback_alert.moc"
