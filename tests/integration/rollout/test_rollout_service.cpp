// RolloutService (what the GUI uses): every request answers once; a frozen Redis times out with a
// readable message while the caller's event loop keeps answering; live changes from elsewhere
// arrive and are marked as someone else's; what-if and plans through the service.
#include "RolloutFixture.h"

#include "core/services/RolloutService.h"
#include "tests/integration/store_redis/PrivateRedis.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTimer>

using namespace mldeck;

namespace {

// QVariant::value<T>() needs a default constructor, which Result<T> has not: read the stored object.
template <typename T> const T &arg(const QVariant &v)
{
    return *static_cast<const T *>(v.constData());
}

// Measures the largest gap between timer ticks of this thread's event loop.
class LoopWatch : public QObject
{
public:
    LoopWatch()
    {
        m_timer.setInterval(5);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            if (m_clock.isValid())
                m_maxGap = qMax(m_maxGap, m_clock.restart());
            else
                m_clock.start();
        });
        m_timer.start();
    }
    qint64 maxGap() const { return m_maxGap; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_maxGap = 0;
};

} // namespace

class TestRolloutService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void applyRollbackAndLiveChanges()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        RolloutService svc;
        svc.setSpoolDirectory(f.spool());
        svc.setEndpoints(test::TestServers::redis(), f.db->endpoint());
        QSignalSpy changed(&svc, &RolloutService::flagsChanged);
        QSignalSpy applied(&svc, &RolloutService::applied);
        QSignalSpy rolled(&svc, &RolloutService::rolledBack);
        QSignalSpy listed(&svc, &RolloutService::deploymentsListed);

        svc.listDeployments();
        QTRY_COMPARE(listed.size(), 1);
        const auto names = arg<Result<QStringList>>(listed.first().first());
        QVERIFY(names && names->contains(f.deployment));

        svc.watch(f.deployment);
        QTRY_VERIFY(changed.size() >= 1); // the initial read
        QCOMPARE(changed.last().at(0).value<FlagState>().version, qint64(1));
        QVERIFY(!changed.last().at(1).toBool());
        changed.clear();

        FlagEdit edit;
        edit.trafficPercentage = 25;
        edit.reason = QStringLiteral("gui");
        svc.apply(f.deployment, edit, 1);
        QTRY_COMPARE(applied.size(), 1);
        const ApplyOutcome out = applied.first().first().value<ApplyOutcome>();
        QVERIFY2(out.applied, qPrintable(out.message));
        QTRY_VERIFY(!changed.isEmpty());
        QCOMPARE(changed.last().at(0).value<FlagState>().trafficPercentage, 25);
        QVERIFY(!changed.last().at(1).toBool()); // our own change is not "someone else"
        changed.clear();

        // Someone else, with raw redis commands through the store (another console).
        FlagChange other{true, 50, {}, QStringLiteral("carol@elsewhere")};
        QElapsedTimer t;
        t.start();
        QVERIFY(FlagStore(*f.redis).write(f.deployment, other, 2));
        QTRY_VERIFY(!changed.isEmpty());
        qInfo("change elsewhere seen after %lld ms", t.elapsed());
        QCOMPARE(changed.last().at(0).value<FlagState>().trafficPercentage, 50);
        QVERIFY(changed.last().at(1).toBool());
        QCOMPARE(changed.last().at(2).toString(), QStringLiteral("carol@elsewhere"));

        // A stale edit from the GUI: conflict naming carol.
        svc.apply(f.deployment, edit, 2);
        QTRY_COMPARE(applied.size(), 2);
        const ApplyOutcome lost = applied.last().first().value<ApplyOutcome>();
        QVERIFY(lost.conflict);
        QVERIFY(lost.message.contains(QLatin1String("carol@elsewhere")));
        QCOMPARE(lost.state.trafficPercentage, 50);

        svc.rollback(f.deployment, QStringLiteral("incident"));
        QTRY_COMPARE(rolled.size(), 1);
        const ApplyOutcome rb = rolled.first().first().value<ApplyOutcome>();
        QVERIFY(rb.applied);
        QVERIFY(!rb.state.mlEnabled);
        QTRY_VERIFY(!changed.last().at(0).value<FlagState>().mlEnabled);
        QCOMPARE(f.auditRows(), 2);
    }

    void frozenRedisTimesOutAndTheLoopStaysResponsive()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        test::PrivateRedis server;
        QVERIFY2(server.start({}, &why), qPrintable(why));
        RedisEndpoint e = server.endpoint();
        e.timeoutMs = 600;
        {
            auto c = RedisConnection::open(e);
            QVERIFY(c);
            QVERIFY(
                FlagStore(**c).initialiseIfMissing(f.deployment, FlagChange{true, 10, true, QStringLiteral("t@t")}));
        }
        RolloutService svc;
        svc.setSpoolDirectory(f.spool());
        svc.setEndpoints(e, f.db->endpoint());
        QSignalSpy applied(&svc, &RolloutService::applied);
        QSignalSpy rolled(&svc, &RolloutService::rolledBack);
        QSignalSpy problems(&svc, &RolloutService::connectionProblem);
        QSignalSpy listed(&svc, &RolloutService::deploymentsListed);
        svc.listDeployments(); // warm the connection
        QTRY_COMPARE(listed.size(), 1);

        test::ProcessFreezer freezer(pid_t(server.pid()));
        LoopWatch loop;
        FlagEdit edit;
        edit.trafficPercentage = 30;
        svc.apply(f.deployment, edit, 1);
        svc.rollback(f.deployment, QStringLiteral("while frozen"));
        svc.listDeployments();
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(rolled.size(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(listed.size(), 2, 10000);
        const ApplyOutcome a = applied.first().first().value<ApplyOutcome>();
        QVERIFY(!a.applied);
        QVERIFY2(a.message.startsWith(QLatin1String("not applied")), qPrintable(a.message));
        QVERIFY2(a.message.contains(QLatin1String("did not answer")), qPrintable(a.message));
        QVERIFY(!rolled.first().first().value<ApplyOutcome>().applied);
        QVERIFY(!problems.isEmpty());
        qInfo("largest event-loop gap while Redis was frozen: %lld ms", loop.maxGap());
        QVERIFY2(loop.maxGap() < 50, qPrintable(QString::number(loop.maxGap())));
        QCOMPARE(f.auditRows(), 0);

        freezer.thaw();
        svc.rollback(f.deployment, QStringLiteral("after thaw"));
        QTRY_COMPARE_WITH_TIMEOUT(rolled.size(), 2, 10000);
        const ApplyOutcome ok = rolled.last().first().value<ApplyOutcome>();
        QVERIFY2(ok.applied, qPrintable(ok.message));
    }

    void whatIfAndPlanThroughTheService()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        QVERIFY(f.logPredictions(400, 0.0, 100, 1.0, QStringLiteral("ml"), QStringLiteral("m")));
        QVERIFY(f.logPredictions(1600, 0.0, 50, 3.0, QStringLiteral("heuristic"), QStringLiteral("h")));
        RolloutService svc;
        svc.setSpoolDirectory(f.spool());
        svc.setEndpoints(test::TestServers::redis(), f.db->endpoint());

        QSignalSpy whatIf(&svc, &RolloutService::whatIfReady);
        svc.previewWhatIf(f.deployment, 50);
        QTRY_COMPARE(whatIf.size(), 1);
        const auto w = arg<Result<WhatIf>>(whatIf.first().first());
        QVERIFY2(w, qPrintable(w.errorMessage()));
        QCOMPARE(w->keys, qint64(2000));
        QVERIFY(w->mlShare && qAbs(*w->mlShare - 0.5) < 0.05);
        QVERIFY(w->switching > 0);
        QVERIFY(w->projectedMae && w->currentMae);
        QVERIFY(*w->projectedMae < *w->currentMae); // ML (MAE 1) beats the heuristic (MAE 3)
        svc.previewWhatIf(f.deployment, 101);
        QTRY_COMPARE(whatIf.size(), 2);
        QVERIFY(!arg<Result<WhatIf>>(whatIf.last().first()));

        QSignalSpy saved(&svc, &RolloutService::planSaved);
        QSignalSpy loaded(&svc, &RolloutService::planLoaded);
        QSignalSpy advanced(&svc, &RolloutService::planAdvanced);
        svc.savePlan(f.deployment, {25, 10});
        QTRY_COMPARE(saved.size(), 1);
        const Status refused = arg<Status>(saved.first().first());
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QLatin1String("increasing")), qPrintable(refused.errorMessage()));
        svc.savePlan(f.deployment, {10, 30, 100});
        QTRY_COMPARE(saved.size(), 2);
        QVERIFY(arg<Status>(saved.last().first()));
        svc.loadPlan(f.deployment);
        QTRY_COMPARE(loaded.size(), 1);
        const auto plan = arg<Result<PlanStatus>>(loaded.first().first());
        QVERIFY2(plan, qPrintable(plan.errorMessage()));
        QCOMPARE(plan->steps, (QList<int>{10, 30, 100}));
        QCOMPARE(plan->currentStep, 0); // ML is on at 10 %: the first step
        QCOMPARE(plan->gates.size(), 6);
        QVERIFY(!plan->canAdvance); // not soaked for 15 min yet
        svc.advancePlan(f.deployment);
        QTRY_COMPARE(advanced.size(), 1);
        QVERIFY(!arg<Result<PlanStatus>>(advanced.first().first()));
        QCOMPARE(f.state().trafficPercentage, 10);
        svc.advancePlan(f.deployment, QStringLiteral("manager approved"));
        QTRY_COMPARE(advanced.size(), 2);
        const auto moved = arg<Result<PlanStatus>>(advanced.last().first());
        QVERIFY2(moved, qPrintable(moved.errorMessage()));
        QCOMPARE(moved->currentStep, 1);
        QCOMPARE(f.state().trafficPercentage, 30);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'plan.advance.override' AND reason = 'manager approved'")), 1);

        // Someone moved the flags past the plan by hand: advancing never lowers ML traffic.
        FlagChange manual;
        manual.trafficPercentage = 60;
        manual.actor = QStringLiteral("someone-else");
        QVERIFY(FlagStore(*f.redis).write(f.deployment, manual, f.state().version));
        svc.advancePlan(f.deployment, QStringLiteral("next step"));
        QTRY_COMPARE(advanced.size(), 3);
        const auto past = arg<Result<PlanStatus>>(advanced.last().first());
        QVERIFY2(past, qPrintable(past.errorMessage()));
        QCOMPARE(f.state().trafficPercentage, 100);
        QCOMPARE(past->currentStep, 2);
        svc.advancePlan(f.deployment, QStringLiteral("again"));
        QTRY_COMPARE(advanced.size(), 4);
        QVERIFY(!arg<Result<PlanStatus>>(advanced.last().first())); // already at the last step
        QCOMPARE(f.state().trafficPercentage, 100);
    }
};

QTEST_GUILESS_MAIN(TestRolloutService)
#include "test_rollout_service.moc"
