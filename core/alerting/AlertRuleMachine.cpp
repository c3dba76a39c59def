#include "core/alerting/AlertRuleMachine.h"

#include "core/domain/Figure.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace mldeck {

QString alertRuleStateName(AlertRuleState s)
{
    switch (s) {
    case AlertRuleState::Inactive:
        return QStringLiteral("inactive");
    case AlertRuleState::Pending:
        return QStringLiteral("pending");
    case AlertRuleState::Firing:
        return QStringLiteral("firing");
    case AlertRuleState::Resolved:
        return QStringLiteral("resolved");
    }
    return {};
}

std::optional<AlertRuleState> alertRuleStateFromName(const QString &name)
{
    for (AlertRuleState s :
         {AlertRuleState::Inactive, AlertRuleState::Pending, AlertRuleState::Firing, AlertRuleState::Resolved})
        if (alertRuleStateName(s) == name)
            return s;
    return std::nullopt;
}

QString alertTransitionName(AlertTransition t)
{
    switch (t) {
    case AlertTransition::None:
        return QStringLiteral("none");
    case AlertTransition::BecamePending:
        return QStringLiteral("pending");
    case AlertTransition::PendingCleared:
        return QStringLiteral("cleared");
    case AlertTransition::Fired:
        return QStringLiteral("firing");
    case AlertTransition::Resolved:
        return QStringLiteral("resolved");
    }
    return {};
}

std::optional<double> ruleValue(const AlertRule &rule, const RuleObservation &observation)
{
    if (rule.metric == AlertRule::Metric::NoData)
        return static_cast<double>(observation.predictions);
    return observation.value;
}

AlertRuleEvaluation evaluateAlertRule(const AlertRule &rule, const AlertRuleStatus &previous,
                                      const RuleObservation &observation, qint64 nowSecs)
{
    AlertRuleEvaluation out;
    out.status = previous;
    out.status.lastEvaluatedSecs = nowSecs;
    // Not finite is unknown too, for the pending path as for the hysteresis (and is not stored).
    std::optional<double> value = ruleValue(rule, observation);
    if (value && !std::isfinite(*value))
        value.reset();
    out.status.lastValue = value;

    const bool firing = previous.state == AlertRuleState::Firing;
    const bool pending = previous.state == AlertRuleState::Pending;

    // The condition no longer holds (or the rule was switched off): a firing alert resolves, a
    // pending one clears without ever having fired.
    const auto clear = [&] {
        if (firing) {
            out.status = {AlertRuleState::Resolved, 0, 0, nowSecs, value, nowSecs};
            out.transition = AlertTransition::Resolved;
        } else if (pending) {
            out.status = {AlertRuleState::Inactive, 0, 0, 0, value, nowSecs};
            out.transition = AlertTransition::PendingCleared;
        }
        return out;
    };

    if (!rule.enabled)
        return clear();
    if (value)
        out.breaching = rule.breaches(*value);

    if (firing) {
        // Unknown: still firing, and its clearing timer stops (Hysteresis::Gap::Restart).
        const HysteresisState next = rule.hysteresis().next({true, previous.clearingSinceSecs}, value, nowSecs);
        if (!next.active)
            return clear();
        out.status.clearingSinceSecs = next.clearingSinceSecs;
        return out; // still firing: the caller refreshes the open alert
    }
    if (!value)
        return out; // unknown: a pending rule neither fires nor clears
    if (!*out.breaching)
        return clear();
    const qint64 since = pending ? previous.pendingSinceSecs : nowSecs;
    const qint64 elapsed = std::max<qint64>(0, nowSecs - since);
    if (elapsed >= rule.pendingSeconds) {
        out.status.state = AlertRuleState::Firing;
        out.status.pendingSinceSecs = since;
        out.status.firingSinceSecs = nowSecs;
        out.status.resolvedAtSecs = 0;
        out.transition = AlertTransition::Fired;
    } else if (!pending) {
        out.status.state = AlertRuleState::Pending;
        out.status.pendingSinceSecs = since;
        out.status.firingSinceSecs = 0;
        out.status.resolvedAtSecs = 0;
        out.transition = AlertTransition::BecamePending;
    }
    return out;
}

QJsonObject toJson(const AlertRuleStatus &status)
{
    auto iso = [](qint64 secs) {
        return secs > 0 ? QJsonValue(QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(Qt::ISODate)) : QJsonValue();
    };
    return {
        {QStringLiteral("state"), alertRuleStateName(status.state)},
        {QStringLiteral("pending_since"),
         iso(status.state == AlertRuleState::Pending || status.state == AlertRuleState::Firing ? status.pendingSinceSecs
                                                                                               : 0)},
        {QStringLiteral("firing_since"), iso(status.firingSinceSecs)},
        {QStringLiteral("resolved_at"), iso(status.resolvedAtSecs)},
        {QStringLiteral("last_value"), figureJson(status.lastValue)},
        {QStringLiteral("last_evaluated"), iso(status.lastEvaluatedSecs)},
        {QStringLiteral("clearing_since"), iso(status.state == AlertRuleState::Firing ? status.clearingSinceSecs : 0)}};
}

} // namespace mldeck
