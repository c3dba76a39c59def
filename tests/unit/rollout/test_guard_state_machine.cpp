// The guard's pure state machine with a fake clock: K consecutive breaches, no flapping on a
// metric oscillating around its threshold, no data counts as a breach, too few samples is
// inconclusive, the latch holds until re-armed, stale streaks restart.
#include "core/rollout/GuardStateMachine.h"

#include <QTimeZone>
#include <QtTest>

using namespace mldeck;
using Action = GuardDecision::Action;

namespace {

struct FakeClock
{
    QDateTime now = QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
    QDateTime tick(int seconds = 5)
    {
        now = now.addSecs(seconds);
        return now;
    }
};

WindowMetrics healthy()
{
    WindowMetrics m;
    m.samples = 500;
    m.labelled = 400;
    m.errorRate = 0.02;
    m.latencyP95Ms = 120;
    m.mae = 1.9;
    m.r2 = 0.72;
    return m;
}

// A classifier's window: 90 % right on 400 labelled predictions.
WindowMetrics classifier(double accuracy, qint64 labelled = 400)
{
    WindowMetrics m = healthy();
    m.mae.reset();
    m.r2.reset();
    m.classifier = true;
    m.labelled = labelled;
    m.accuracy = accuracy;
    m.logLoss = 0.3;
    return m;
}

WindowMetrics errors(double rate)
{
    WindowMetrics m = healthy();
    m.errorRate = rate;
    return m;
}

} // namespace

