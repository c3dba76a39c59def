#include "core/rollout/GuardStateMachine.h"
#include "core/Text.h"
#include "core/domain/Figure.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <cmath>

namespace mldeck {

namespace {

QString pct(double share)
{
    return QString::number(share * 100.0, 'f', 1) + QStringLiteral(" %");
}

} // namespace

QString GuardRules::validate() const
{
    if (windowSeconds < 10 || windowSeconds > 86400)
        return RolloutText::tr("The guard window must be from 10 s to 1 day (got %1 s).").arg(windowSeconds);
    if (minSamples < 1)
        return RolloutText::tr("The guard needs a minimum of at least 1 sample (got %1).").arg(minSamples);
    if (consecutiveBreaches < 1 || consecutiveBreaches > 100)
        return RolloutText::tr("Consecutive breaches must be from 1 to 100 (got %1).").arg(consecutiveBreaches);
    if (!(rollbackErrorRate > 0 && rollbackErrorRate <= 1))
        return RolloutText::tr("The rollback error rate must be a share above 0 and at most 1 (got %1).")
            .arg(rollbackErrorRate);
    if (!(maxLatencyP95Ms > 0))
        return RolloutText::tr("The latency threshold must be positive (got %1 ms).").arg(maxLatencyP95Ms);
    if (!(maxMae > 0))
        return RolloutText::tr("The MAE threshold must be positive (got %1).").arg(maxMae);
    if (!(minAccuracy > 0 && minAccuracy <= 1))
        return RolloutText::tr("The minimum accuracy must be a share above 0 and at most 1 (got %1).").arg(minAccuracy);
    if (!(rollbackAccuracy >= 0 && rollbackAccuracy <= minAccuracy))
        return RolloutText::tr("The rollback accuracy must be a share from 0 up to the minimum accuracy %1 (got %2).")
            .arg(minAccuracy)
            .arg(rollbackAccuracy);
    if (!(maxLogLoss > 0) || !std::isfinite(maxLogLoss))
        return RolloutText::tr("The log-loss threshold must be a positive number (got %1).").arg(maxLogLoss);
    if (intervalSeconds < 1 || intervalSeconds > 3600)
        return RolloutText::tr("The guard interval must be from 1 s to 1 h (got %1 s).").arg(intervalSeconds);
    return {};
}

QJsonObject GuardRules::toJson() const
{
    return QJsonObject{{QStringLiteral("enabled"), enabled},
                       {QStringLiteral("window_seconds"), windowSeconds},
                       {QStringLiteral("min_samples"), minSamples},
                       {QStringLiteral("consecutive_breaches"), consecutiveBreaches},
                       {QStringLiteral("rollback_error_rate"), rollbackErrorRate},
                       {QStringLiteral("max_latency_p95_ms"), maxLatencyP95Ms},
                       {QStringLiteral("max_mae"), maxMae},
                       {QStringLiteral("interval_seconds"), intervalSeconds},
                       {QStringLiteral("rollback_accuracy"), rollbackAccuracy},
                       {QStringLiteral("min_accuracy"), minAccuracy},
                       {QStringLiteral("max_log_loss"), maxLogLoss}};
}

QString GuardDecision::actionName(Action a)
{
    switch (a) {
    case Action::Rollback:
        return QStringLiteral("rollback");
    case Action::Halve:
        return QStringLiteral("halve");
    case Action::None:
        break;
    }
    return QStringLiteral("none");
}

GuardDecision GuardStateMachine::evaluate(const GuardRules &rules, GuardMemory &memory, const WindowMetrics &m,
                                          bool mlServing, const QDateTime &now)
{
    GuardDecision d;
    const int k = qMax(1, rules.consecutiveBreaches);

    // A streak must be consecutive in time: a gap of more than 3 intervals starts afresh.
    if (memory.lastEvaluatedAt.isValid() &&
        memory.lastEvaluatedAt.msecsTo(now) > 3LL * 1000 * qMax(1, rules.intervalSeconds)) {
        memory.severeStreak = 0;
        memory.degradedStreak = 0;
    }
    memory.lastEvaluatedAt = now;

    if (!rules.enabled) {
        memory.severeStreak = memory.degradedStreak = 0;
        d.summary = RolloutText::tr("guard disabled for this deployment");
        return d;
    }
    if (!mlServing) {
        memory.severeStreak = memory.degradedStreak = 0;
        d.summary = memory.latched ? RolloutText::tr("latched (%1); ML not serving").arg(memory.latchedAction)
                                   : RolloutText::tr("ML not serving: nothing to guard");
        return d;
    }

    bool severe = false;
    bool degraded = false;
    if (m.samples == 0) {
        severe = true;
        d.breaches
            << RolloutText::tr("no ML samples in the last %1 s (no data counts as a breach)").arg(rules.windowSeconds);
    } else if (m.samples < rules.minSamples) {
        d.inconclusive = true;
        d.summary = RolloutText::tr("inconclusive: %1 samples < minimum %2").arg(m.samples).arg(rules.minSamples);
        if (memory.latched)
            d.summary = RolloutText::tr("latched (%1); %2").arg(memory.latchedAction, d.summary);
        return d;
    } else {
        if (m.errorRate && *m.errorRate > rules.rollbackErrorRate) {
            severe = true;
            d.breaches << RolloutText::tr("error rate %1 > %2").arg(pct(*m.errorRate), pct(rules.rollbackErrorRate));
        }
        if (m.latencyP95Ms && *m.latencyP95Ms > rules.maxLatencyP95Ms) {
            degraded = true;
            d.breaches << RolloutText::tr("latency p95 %1 ms > %2 ms")
                              .arg(QString::number(*m.latencyP95Ms, 'f', 0),
                                   QString::number(rules.maxLatencyP95Ms, 'f', 0));
        }
        if (m.mae && *m.mae > rules.maxMae) {
            degraded = true;
            d.breaches << RolloutText::tr("MAE %1 > %2")
                              .arg(QString::number(*m.mae, 'f', 2), QString::number(rules.maxMae, 'f', 2));
        }
        // A classifier's quality counts once enough of the window is labelled (labels come late).
        if (m.classifier && m.labelled >= rules.minSamples) {
            if (m.accuracy && *m.accuracy < rules.rollbackAccuracy) {
                severe = true;
                d.breaches << RolloutText::tr("accuracy %1 < %2").arg(pct(*m.accuracy), pct(rules.rollbackAccuracy));
            } else if (m.accuracy && *m.accuracy < rules.minAccuracy) {
                degraded = true;
                d.breaches << RolloutText::tr("accuracy %1 < %2").arg(pct(*m.accuracy), pct(rules.minAccuracy));
            }
            if (m.logLoss && *m.logLoss > rules.maxLogLoss) {
                degraded = true;
                d.breaches << RolloutText::tr("log-loss %1 > %2")
                                  .arg(QString::number(*m.logLoss, 'f', 3), QString::number(rules.maxLogLoss, 'f', 3));
            }
        }
    }
    memory.severeStreak = severe ? memory.severeStreak + 1 : 0;
    memory.degradedStreak = (severe || degraded) ? memory.degradedStreak + 1 : 0;

    const QString figures = d.breaches.join(QStringLiteral("; "));
    // Escalation is the one exception to the latch: a guard latched on "halve" may still turn ML
    // off (it only ever moves towards the safe state, so it cannot flap).
    if (memory.latched && memory.latchedAction == GuardDecision::actionName(GuardDecision::Action::Halve) &&
        memory.severeStreak >= k) {
        d.action = GuardDecision::Action::Rollback;
        d.summary = RolloutText::tr("ML OFF (escalation after halving) after %1 consecutive breaches: %2")
                        .arg(memory.severeStreak)
                        .arg(figures);
        return d;
    }
    if (memory.latched) {
        d.summary = RolloutText::tr("latched (%1) since %2: not acting again until re-armed%3")
                        .arg(memory.latchedAction, memory.latchedAt.toString(Qt::ISODate),
                             figures.isEmpty() ? QString() : QStringLiteral("; ") + figures);
        return d;
    }
    if (memory.severeStreak >= k) {
        d.action = GuardDecision::Action::Rollback;
        d.summary = RolloutText::tr("ML OFF after %1 consecutive breaches: %2").arg(memory.severeStreak).arg(figures);
    } else if (memory.degradedStreak >= k) {
        d.action = GuardDecision::Action::Halve;
        d.summary = RolloutText::tr("percentage halved after %1 consecutive breaches: %2")
                        .arg(memory.degradedStreak)
                        .arg(figures);
    } else if (!d.breaches.isEmpty()) {
        d.summary = RolloutText::tr("breach %1 of %2 (waiting for %2 in a row): %3")
                        .arg(qMax(memory.severeStreak, memory.degradedStreak))
                        .arg(k)
                        .arg(figures);
    } else {
        d.summary = RolloutText::tr("healthy: %1 samples").arg(m.samples);
    }
    return d;
}

void GuardStateMachine::latch(GuardMemory &memory, GuardDecision::Action action, const QString &reason,
                              const QDateTime &now)
{
    memory.latched = true;
    memory.latchedAt = now;
    memory.latchedAction = GuardDecision::actionName(action);
    memory.latchedReason = reason;
    memory.severeStreak = memory.degradedStreak = 0;
}

void GuardStateMachine::rearm(GuardMemory &memory)
{
    memory.latched = false;
    memory.latchedAt = {};
    memory.latchedAction.clear();
    memory.latchedReason.clear();
    memory.severeStreak = memory.degradedStreak = 0;
}

QJsonObject GuardStateMachine::auditFigures(const WindowMetrics &m, const GuardRules &r, const GuardDecision &d)
{
    if (m.classifier)
        return QJsonObject{
            {QStringLiteral("samples"), m.samples},
            {QStringLiteral("labelled"), m.labelled},
            {QStringLiteral("error_rate"), figureJson(m.errorRate)},
            {QStringLiteral("latency_p95_ms"), figureJson(m.latencyP95Ms)},
            {QStringLiteral("accuracy"), figureJson(m.accuracy)},
            {QStringLiteral("f1"), figureJson(m.f1)},
            {QStringLiteral("log_loss"), figureJson(m.logLoss)},
            {QStringLiteral("ece"), figureJson(m.ece)},
            {QStringLiteral("window_s"), r.windowSeconds},
            {QStringLiteral("consecutive_breaches"), r.consecutiveBreaches},
            {QStringLiteral("rules"), QJsonObject{{QStringLiteral("rollback_error_rate"), r.rollbackErrorRate},
                                                  {QStringLiteral("max_latency_p95_ms"), r.maxLatencyP95Ms},
                                                  {QStringLiteral("rollback_accuracy"), r.rollbackAccuracy},
                                                  {QStringLiteral("min_accuracy"), r.minAccuracy},
                                                  {QStringLiteral("max_log_loss"), r.maxLogLoss},
                                                  {QStringLiteral("min_samples"), r.minSamples}}},
            {QStringLiteral("breaches"), QJsonArray::fromStringList(d.breaches)},
            {QStringLiteral("action"), GuardDecision::actionName(d.action)},
        };
    return QJsonObject{
        {QStringLiteral("samples"), m.samples},
        {QStringLiteral("labelled"), m.labelled},
        {QStringLiteral("error_rate"), figureJson(m.errorRate)},
        {QStringLiteral("latency_p95_ms"), figureJson(m.latencyP95Ms)},
        {QStringLiteral("mae"), figureJson(m.mae)},
        {QStringLiteral("r2"), figureJson(m.r2)},
        {QStringLiteral("window_s"), r.windowSeconds},
        {QStringLiteral("consecutive_breaches"), r.consecutiveBreaches},
        {QStringLiteral("rules"), QJsonObject{{QStringLiteral("rollback_error_rate"), r.rollbackErrorRate},
                                              {QStringLiteral("max_latency_p95_ms"), r.maxLatencyP95Ms},
                                              {QStringLiteral("max_mae"), r.maxMae},
                                              {QStringLiteral("min_samples"), r.minSamples}}},
        {QStringLiteral("breaches"), QJsonArray::fromStringList(d.breaches)},
        {QStringLiteral("action"), GuardDecision::actionName(d.action)},
    };
}

} // namespace mldeck
