#pragma once

#include "core/domain/AlertRule.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace mldeck {

// Where one rule stands. Persisted per (deployment, rule) in mldeck.alert_rule_state so that a
// restarted guard keeps its pending timers.
enum class AlertRuleState
{
    Inactive,
    Pending,
    Firing,
    Resolved
}; // Resolved behaves like Inactive

QString alertRuleStateName(AlertRuleState s); // "inactive", "pending", "firing", "resolved"
std::optional<AlertRuleState> alertRuleStateFromName(const QString &name);

struct AlertRuleStatus
{
    AlertRuleState state = AlertRuleState::Inactive;
    qint64 pendingSinceSecs = 0; // when the condition became true (pending and firing), epoch seconds
    qint64 firingSinceSecs = 0;  // firing only
    qint64 resolvedAtSecs = 0;   // resolved only
    std::optional<double> lastValue;
    qint64 lastEvaluatedSecs = 0;
    qint64 clearingSinceSecs = 0; // firing only: since when the value has been past the resolve threshold

    bool operator==(const AlertRuleStatus &) const = default;
};

// What the guard saw for one rule in the last window.
struct RuleObservation
{
    qint64 predictions = 0;      // all paths, in the window
    std::optional<double> value; // the rule's metric; empty when it cannot be computed (no rows, no outcomes)
};

// What the caller must do after an evaluation.
enum class AlertTransition
{
    None,
    BecamePending,  // condition true, waiting for the pending period
    PendingCleared, // condition cleared before the period: nothing was raised
    Fired,          // raise the alert (and notify)
    Resolved,       // resolve the alert (and notify)
};
QString alertTransitionName(AlertTransition t);

struct AlertRuleEvaluation
{
    AlertRuleStatus status; // the new status to persist
    AlertTransition transition = AlertTransition::None;
    std::optional<bool> breaching; // empty: unknown (the metric could not be computed)
};

// The pure state machine of one rule:
//   inactive/resolved --(condition true)--> pending --(still true after pendingSeconds)--> firing
//   pending --(condition false)--> inactive
//   firing --(value past the resolve threshold for keepFiringSeconds: Hysteresis)--> resolved
// Between the firing and the resolve threshold a firing rule stays firing (and its clearing timer
// starts again); without a resolve threshold and keep-firing time it resolves as soon as the
// condition is false.
// An unknown condition (no value, or a value not finite: no predictions or no outcomes in the window)
// neither fires nor resolves: a pending rule stays pending, a firing rule keeps firing and its clearing
// timer stops (a gap without figures is not time past the resolve threshold; the next clearing figure
// starts it afresh). The no_data rule reports silence. A disabled rule goes inactive (a firing one
// resolves). Clock going backwards counts as no time elapsed.
AlertRuleEvaluation evaluateAlertRule(const AlertRule &rule, const AlertRuleStatus &previous,
                                      const RuleObservation &observation, qint64 nowSecs);

// The value a rule looks at: no_data -> the prediction count, otherwise observation.value.
std::optional<double> ruleValue(const AlertRule &rule, const RuleObservation &observation);

QJsonObject toJson(const AlertRuleStatus &status);

} // namespace mldeck