class TestGuardStateMachine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void healthyNeverActs()
    {
        GuardRules rules;
        GuardMemory mem;
        FakeClock clock;
        for (int i = 0; i < 50; ++i) {
            const auto d = GuardStateMachine::evaluate(rules, mem, healthy(), true, clock.tick());
            QCOMPARE(d.action, Action::None);
            QVERIFY(d.breaches.isEmpty());
        }
        QCOMPARE(mem.severeStreak, 0);
    }

    void rollsBackAfterKConsecutiveErrorBreaches()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 3;
        GuardMemory mem;
        FakeClock clock;
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.41), true, clock.tick()).action, Action::None);
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.41), true, clock.tick()).action, Action::None);
        const auto d = GuardStateMachine::evaluate(rules, mem, errors(0.41), true, clock.tick());
        QCOMPARE(d.action, Action::Rollback);
        QVERIFY2(d.summary.contains(QLatin1String("41.0 %")), qPrintable(d.summary)); // figures in the summary
        QVERIFY(d.breaches.first().contains(QLatin1String("30.0 %")));
    }

    void exactlyAtThresholdIsNotABreach()
    {
        GuardRules rules;
        GuardMemory mem;
        FakeClock clock;
        for (int i = 0; i < 10; ++i)
            QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.30), true, clock.tick()).action, Action::None);
    }

    void oscillatingMetricDoesNotFlap()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 3;
        GuardMemory mem;
        FakeClock clock;
        int actions = 0;
        for (int i = 0; i < 200; ++i) {
            // 29 % / 31 % alternating, latency 900 / 1100 ms in phase: never K breaches in a row.
            WindowMetrics m = errors(i % 2 ? 0.31 : 0.29);
            m.latencyP95Ms = i % 2 ? 1100 : 900;
            actions += GuardStateMachine::evaluate(rules, mem, m, true, clock.tick()).action != Action::None;
        }
        QCOMPARE(actions, 0);
        // Two breaches, one good, two breaches: still nothing.
        GuardStateMachine::evaluate(rules, mem, healthy(), true, clock.tick());
        const double pattern[] = {0.4, 0.4, 0.1, 0.4, 0.4, 0.1, 0.4, 0.4};
        for (double e : pattern)
            QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(e), true, clock.tick()).action, Action::None);
    }

    void degradedLatencyOrMaeHalves()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 2;
        GuardMemory mem;
        FakeClock clock;
        WindowMetrics slow = healthy();
        slow.latencyP95Ms = 1600;
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, slow, true, clock.tick()).action, Action::None);
        WindowMetrics bad = healthy();
        bad.mae = 4.2; // a different degraded rule still continues the streak
        const auto d = GuardStateMachine::evaluate(rules, mem, bad, true, clock.tick());
        QCOMPARE(d.action, Action::Halve);
        QVERIFY(d.summary.contains(QLatin1String("MAE 4.20 > 2.50")));
        QCOMPARE(GuardStateMachine::halved(50), 25);
        QCOMPARE(GuardStateMachine::halved(25), 12);
        QCOMPARE(GuardStateMachine::halved(1), 0);
    }

    void severeWinsOverDegraded()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 1;
        GuardMemory mem;
        FakeClock clock;
        WindowMetrics m = errors(0.5);
        m.latencyP95Ms = 5000;
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, m, true, clock.tick()).action, Action::Rollback);
    }

    void noDataCountsAsABreach()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 3;
        GuardMemory mem;
        FakeClock clock;
        WindowMetrics none;
        GuardDecision d;
        for (int i = 0; i < 3; ++i)
            d = GuardStateMachine::evaluate(rules, mem, none, true, clock.tick());
        QCOMPARE(d.action, Action::Rollback);
        QVERIFY(d.summary.contains(QLatin1String("no ML samples")));
    }

    void tooFewSamplesIsInconclusive()
    {
        GuardRules rules;
        rules.minSamples = 50;
        rules.consecutiveBreaches = 2;
        GuardMemory mem;
        FakeClock clock;
        WindowMetrics few = errors(0.9);
        few.samples = 10;
        for (int i = 0; i < 10; ++i) {
            const auto d = GuardStateMachine::evaluate(rules, mem, few, true, clock.tick());
            QCOMPARE(d.action, Action::None);
            QVERIFY(d.inconclusive);
        }
        // Inconclusive rounds neither break nor extend a streak.
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.9), true, clock.tick()).action, Action::None);
        GuardStateMachine::evaluate(rules, mem, few, true, clock.tick());
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.9), true, clock.tick()).action, Action::Rollback);
    }

    void mlNotServingIsNothingToGuard()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 1;
        GuardMemory mem;
        FakeClock clock;
        for (int i = 0; i < 5; ++i)
            QCOMPARE(GuardStateMachine::evaluate(rules, mem, WindowMetrics{}, false, clock.tick()).action,
                     Action::None);
        rules.enabled = false;
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.9), true, clock.tick()).action, Action::None);
    }

    void latchedUntilRearmed()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 1;
        GuardMemory mem;
        FakeClock clock;
        WindowMetrics slow = healthy();
        slow.latencyP95Ms = 3000;
        auto d = GuardStateMachine::evaluate(rules, mem, slow, true, clock.tick());
        QCOMPARE(d.action, Action::Halve);
        GuardStateMachine::latch(mem, d.action, d.summary, clock.now);
        QVERIFY(mem.latched);
        for (int i = 0; i < 20; ++i) {
            d = GuardStateMachine::evaluate(rules, mem, slow, true, clock.tick());
            QCOMPARE(d.action, Action::None);
            QVERIFY(d.summary.contains(QLatin1String("latched")));
        }
        // Escalation towards the safe state is still allowed from a "halve" latch.
        d = GuardStateMachine::evaluate(rules, mem, errors(0.8), true, clock.tick());
        QCOMPARE(d.action, Action::Rollback);
        GuardStateMachine::latch(mem, d.action, d.summary, clock.now);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.8), true, clock.tick()).action, Action::None);
        GuardStateMachine::rearm(mem);
        QVERIFY(!mem.latched);
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.8), true, clock.tick()).action, Action::Rollback);
    }

    void staleStreakRestarts()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 3;
        rules.intervalSeconds = 5;
        GuardMemory mem;
        FakeClock clock;
        GuardStateMachine::evaluate(rules, mem, errors(0.9), true, clock.tick());
        GuardStateMachine::evaluate(rules, mem, errors(0.9), true, clock.tick());
        // The guard was away for a minute: the third breach is the first of a new streak.
        QCOMPARE(GuardStateMachine::evaluate(rules, mem, errors(0.9), true, clock.tick(60)).action, Action::None);
        QCOMPARE(mem.severeStreak, 1);
    }

    // A classifier: accuracy under the rollback threshold is severe (ML off), under the minimum or a
    // log-loss over its maximum halves; too few labels judge nothing; the MAE rule has no say.
    void classifierAccuracy()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 2;
        rules.maxMae = 0.1; // would breach on any regression figure
        FakeClock clock;
        GuardMemory memory;
        QCOMPARE(GuardStateMachine::evaluate(rules, memory, classifier(0.9), true, clock.tick()).action, Action::None);
        QCOMPARE(GuardStateMachine::evaluate(rules, memory, classifier(0.4), true, clock.tick()).action, Action::None);
        const GuardDecision off = GuardStateMachine::evaluate(rules, memory, classifier(0.4), true, clock.tick());
        QCOMPARE(off.action, Action::Rollback);
        QCOMPARE(off.breaches, QStringList{QStringLiteral("accuracy 40.0 % < 50.0 %")});

        GuardMemory halving;
        GuardStateMachine::evaluate(rules, halving, classifier(0.55), true, clock.tick());
        QCOMPARE(GuardStateMachine::evaluate(rules, halving, classifier(0.55), true, clock.tick()).action,
                 Action::Halve);
        GuardMemory loss;
        WindowMetrics overconfident = classifier(0.9);
        overconfident.logLoss = 1.4;
        GuardStateMachine::evaluate(rules, loss, overconfident, true, clock.tick());
        const GuardDecision d = GuardStateMachine::evaluate(rules, loss, overconfident, true, clock.tick());
        QCOMPARE(d.action, Action::Halve);
        QVERIFY2(d.summary.contains(QLatin1String("log-loss 1.400 > 1.000")), qPrintable(d.summary));

        GuardMemory few;
        for (int i = 0; i < 4; ++i)
            QCOMPARE(GuardStateMachine::evaluate(rules, few, classifier(0.2, 10), true, clock.tick()).action,
                     Action::None);
        const QJsonObject figures = GuardStateMachine::auditFigures(classifier(0.4), rules, off);
        QCOMPARE(figures.value(QStringLiteral("accuracy")).toDouble(), 0.4);
        QVERIFY(!figures.contains(QStringLiteral("mae")));
        QCOMPARE(figures.value(QStringLiteral("rules")).toObject().value(QStringLiteral("min_accuracy")).toDouble(),
                 0.6);
    }

    void rulesValidation()
    {
        GuardRules r;
        QVERIFY(r.validate().isEmpty());
        r.consecutiveBreaches = 0;
        QVERIFY(!r.validate().isEmpty());
        r = GuardRules{};
        r.rollbackErrorRate = 1.5;
        QVERIFY(!r.validate().isEmpty());
        r = GuardRules{};
        r.windowSeconds = 1;
        QVERIFY(!r.validate().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestGuardStateMachine)
#include "test_guard_state_machine.moc"
