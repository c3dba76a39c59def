// The automatic guard on real servers: K consecutive breaches → rollback, audited with its
// figures, a critical guardrail alert, latched until re-armed; a metric oscillating around the
// threshold never triggers; halving on degraded latency; leader failover between two runners.
#include "RolloutFixture.h"

#include "core/services/guard/GuardRunner.h"
#include "core/services/guard/RolloutGuardJob.h"
#include "core/store/pg/GuardStore.h"

using namespace mldeck;

namespace {

struct Clock
{
    QDateTime now = QDateTime::currentDateTimeUtc();
    QDateTime operator()()
    {
        now = now.addSecs(5);
        return now;
    }
};

std::unique_ptr<RolloutGuardJob> makeJob(const test::RolloutFixture &f, std::shared_ptr<Clock> clock)
{
    auto job = std::make_unique<RolloutGuardJob>();
    job->setSpoolDirectory(f.spool());
    job->setClock([clock] { return (*clock)(); });
    return job;
}

GuardContext contextOf(const test::RolloutFixture &f)
{
    return GuardContext{test::TestServers::redis(), f.db->endpoint(), f.deployment, QStringLiteral("guard@test")};
}

bool setRules(test::RolloutFixture &f, int k)
{
    GuardRules r;
    r.consecutiveBreaches = k;
    r.minSamples = 50;
    r.windowSeconds = 300;
    return bool(GuardStore(*f.pg).saveRules(f.deployment, r, Actor::current(), QStringLiteral("test")));
}

bool replaceWindow(test::RolloutFixture &f, double failedShare, double latencyMs = 100)
{
    if (!test::exec(*f.pg, QStringLiteral("DELETE FROM mldeck.predictions WHERE deployment = '%1'").arg(f.deployment)))
        return false;
    return f.logPredictions(200, failedShare, latencyMs, 1.0);
}

} // namespace

class TestGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void rollsBackAuditsAlertsAndLatches()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        QVERIFY(setRules(f, 2));
        QVERIFY(replaceWindow(f, 0.45));
        auto clock = std::make_shared<Clock>();
        auto job = makeJob(f, clock);
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::None);
        QVERIFY2(job->lastSummary().contains(QLatin1String("breach 1 of 2")), qPrintable(job->lastSummary()));
        QVERIFY(f.state().mlEnabled);
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Rollback);
        QVERIFY2(job->lastSummary().contains(QLatin1String("ACTED")), qPrintable(job->lastSummary()));
        FlagState s = f.state();
        QVERIFY(!s.mlEnabled);
        QCOMPARE(s.trafficPercentage, 0);
        QCOMPARE(s.updatedBy, QStringLiteral("guard@test"));
        // Audited with the figures that triggered it.
        QCOMPARE(
            f.auditRows(QStringLiteral("action = 'guard.rollback' AND (after->'details'->>'error_rate')::float8 > 0.4 "
                                       "AND after->'details'->>'samples' = '200' AND reason LIKE '%error rate%'")),
            1);
        auto alerts = test::query(*f.pg,
                                  QStringLiteral("SELECT kind, severity, dedup_key, title, details->>'error_rate' "
                                                 "FROM mldeck.alerts WHERE deployment = $1"),
                                  {f.deployment});
        QVERIFY(alerts);
        QCOMPARE(alerts->size(), 1);
        QCOMPARE(alerts->first().at(0), QStringLiteral("guardrail"));
        QCOMPARE(alerts->first().at(1), QStringLiteral("critical"));
        QVERIFY(alerts->first().at(3).contains(f.deployment));

        // Someone turns ML back on without re-arming: the guard stays latched and does nothing.
        auto svc = f.service();
        FlagEdit on;
        on.mlEnabled = true;
        on.trafficPercentage = 50;
        QVERIFY(svc->apply(f.deployment, on, s.version, QStringLiteral("retry"), Actor::current()).applied);
        for (int i = 0; i < 4; ++i) {
            QVERIFY(job->runOnce(contextOf(f)));
            QCOMPARE(job->lastDecision().action, GuardDecision::Action::None);
            QVERIFY(job->lastSummary().contains(QLatin1String("latched")));
        }
        QVERIFY(f.state().mlEnabled);
        // The latch is in PostgreSQL: a new job (another guard after a failover) sees it too.
        auto other = makeJob(f, clock);
        QVERIFY(other->runOnce(contextOf(f)));
        QVERIFY(other->lastSummary().contains(QLatin1String("latched")));

        // Re-armed by a person: it acts again after K breaches.
        auto before = GuardStore(*f.pg).rearm(f.deployment);
        QVERIFY(before && before->latched);
        QVERIFY(job->runOnce(contextOf(f)));
        QVERIFY(f.state().mlEnabled);
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Rollback);
        QVERIFY(!f.state().mlEnabled);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rollback'")), 2);
        // The open alert is refreshed, not duplicated.
        QCOMPARE(test::query(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.alerts WHERE deployment = $1"),
                             {f.deployment})
                     ->first()
                     .first(),
                 QStringLiteral("1"));
    }

    void oscillatingMetricDoesNotFlap()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        QVERIFY(setRules(f, 2));
        auto job = makeJob(f, std::make_shared<Clock>());
        for (int i = 0; i < 12; ++i) {
            QVERIFY(replaceWindow(f, i % 2 ? 0.35 : 0.25));
            QVERIFY(job->runOnce(contextOf(f)));
            QCOMPARE(job->lastDecision().action, GuardDecision::Action::None);
        }
        QVERIFY(f.state().mlEnabled);
        QCOMPARE(f.state().trafficPercentage, 50);
        QCOMPARE(f.auditRows(QStringLiteral("action <> 'guard.rules'")), 0);
    }

    void degradedLatencyHalves()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        QVERIFY(setRules(f, 2));
        QVERIFY(replaceWindow(f, 0.0, 2500));
        auto job = makeJob(f, std::make_shared<Clock>());
        QVERIFY(job->runOnce(contextOf(f)));
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Halve);
        QVERIFY(f.state().mlEnabled);
        QCOMPARE(f.state().trafficPercentage, 25);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.halve' AND before->>'ml_traffic_percentage' = '50' "
                                            "AND after->>'ml_traffic_percentage' = '25'")),
                 1);
        QVERIFY(job->runOnce(contextOf(f))); // latched: not halved again
        QCOMPARE(f.state().trafficPercentage, 25);
    }

    void noDataIsABreach()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 20), qPrintable(why));
        QVERIFY(setRules(f, 2));
        auto job = makeJob(f, std::make_shared<Clock>());
        QVERIFY(job->runOnce(contextOf(f)));
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Rollback);
        QVERIFY(!f.state().mlEnabled);
    }

    void leaderFailover()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 20), qPrintable(why));
        QVERIFY(replaceWindow(f, 0.0));
        const auto options = [&] {
            GuardRunnerOptions o;
            o.redis = test::TestServers::redis();
            o.pg = f.db->endpoint();
            o.deployments = {f.deployment};
            o.scope = f.deployment;
            o.intervalMs = 200;
            return o;
        };
        const auto jobs = [&] {
            std::vector<std::unique_ptr<GuardJob>> v;
            auto j = std::make_unique<RolloutGuardJob>();
            j->setSpoolDirectory(f.spool());
            v.push_back(std::move(j));
            return v;
        };
        GuardRunner a(options(), jobs());
        GuardRunner b(options(), jobs());
        const GuardRunner::Round ra = a.runRound();
        const GuardRunner::Round rb = b.runRound();
        QVERIFY2(ra.leader, qPrintable(ra.errors.join(QLatin1Char('\n'))));
        QVERIFY(!rb.leader);
        QVERIFY(ra.lines.join(QLatin1Char(' ')).contains(f.deployment));
        QVERIFY(rb.lines.join(QLatin1Char(' ')).contains(QLatin1String("standing by")));
        for (int i = 0; i < 3; ++i) { // stable: exactly one leader
            QVERIFY(a.runRound().leader);
            QVERIFY(!b.runRound().leader);
        }

        // The leader's session dies: the other takes over on its next round.
        const int pid = a.lockSessionPid();
        QVERIFY(pid > 0);
        QVERIFY(test::query(*f.pg, QStringLiteral("SELECT pg_terminate_backend($1::int)"), {QString::number(pid)}));
        QTRY_VERIFY_WITH_TIMEOUT(b.runRound().leader, 10000);
        // The old leader notices it lost the lock and stands by.
        const GuardRunner::Round after = a.runRound();
        QVERIFY(!after.leader);
        QVERIFY(b.runRound().leader);
    }
};

QTEST_GUILESS_MAIN(TestGuard)
#include "test_guard.moc"
#include "tests/support/PgSql.h"
