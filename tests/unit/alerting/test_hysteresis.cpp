#include "core/alerting/AlertRuleMachine.h"
#include "core/domain/Hysteresis.h"

#include <QJsonObject>
#include <QTest>

using namespace mldeck;

namespace {

// Fires above 20 %, resolves once at or below 15 % for 5 min; no pending period.
AlertRule bandRule()
{
    AlertRule r = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
    r.pendingSeconds = 0;
    r.resolveThreshold = 0.15;
    r.keepFiringSeconds = 300;
    return r;
}

RuleObservation obs(std::optional<double> value)
{
    return {100, value};
}

} // namespace

// Alerts that do not flap: the pure Hysteresis and the alert rule machine with a resolve threshold
// and a keep-firing time, against a mock clock.
class TestHysteresis final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Without a resolve threshold and keep-firing time it is a plain threshold.
    void defaultsAreAPlainThreshold()
    {
        Hysteresis h;
        h.fireThreshold = 10;
        HysteresisState s;
        s = h.next(s, 11, 100);
        QVERIFY(s.active);
        s = h.next(s, 10, 101); // at the threshold is not a breach
        QVERIFY(!s.active);
        QCOMPARE(s.clearingSinceSecs, 0);
        QVERIFY(h.resolveOnSafeSide());
    }

    void bandAndTimer()
    {
        Hysteresis h{Hysteresis::Breach::Above, 20, 15, 60};
        HysteresisState s = h.next({}, 21, 0);
        QCOMPARE(s, (HysteresisState{true, 0}));
        s = h.next(s, 17, 10); // between: stays active, no timer
        QCOMPARE(s, (HysteresisState{true, 0}));
        s = h.next(s, 15, 20); // at the resolve threshold clears: the timer starts
        QCOMPARE(s, (HysteresisState{true, 20}));
        QCOMPARE(h.clearingLeftSecs(s, 50), 30);
        s = h.next(s, std::nullopt, 90); // unknown: neither resets nor completes the timer
        QCOMPARE(s, (HysteresisState{true, 20}));
        s = h.next(s, 16, 70); // back between the thresholds: the timer stops
        QCOMPARE(s, (HysteresisState{true, 0}));
        s = h.next(s, 10, 100);
        s = h.next(s, 10, 159);
        QVERIFY(s.active);
        s = h.next(s, 10, 160);
        QCOMPARE(s, (HysteresisState{false, 0}));
        QCOMPARE(h.clearingLeftSecs(s, 160), 0);
        // Not finite counts as unknown.
        QCOMPARE(h.next({true, 5}, qQNaN(), 1000), (HysteresisState{true, 5}));
    }

    // Gap::Restart: an unknown value stops a running clearing timer (a stretch without figures is not time
    // seen past the resolve threshold), keeps the condition active, and never activates an inactive one.
    void gapRestartsTheClearing()
    {
        Hysteresis h{Hysteresis::Breach::Above, 20, 15, 60, Hysteresis::Gap::Restart};
        HysteresisState s = h.next({}, 21, 0);
        s = h.next(s, 10, 10);
        QCOMPARE(s, (HysteresisState{true, 10}));
        s = h.next(s, std::nullopt, 40);
        QCOMPARE(s, (HysteresisState{true, 0}));
        s = h.next(s, 10, 100); // 90 s after the first clearing figure, but the timer starts again here
        QCOMPARE(s, (HysteresisState{true, 100}));
        QCOMPARE(h.next(s, qQNaN(), 200), (HysteresisState{true, 0}));
        s = h.next(s, 10, 160);
        QCOMPARE(s, (HysteresisState{false, 0}));
        QCOMPARE(h.next({}, std::nullopt, 300), HysteresisState{});
    }

    void directions()
    {
        Hysteresis below{Hysteresis::Breach::Below, 0.9, 0.95, 0};
        QVERIFY(below.resolveOnSafeSide());
        QVERIFY(below.breaches(0.89));
        QVERIFY(!below.clears(0.94));
        QVERIFY(below.clears(0.95));
        below.resolveThreshold = 0.8;
        QVERIFY(!below.resolveOnSafeSide());

        // no_data: at most 0 predictions breaches; resolves once more than 100 arrive.
        Hysteresis silence{Hysteresis::Breach::AtOrBelow, 0, 100, 0};
        QVERIFY(silence.breaches(0));
        QVERIFY(!silence.clears(100));
        QVERIFY(silence.clears(101));
        QVERIFY(silence.resolveOnSafeSide());

        Hysteresis above{Hysteresis::Breach::Above, 20, 25, 0};
        QVERIFY(!above.resolveOnSafeSide());
        above.resolveThreshold = 20; // equal: no band, allowed
        QVERIFY(above.resolveOnSafeSide());
        above.keepFiringSeconds = Hysteresis::maxKeepFiringSeconds + 1;
        QVERIFY(!above.keepFiringInRange());
    }

    // A metric oscillating between the two thresholds for hours: exactly one firing, no resolve;
    // then past the resolve threshold: it resolves only once that has lasted the keep-firing time.
    void oscillationFiresOnceAndResolvesAfterKeepFiring()
    {
        const AlertRule rule = bandRule();
        AlertRuleStatus s;
        int fired = 0;
        int resolved = 0;
        qint64 t = 1'700'000'000;
        const auto step = [&](double value) {
            const AlertRuleEvaluation e = evaluateAlertRule(rule, s, obs(value), t);
            fired += e.transition == AlertTransition::Fired;
            resolved += e.transition == AlertTransition::Resolved;
            s = e.status;
            t += 30;
        };
        for (int i = 0; i < 480; ++i) // 4 hours: 25 %, 17 %, 22 %, 16 %, ...
            step(i % 2 == 0 ? (i % 4 == 0 ? 0.25 : 0.22) : (i % 4 == 1 ? 0.17 : 0.16));
        QCOMPARE(fired, 1);
        QCOMPARE(resolved, 0);
        QCOMPARE(s.state, AlertRuleState::Firing);

        // Below the resolve threshold for 4.5 min, then back between: still firing, the timer reset.
        const qint64 firstClear = t;
        for (int i = 0; i < 10; ++i)
            step(0.10);
        QCOMPARE(s.clearingSinceSecs, firstClear);
        step(0.18);
        QCOMPARE(s.state, AlertRuleState::Firing);
        QCOMPARE(s.clearingSinceSecs, 0);
        QCOMPARE(resolved, 0);

        // Past the resolve threshold for the full 5 min: resolves at exactly 300 s.
        const qint64 clearFrom = t;
        while (s.state == AlertRuleState::Firing)
            step(0.12);
        QCOMPARE(resolved, 1);
        QCOMPARE(fired, 1);
        QCOMPARE(s.resolvedAtSecs, clearFrom + 300);
        QCOMPARE(s.clearingSinceSecs, 0);
    }

    // A restarted guard knows only what was persisted: the clearing timer goes on from where it was.
    void restartMidClearingKeepsTheTimer()
    {
        const AlertRule rule = bandRule();
        AlertRuleEvaluation e = evaluateAlertRule(rule, {}, obs(0.5), 1000);
        QCOMPARE(e.transition, AlertTransition::Fired);
        e = evaluateAlertRule(rule, e.status, obs(0.05), 1100);
        QCOMPARE(e.status.clearingSinceSecs, 1100);
        // The fields AlertRuleStore persists (and the JSON the guard puts in the alert's details).
        AlertRuleStatus persisted;
        persisted.state = e.status.state;
        persisted.pendingSinceSecs = e.status.pendingSinceSecs;
        persisted.firingSinceSecs = e.status.firingSinceSecs;
        persisted.lastValue = e.status.lastValue;
        persisted.lastEvaluatedSecs = e.status.lastEvaluatedSecs;
        persisted.clearingSinceSecs = e.status.clearingSinceSecs;
        QVERIFY(!toJson(persisted).value(QStringLiteral("clearing_since")).isNull());
        e = evaluateAlertRule(rule, persisted, obs(0.05), 1399);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        e = evaluateAlertRule(rule, e.status, obs(0.05), 1400);
        QCOMPARE(e.transition, AlertTransition::Resolved);
    }

    // A firing rule's clearing timer does not run through a gap without figures (no outcomes for MAE, say):
    // one clearing figure after the gap does not resolve it; the keep-firing time starts again from there.
    void gapWithoutFiguresDoesNotCountAsClearing()
    {
        const AlertRule rule = bandRule(); // resolves at <= 15 % for 300 s
        AlertRuleEvaluation e = evaluateAlertRule(rule, {}, obs(0.5), 1000);
        QCOMPARE(e.transition, AlertTransition::Fired);
        e = evaluateAlertRule(rule, e.status, obs(0.05), 1100);
        QCOMPARE(e.status.clearingSinceSecs, 1100);
        for (qint64 t = 1130; t <= 2300; t += 30) { // 20 minutes without a figure
            e = evaluateAlertRule(rule, e.status, obs(std::nullopt), t);
            QCOMPARE(e.status.state, AlertRuleState::Firing);
            QCOMPARE(e.transition, AlertTransition::None);
        }
        QCOMPARE(e.status.clearingSinceSecs, 0);
        e = evaluateAlertRule(rule, e.status, obs(0.05), 2330);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        QCOMPARE(e.status.clearingSinceSecs, 2330);
        e = evaluateAlertRule(rule, e.status, obs(0.05), 2629);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        e = evaluateAlertRule(rule, e.status, obs(0.05), 2630);
        QCOMPARE(e.transition, AlertTransition::Resolved);
    }

    // A value that is not finite is unknown on every path: a pending rule stays pending (it does not
    // clear), a firing one keeps firing, and it is not stored as the last value.
    void notFiniteIsUnknown()
    {
        AlertRule rule = bandRule();
        rule.pendingSeconds = 60;
        AlertRuleEvaluation e = evaluateAlertRule(rule, {}, obs(0.3), 0);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        for (double v : {qQNaN(), qInf(), -qInf()}) {
            const AlertRuleEvaluation held = evaluateAlertRule(rule, e.status, obs(v), 30);
            QCOMPARE(held.transition, AlertTransition::None);
            QCOMPARE(held.status.state, AlertRuleState::Pending);
            QCOMPARE(held.status.pendingSinceSecs, 0);
            QVERIFY(!held.status.lastValue);
            QVERIFY(!held.breaching);
        }
        e = evaluateAlertRule(rule, e.status, obs(0.3), 60);
        QCOMPARE(e.transition, AlertTransition::Fired);
        e = evaluateAlertRule(rule, e.status, obs(qQNaN()), 90);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        QVERIFY(!e.status.lastValue);
        rule.enabled = false; // a disabled rule still resolves, and stores no NaN either
        e = evaluateAlertRule(rule, e.status, obs(qQNaN()), 120);
        QCOMPARE(e.transition, AlertTransition::Resolved);
        QVERIFY(!e.status.lastValue);
    }

    // Pending uses the firing threshold only: between the thresholds a pending rule clears.
    void pendingIsNotHeldByTheBand()
    {
        AlertRule rule = bandRule();
        rule.pendingSeconds = 60;
        AlertRuleEvaluation e = evaluateAlertRule(rule, {}, obs(0.3), 0);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        e = evaluateAlertRule(rule, e.status, obs(0.17), 30);
        QCOMPARE(e.transition, AlertTransition::PendingCleared);
    }

    // A disabled rule resolves at once, whatever its keep-firing time.
    void disablingResolvesAtOnce()
    {
        AlertRule rule = bandRule();
        AlertRuleEvaluation e = evaluateAlertRule(rule, {}, obs(0.3), 0);
        rule.enabled = false;
        e = evaluateAlertRule(rule, e.status, obs(0.3), 10);
        QCOMPARE(e.transition, AlertTransition::Resolved);
    }

    void ruleValidationJsonAndText()
    {
        AlertRule r = bandRule();
        QVERIFY(r.problems().isEmpty());
        QCOMPARE(r.describe(), QStringLiteral("failure rate > 20.0 % over 300 s; resolves at ≤ 15.0 % for 300 s"));
        const auto back = AlertRule::fromJson(r.toJson());
        QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
        QCOMPARE(*back, r);
        // Without hysteresis the two keys are left out, so an older version (which refuses unknown keys) still
        // reads the rule; read back as none; old definitions without the keys read too.
        AlertRule plain = AlertRule::defaultFor(AlertRule::Metric::Mae);
        QVERIFY(!plain.toJson().contains(QStringLiteral("resolve_threshold")));
        QVERIFY(!plain.toJson().contains(QStringLiteral("keep_firing_seconds")));
        QCOMPARE(plain.toJson().keys(),
                 (QStringList{QStringLiteral("comparison"), QStringLiteral("enabled"), QStringLiteral("for_seconds"),
                              QStringLiteral("id"), QStringLiteral("metric"), QStringLiteral("severity"),
                              QStringLiteral("threshold"), QStringLiteral("window_seconds")}));
        QCOMPARE(r.toJson().value(QStringLiteral("resolve_threshold")).toDouble(), 0.15);
        QCOMPARE(r.toJson().value(QStringLiteral("keep_firing_seconds")).toInt(), 300);
        QCOMPARE(AlertRule::fromJson(plain.toJson()).value(), plain);
        QCOMPARE(AlertRule::fromJson({{QStringLiteral("metric"), QStringLiteral("mae")}}).value(), plain);

        r.resolveThreshold = 0.25; // on the wrong side of "> 20 %"
        r.keepFiringSeconds = -5;
        const QList<AlertRule::Problem> all = r.problems();
        QCOMPARE(all.size(), 2);
        QCOMPARE(all[0].field, AlertRule::Field::ResolveThreshold);
        QVERIFY2(all[0].message.contains(QStringLiteral("at or below the firing threshold (20.0 %)")),
                 qPrintable(all[0].message));
        QCOMPARE(all[1].field, AlertRule::Field::KeepFiring);
        QVERIFY(!AlertRule::fromJson(r.toJson()).ok());
        r.resolveThreshold = 1.5; // out of a share's range
        r.keepFiringSeconds = 0;
        QCOMPARE(r.problems().value(0).field, AlertRule::Field::ResolveThreshold);

        AlertRule accuracy = AlertRule::defaultFor(AlertRule::Metric::Accuracy); // < 90 %
        accuracy.resolveThreshold = 0.85;
        QVERIFY2(accuracy.problems().value(0).message.contains(QStringLiteral("at or above the firing threshold")),
                 qPrintable(accuracy.problems().value(0).message));
        accuracy.resolveThreshold = 0.95;
        QVERIFY(accuracy.problems().isEmpty());

        const auto wrongType = AlertRule::fromJson({{QStringLiteral("metric"), QStringLiteral("mae")},
                                                    {QStringLiteral("resolve_threshold"), QStringLiteral("2")}});
        QVERIFY(!wrongType.ok());
        QVERIFY(wrongType.errorMessage().contains(QStringLiteral("resolve_threshold")));
        const auto fraction = AlertRule::fromJson(
            {{QStringLiteral("metric"), QStringLiteral("mae")}, {QStringLiteral("keep_firing_seconds"), 1.5}});
        QVERIFY(!fraction.ok());

        // An R² resolve threshold above 1 is never reached: the message says so, not that it "always fires".
        AlertRule r2 = AlertRule::defaultFor(AlertRule::Metric::R2); // < 0.68
        r2.resolveThreshold = 1.2;
        QCOMPARE(r2.problems().size(), 1);
        QCOMPARE(r2.problems()[0].field, AlertRule::Field::ResolveThreshold);
        QVERIFY2(r2.problems()[0].message.contains(QStringLiteral("resolve threshold of 1.2 is never reached")),
                 qPrintable(r2.problems()[0].message));
        r2.threshold = 1.2;
        r2.resolveThreshold.reset();
        QVERIFY(r2.problems().value(0).message.contains(QStringLiteral("always fires")));

        AlertRule silence = AlertRule::defaultFor(AlertRule::Metric::NoData);
        silence.resolveThreshold = 100;
        silence.keepFiringSeconds = 120;
        QVERIFY(silence.problems().isEmpty());
        QCOMPARE(silence.describe(),
                 QStringLiteral("no predictions in 300 s; resolves at > 100 predictions for 120 s"));
    }
};

QTEST_GUILESS_MAIN(TestHysteresis)
#include "test_hysteresis.moc"
