#include "core/alerting/AlertRuleMachine.h"

#include <QTest>

using namespace mldeck;

namespace {

RuleObservation obs(std::optional<double> value, qint64 predictions = 100)
{
    return {predictions, value};
}

AlertRule failureRule(int pendingSeconds = 120)
{
    AlertRule r = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
    r.pendingSeconds = pendingSeconds;
    return r;
}

} // namespace

// The rule state machine against a mock clock: every call gets the time explicitly.
class TestAlertRuleMachine final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pendingThenFiringThenResolved()
    {
        const AlertRule rule = failureRule(120);
        AlertRuleStatus s;
        const qint64 t0 = 1'700'000'000;
        auto e = evaluateAlertRule(rule, s, obs(0.05), t0);
        QCOMPARE(e.transition, AlertTransition::None);
        QCOMPARE(e.status.state, AlertRuleState::Inactive);
        QCOMPARE(*e.status.lastValue, 0.05);
        QCOMPARE(*e.breaching, false);

        e = evaluateAlertRule(rule, e.status, obs(0.5), t0 + 15);
        QCOMPARE(e.transition, AlertTransition::BecamePending);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        QCOMPARE(e.status.pendingSinceSecs, t0 + 15);

        // Still breaching, 119 s in: still pending, the timer did not restart.
        e = evaluateAlertRule(rule, e.status, obs(0.4), t0 + 15 + 119);
        QCOMPARE(e.transition, AlertTransition::None);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        QCOMPARE(e.status.pendingSinceSecs, t0 + 15);

        // Exactly the pending period: fires.
        e = evaluateAlertRule(rule, e.status, obs(0.4), t0 + 15 + 120);
        QCOMPARE(e.transition, AlertTransition::Fired);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        QCOMPARE(e.status.firingSinceSecs, t0 + 135);
        QCOMPARE(e.status.pendingSinceSecs, t0 + 15);

        // Firing stays firing without a new transition.
        e = evaluateAlertRule(rule, e.status, obs(0.9), t0 + 200);
        QCOMPARE(e.transition, AlertTransition::None);
        QCOMPARE(e.status.state, AlertRuleState::Firing);

        // At the threshold is not a breach: resolves.
        e = evaluateAlertRule(rule, e.status, obs(0.20), t0 + 215);
        QCOMPARE(e.transition, AlertTransition::Resolved);
        QCOMPARE(e.status.state, AlertRuleState::Resolved);
        QCOMPARE(e.status.resolvedAtSecs, t0 + 215);

        // Resolved behaves like inactive: a new breach starts a new pending period.
        e = evaluateAlertRule(rule, e.status, obs(0.3), t0 + 230);
        QCOMPARE(e.transition, AlertTransition::BecamePending);
        QCOMPARE(e.status.pendingSinceSecs, t0 + 230);
        QCOMPARE(e.status.resolvedAtSecs, 0);
    }

    void pendingClearsBeforeThePeriod()
    {
        const AlertRule rule = failureRule(120);
        auto e = evaluateAlertRule(rule, {}, obs(0.5), 1000);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        e = evaluateAlertRule(rule, e.status, obs(0.1), 1100);
        QCOMPARE(e.transition, AlertTransition::PendingCleared);
        QCOMPARE(e.status.state, AlertRuleState::Inactive);
        QCOMPARE(e.status.pendingSinceSecs, 0);
        // The next breach starts a fresh period (no credit for the earlier one).
        e = evaluateAlertRule(rule, e.status, obs(0.5), 1115);
        QCOMPARE(e.status.pendingSinceSecs, 1115);
        e = evaluateAlertRule(rule, e.status, obs(0.5), 1115 + 119);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
    }

    void zeroPendingFiresAtOnce()
    {
        const AlertRule rule = failureRule(0);
        const auto e = evaluateAlertRule(rule, {}, obs(0.5), 50);
        QCOMPARE(e.transition, AlertTransition::Fired);
        QCOMPARE(e.status.pendingSinceSecs, 50);
        QCOMPARE(e.status.firingSinceSecs, 50);
    }

    void unknownValueHoldsTheState()
    {
        const AlertRule rule = failureRule(60);
        auto e = evaluateAlertRule(rule, {}, obs(0.5), 0);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        // No figure (e.g. no outcomes yet): does not fire even past the period...
        e = evaluateAlertRule(rule, e.status, obs(std::nullopt), 100);
        QCOMPARE(e.transition, AlertTransition::None);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        QVERIFY(!e.breaching.has_value());
        QVERIFY(!e.status.lastValue.has_value());
        // ... and fires on the next known breach, counting from the original start.
        e = evaluateAlertRule(rule, e.status, obs(0.5), 101);
        QCOMPARE(e.transition, AlertTransition::Fired);
        QCOMPARE(e.status.pendingSinceSecs, 0);
        // A firing rule does not resolve on an unknown figure.
        e = evaluateAlertRule(rule, e.status, obs(std::nullopt, 0), 200);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        QCOMPARE(e.transition, AlertTransition::None);
    }

    void noDataRule()
    {
        AlertRule rule = AlertRule::defaultFor(AlertRule::Metric::NoData);
        auto e = evaluateAlertRule(rule, {}, obs(std::nullopt, 12), 0);
        QCOMPARE(e.status.state, AlertRuleState::Inactive);
        QCOMPARE(*e.status.lastValue, 12.0);
        e = evaluateAlertRule(rule, e.status, obs(std::nullopt, 0), 15);
        QCOMPARE(e.transition, AlertTransition::Fired); // the 5-minute window is the "for how long"
        e = evaluateAlertRule(rule, e.status, obs(std::nullopt, 1), 30);
        QCOMPARE(e.transition, AlertTransition::Resolved);
        rule.pendingSeconds = 60;
        e = evaluateAlertRule(rule, {}, obs(std::nullopt, 0), 0);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        e = evaluateAlertRule(rule, e.status, obs(std::nullopt, 0), 60);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
    }

    void disablingResolves()
    {
        AlertRule rule = failureRule(0);
        auto e = evaluateAlertRule(rule, {}, obs(0.9), 0);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        rule.enabled = false;
        e = evaluateAlertRule(rule, e.status, obs(0.9), 15);
        QCOMPARE(e.transition, AlertTransition::Resolved);
        e = evaluateAlertRule(rule, e.status, obs(0.9), 30);
        QCOMPARE(e.transition, AlertTransition::None);
        QCOMPARE(e.status.state, AlertRuleState::Resolved);
        rule = failureRule(60);
        e = evaluateAlertRule(rule, {}, obs(0.9), 0);
        rule.enabled = false;
        e = evaluateAlertRule(rule, e.status, obs(0.9), 15);
        QCOMPARE(e.transition, AlertTransition::PendingCleared);
        QCOMPARE(e.status.state, AlertRuleState::Inactive);
    }

    void clockGoingBackwardsCountsAsNoTime()
    {
        const AlertRule rule = failureRule(60);
        auto e = evaluateAlertRule(rule, {}, obs(0.9), 1000);
        e = evaluateAlertRule(rule, e.status, obs(0.9), 900); // NTP step back
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        QCOMPARE(e.status.pendingSinceSecs, 1000);
        e = evaluateAlertRule(rule, e.status, obs(0.9), 1060);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
    }

    void belowRules()
    {
        AlertRule rule = AlertRule::defaultFor(AlertRule::Metric::R2);
        rule.pendingSeconds = 30;
        auto e = evaluateAlertRule(rule, {}, obs(0.70), 0);
        QCOMPARE(e.status.state, AlertRuleState::Inactive);
        e = evaluateAlertRule(rule, e.status, obs(0.60), 10);
        QCOMPARE(e.status.state, AlertRuleState::Pending);
        e = evaluateAlertRule(rule, e.status, obs(0.60), 40);
        QCOMPARE(e.status.state, AlertRuleState::Firing);
        e = evaluateAlertRule(rule, e.status, obs(0.75), 55);
        QCOMPARE(e.status.state, AlertRuleState::Resolved);
    }

    void stateNames()
    {
        for (AlertRuleState s :
             {AlertRuleState::Inactive, AlertRuleState::Pending, AlertRuleState::Firing, AlertRuleState::Resolved})
            QCOMPARE(alertRuleStateFromName(alertRuleStateName(s)), std::optional<AlertRuleState>(s));
        QVERIFY(!alertRuleStateFromName(QStringLiteral("on fire")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestAlertRuleMachine)
#include "test_alert_rule_machine.moc"
