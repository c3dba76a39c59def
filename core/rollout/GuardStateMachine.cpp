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

const QString kRollbackErrorRate = QStringLiteral("rollback_error_rate");
const QString kRollbackAccuracy = QStringLiteral("rollback_accuracy");
const QString kMaxLatency = QStringLiteral("max_latency_p95_ms");
const QString kMaxMae = QStringLiteral("max_mae");
const QString kMinAccuracy = QStringLiteral("min_accuracy");
const QString kMaxLogLoss = QStringLiteral("max_log_loss");

// A condition's figure as people read it.
QString figure(const QString &condition, double v)
{
    if (condition == kRollbackErrorRate || condition == kRollbackAccuracy || condition == kMinAccuracy)
        return pct(v);
    if (condition == kMaxLatency)
        return QString::number(v, 'f', 0) + QStringLiteral(" ms");
    if (condition == kMaxLogLoss)
        return QString::number(v, 'f', 3);
    return QString::number(v, 'f', 2);
}

// The breach line of a condition whose value breaches its firing threshold (the wording the guard
// has always used).
QString breachText(const QString &condition, double v, double threshold)
{
    if (condition == kRollbackErrorRate)
        return RolloutText::tr("error rate %1 > %2").arg(pct(v), pct(threshold));
    if (condition == kMaxLatency)
        return RolloutText::tr("latency p95 %1 ms > %2 ms")
            .arg(QString::number(v, 'f', 0), QString::number(threshold, 'f', 0));
    if (condition == kMaxMae)
        return RolloutText::tr("MAE %1 > %2").arg(QString::number(v, 'f', 2), QString::number(threshold, 'f', 2));
    if (condition == kMaxLogLoss)
        return RolloutText::tr("log-loss %1 > %2").arg(QString::number(v, 'f', 3), QString::number(threshold, 'f', 3));
    return RolloutText::tr("accuracy %1 < %2").arg(pct(v), pct(threshold));
}

} // namespace

QStringList GuardRules::rollbackConditions()
{
    return {kRollbackErrorRate, kRollbackAccuracy};
}

QStringList GuardRules::halveConditions()
{
    return {kMaxLatency, kMaxMae, kMinAccuracy, kMaxLogLoss};
}

QStringList GuardRules::rollbackConditions(bool classifier)
{
    return classifier ? rollbackConditions() : QStringList{kRollbackErrorRate};
}

QStringList GuardRules::halveConditions(bool classifier)
{
    return classifier ? QStringList{kMaxLatency, kMinAccuracy, kMaxLogLoss} : QStringList{kMaxLatency, kMaxMae};
}

Hysteresis GuardRules::conditionHysteresis(const QString &condition) const
{
    Hysteresis h;
    h.breach = Hysteresis::Breach::Above;
    if (condition == kRollbackErrorRate)
        h.fireThreshold = rollbackErrorRate;
    else if (condition == kMaxLatency)
        h.fireThreshold = maxLatencyP95Ms;
    else if (condition == kMaxMae)
        h.fireThreshold = maxMae;
    else if (condition == kMaxLogLoss)
        h.fireThreshold = maxLogLoss;
    else {
        h.breach = Hysteresis::Breach::Below;
        h.fireThreshold = condition == kRollbackAccuracy ? rollbackAccuracy : minAccuracy;
    }
    const ConditionHysteresis c = hysteresis.value(condition);
    h.resolveThreshold = c.resolveThreshold;
    h.keepFiringSeconds = c.keepFiringSeconds;
    return h;
}

QJsonObject GuardRules::hysteresisJson() const
{
    QJsonObject out;
    for (auto it = hysteresis.cbegin(); it != hysteresis.cend(); ++it) {
        QJsonObject c{{QStringLiteral("keep_firing_s"), it.value().keepFiringSeconds}};
        if (it.value().resolveThreshold)
            c.insert(QStringLiteral("resolve"), *it.value().resolveThreshold);
        out.insert(it.key(), c);
    }
    return out;
}

void GuardRules::readConditionSettings(const QJsonObject &rollback, const QJsonObject &halve, const QJsonObject &stored)
{
    // An unreadable combination must not stop the guard: the default (any breaching condition acts).
    QStringList problems;
    const auto read = [&](const QJsonObject &json, const QString &action) {
        auto c = GateCombination::fromJson(json, GateCombination::Mode::Any);
        if (c)
            return *c;
        problems
            << RolloutText::tr("the %1 combination cannot be read (%2), \"any\" is used").arg(action, c.errorMessage());
        return GateCombination{GateCombination::Mode::Any, 1, {}};
    };
    const GateCombination r = read(rollback, RolloutText::tr("ML off"));
    const GateCombination h = read(halve, RolloutText::tr("halving"));
    QMap<QString, ConditionHysteresis> conditions;
    for (auto it = stored.constBegin(); it != stored.constEnd(); ++it) {
        const QJsonObject o = it.value().toObject();
        ConditionHysteresis c;
        if (o.value(QStringLiteral("resolve")).isDouble())
            c.resolveThreshold = o.value(QStringLiteral("resolve")).toDouble();
        c.keepFiringSeconds = o.value(QStringLiteral("keep_firing_s")).toInt();
        conditions.insert(it.key(), c);
    }
    rollbackCombination = r;
    halveCombination = h;
    hysteresis = conditions;
    settingsProblem = problems.join(QStringLiteral("; "));
}

QJsonObject GuardMemory::conditionsJson() const
{
    QJsonObject out;
    for (auto it = conditions.cbegin(); it != conditions.cend(); ++it)
        out.insert(it.key(), QJsonObject{{QStringLiteral("active"), it.value().active},
                                         {QStringLiteral("clearing_since"), double(it.value().clearingSinceSecs)}});
    return out;
}

QMap<QString, HysteresisState> GuardMemory::conditionsFromJson(const QJsonObject &json)
{
    QMap<QString, HysteresisState> out;
    for (auto it = json.constBegin(); it != json.constEnd(); ++it) {
        const QJsonObject o = it.value().toObject();
        out.insert(it.key(), HysteresisState{o.value(QStringLiteral("active")).toBool(),
                                             qint64(o.value(QStringLiteral("clearing_since")).toDouble())});
    }
    return out;
}

QString GuardRules::validate(std::optional<bool> classifier) const
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
    // Each action needs a condition of the task that decides: "all" of none would act on every round,
    // "any" or "at least N" of too few would never act.
    const auto check = [](const GateCombination &c, const QStringList &known, const QStringList &present,
                          const QString &action) {
        const QString never = c.validate(known, {}, present);
        if (!never.isEmpty())
            return never;
        if (c.deciding(present).isEmpty())
            return RolloutText::tr("no condition decides (%1 advisory): the guard would never %2.")
                .arg(c.advisory.join(QStringLiteral(", ")), action);
        return QString();
    };
    const auto checkTask = [&](bool isClassifier) {
        const QString task =
            isClassifier ? RolloutText::tr("a classifier") : RolloutText::tr("a regression deployment");
        if (const QString why = check(rollbackCombination, rollbackConditions(), rollbackConditions(isClassifier),
                                      RolloutText::tr("turn ML off"));
            !why.isEmpty())
            return RolloutText::tr("Rollback conditions of %1: %2").arg(task, why);
        if (const QString why = check(halveCombination, halveConditions(), halveConditions(isClassifier),
                                      RolloutText::tr("halve the percentage"));
            !why.isEmpty())
            return RolloutText::tr("Halving conditions of %1: %2").arg(task, why);
        return QString();
    };
    if (classifier) {
        if (const QString why = checkTask(*classifier); !why.isEmpty())
            return why;
    } else if (const QString regression = checkTask(false); !regression.isEmpty()) {
        if (!checkTask(true).isEmpty())
            return regression;
    }
    const QStringList known = rollbackConditions() + halveConditions();
    for (auto it = hysteresis.cbegin(); it != hysteresis.cend(); ++it) {
        if (!known.contains(it.key()))
            return RolloutText::tr("\"%1\" is not a guard condition (known: %2).")
                .arg(it.key(), known.join(QStringLiteral(", ")));
        const Hysteresis h = conditionHysteresis(it.key());
        if (const QString why = h.keepFiringProblem(); !why.isEmpty())
            return RolloutText::tr("%1: %2").arg(it.key(), why);
        if (h.resolveThreshold && !std::isfinite(*h.resolveThreshold))
            return RolloutText::tr("%1: the resolve threshold must be a number.").arg(it.key());
        if (const QString why =
                h.resolveSideProblem(QString::number(h.effectiveResolveThreshold()), QString::number(h.fireThreshold));
            !why.isEmpty())
            return RolloutText::tr("%1: %2").arg(it.key(), why);
    }
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
                       {QStringLiteral("max_log_loss"), maxLogLoss},
                       {QStringLiteral("rollback_combination"), rollbackCombination.toJson()},
                       {QStringLiteral("halve_combination"), halveCombination.toJson()},
                       {QStringLiteral("hysteresis"), hysteresisJson()}};
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
        memory.conditions.clear();
        d.summary = RolloutText::tr("guard disabled for this deployment");
        return d;
    }
    if (!mlServing) {
        memory.severeStreak = memory.degradedStreak = 0;
        memory.conditions.clear();
        d.summary = memory.latched ? RolloutText::tr("latched (%1); ML not serving").arg(memory.latchedAction)
                                   : RolloutText::tr("ML not serving: nothing to guard");
        return d;
    }

    bool severe = false;
    bool degraded = false;
    QStringList undecided; // actions whose conditions have none that decides: never taken
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
        // A classifier's quality counts once enough of the window is labelled (labels come late).
        const bool labelled = m.classifier && m.labelled >= rules.minSamples;
        const auto when = [](bool measured, std::optional<double> v) { return measured ? v : std::nullopt; };
        // The task's conditions (a regression deployment has no accuracy, a classifier no MAE); a
        // figure not measured yet leaves its condition inconclusive.
        const QMap<QString, std::optional<double>> values =
            m.classifier ? QMap<QString, std::optional<double>>{{kRollbackErrorRate, m.errorRate},
                                                                {kRollbackAccuracy, when(labelled, m.accuracy)},
                                                                {kMaxLatency, m.latencyP95Ms},
                                                                {kMinAccuracy, when(labelled, m.accuracy)},
                                                                {kMaxLogLoss, when(labelled, m.logLoss)}}
                         : QMap<QString, std::optional<double>>{
                               {kRollbackErrorRate, m.errorRate}, {kMaxLatency, m.latencyP95Ms}, {kMaxMae, m.mae}};
        const qint64 nowSecs = now.toSecsSinceEpoch();
        // One action's conditions through their hysteresis, combined; breaches reported with figures.
        const auto judge = [&](const QStringList &names, const GateCombination &combination, const QString &action) {
            QList<gates::Condition> conditions;
            for (const QString &name : names) {
                if (!values.contains(name))
                    continue;
                const Hysteresis h = rules.conditionHysteresis(name);
                const std::optional<double> v = values.value(name);
                const HysteresisState state = h.next(memory.conditions.value(name), v, nowSecs);
                if (state == HysteresisState{})
                    memory.conditions.remove(name);
                else
                    memory.conditions.insert(name, state);
                const GateState holds =
                    !v ? GateState::Inconclusive : (state.active ? GateState::Pass : GateState::Fail);
                conditions << gates::Condition{name, holds};
                if (holds != GateState::Pass)
                    continue;
                // Below the rollback accuracy the halving one is implied: reported once.
                if (name == kMinAccuracy && memory.conditions.value(kRollbackAccuracy).active)
                    continue;
                QString line;
                if (h.breaches(*v))
                    line = breachText(name, *v, h.fireThreshold);
                else if (const qint64 left = h.clearingLeftSecs(state, nowSecs); left > 0)
                    line = RolloutText::tr("%1 = %2 held: resolving, %3 s left").arg(name, figure(name, *v)).arg(left);
                else
                    line = RolloutText::tr("%1 = %2 held until past %3")
                               .arg(name, figure(name, *v), figure(name, h.effectiveResolveThreshold()));
                if (combination.isAdvisory(name))
                    d.advisories << line;
                else
                    d.breaches << line;
            }
            // With no deciding condition a combination says nothing about a breach (for "all" it would
            // pass): never act on it.
            QStringList present;
            for (const gates::Condition &c : conditions)
                present << c.name;
            if (combination.deciding(present).isEmpty()) {
                undecided << action;
                return false;
            }
            return gates::combine(combination, conditions) == GateState::Pass;
        };
        severe = judge(GuardRules::rollbackConditions(), rules.rollbackCombination, RolloutText::tr("ML off"));
        degraded = judge(GuardRules::halveConditions(), rules.halveCombination, RolloutText::tr("halve"));
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
    } else if (memory.latched) {
        d.summary = RolloutText::tr("latched (%1) since %2: not acting again until re-armed%3")
                        .arg(memory.latchedAction, memory.latchedAt.toString(Qt::ISODate),
                             figures.isEmpty() ? QString() : QStringLiteral("; ") + figures);
    } else if (memory.severeStreak >= k) {
        d.action = GuardDecision::Action::Rollback;
        d.summary = RolloutText::tr("ML OFF after %1 consecutive breaches: %2").arg(memory.severeStreak).arg(figures);
    } else if (memory.degradedStreak >= k) {
        d.action = GuardDecision::Action::Halve;
        d.summary = RolloutText::tr("percentage halved after %1 consecutive breaches: %2")
                        .arg(memory.degradedStreak)
                        .arg(figures);
    } else if (severe || degraded) {
        d.summary = RolloutText::tr("breach %1 of %2 (waiting for %2 in a row): %3")
                        .arg(qMax(memory.severeStreak, memory.degradedStreak))
                        .arg(k)
                        .arg(figures);
    } else if (!d.breaches.isEmpty()) {
        // Some conditions breach, but not as many as their action's combination asks for.
        d.summary = RolloutText::tr("no action: the breaches do not meet the combination (ML off: %1; halve: %2): %3")
                        .arg(rules.rollbackCombination.modeText(), rules.halveCombination.modeText(), figures);
    } else {
        d.summary = RolloutText::tr("healthy: %1 samples").arg(m.samples);
    }
    if (!d.advisories.isEmpty())
        d.summary += RolloutText::tr(" (advisory, not acted on: %1)").arg(d.advisories.join(QStringLiteral("; ")));
    if (!undecided.isEmpty())
        d.summary +=
            RolloutText::tr(" (no condition decides for %1: never acted on)").arg(undecided.join(QStringLiteral(", ")));
    if (!rules.settingsProblem.isEmpty())
        d.summary += RolloutText::tr(" (stored rules: %1)").arg(rules.settingsProblem);
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
    memory.conditions.clear();
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
            {QStringLiteral("advisories"), QJsonArray::fromStringList(d.advisories)},
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
        {QStringLiteral("advisories"), QJsonArray::fromStringList(d.advisories)},
        {QStringLiteral("action"), GuardDecision::actionName(d.action)},
    };
}

} // namespace mldeck
