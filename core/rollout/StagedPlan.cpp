#include "core/rollout/StagedPlan.h"
#include "core/Text.h"
#include "core/domain/Figure.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QStringList>

#include <cmath>

namespace mldeck::plan {

namespace {

GateStatus gate(const char *name, std::optional<double> value, double threshold, bool atMost)
{
    GateStatus g;
    g.name = QString::fromLatin1(name);
    g.value = value;
    g.threshold = threshold;
    // A figure that could not be measured never passes: no data is not good data.
    if (!value || !std::isfinite(*value)) {
        g.state = GateState::Inconclusive;
        g.waiting = RolloutText::tr("no data yet");
    } else {
        g.state = (atMost ? *value <= threshold : *value >= threshold) ? GateState::Pass : GateState::Fail;
    }
    g.pass = g.state == GateState::Pass;
    return g;
}

void waitFor(GateStatus &g, const QString &what)
{
    g.state = GateState::Inconclusive;
    g.pass = false;
    g.waiting = what;
}

} // namespace

QStringList combinableGates()
{
    return {QString::fromLatin1(kGateMae),         QString::fromLatin1(kGateR2),
            QString::fromLatin1(kGateLatency),     QString::fromLatin1(kGateErrorRate),
            QString::fromLatin1(kGateAccuracy),    QString::fromLatin1(kGateF1),
            QString::fromLatin1(kGateLogLoss),     QString::fromLatin1(kGateEce),
            QString::fromLatin1(kGateEstimatedMae)};
}

QStringList requiredGates()
{
    return {QString::fromLatin1(kGateSamples), QString::fromLatin1(kGateSoak)};
}

QStringList presentGates(const PlanGates &g, bool classifier)
{
    QStringList out;
    if (classifier) {
        out << QString::fromLatin1(kGateAccuracy);
        if (g.minF1)
            out << QString::fromLatin1(kGateF1);
        if (g.maxLogLoss)
            out << QString::fromLatin1(kGateLogLoss);
        if (g.maxEce)
            out << QString::fromLatin1(kGateEce);
    } else {
        out << QString::fromLatin1(kGateMae) << QString::fromLatin1(kGateR2);
        if (g.maxEstimatedMae)
            out << QString::fromLatin1(kGateEstimatedMae);
    }
    return out << QString::fromLatin1(kGateLatency) << QString::fromLatin1(kGateErrorRate);
}

Status validate(const StagedPlan &plan, std::optional<bool> classifier)
{
    if (plan.steps.isEmpty())
        return Error{RolloutText::tr("A plan needs at least one step.")};
    int previous = 0;
    for (int step : plan.steps) {
        if (step < 1 || step > 100)
            return Error{RolloutText::tr("Every step must be a percentage from 1 to 100; %1 is not.").arg(step)};
        if (step <= previous)
            return Error{
                RolloutText::tr("Steps must be strictly increasing; %1 comes after %2.").arg(step).arg(previous)};
        previous = step;
    }
    const PlanGates &g = plan.gates;
    if (g.minSamples < 0)
        return Error{RolloutText::tr("The minimum number of samples must not be negative (got %1).").arg(g.minSamples)};
    if (g.minLabelled && *g.minLabelled < 1)
        return Error{RolloutText::tr("The labelled predictions a quality gate waits for must be at least 1 (got %1).")
                         .arg(*g.minLabelled)};
    if (g.minSoakSeconds < 0)
        return Error{RolloutText::tr("The minimum soak time must not be negative (got %1 s).").arg(g.minSoakSeconds)};
    if (!std::isfinite(g.maxMae) || g.maxMae <= 0)
        return Error{RolloutText::tr("The MAE gate must be a positive number (got %1).").arg(g.maxMae)};
    if (!std::isfinite(g.minR2) || g.minR2 > 1)
        return Error{RolloutText::tr("The R² gate must be a number no greater than 1 (got %1).").arg(g.minR2)};
    if (!std::isfinite(g.maxLatencyP95Ms) || g.maxLatencyP95Ms <= 0)
        return Error{RolloutText::tr("The latency p95 gate must be a positive number of milliseconds (got %1).")
                         .arg(g.maxLatencyP95Ms)};
    if (!std::isfinite(g.maxErrorRate) || g.maxErrorRate < 0 || g.maxErrorRate > 1)
        return Error{RolloutText::tr("The error-rate gate must be a share from 0 to 1 (got %1).").arg(g.maxErrorRate)};
    if (!std::isfinite(g.minAccuracy) || g.minAccuracy < 0 || g.minAccuracy > 1)
        return Error{RolloutText::tr("The accuracy gate must be a share from 0 to 1 (got %1).").arg(g.minAccuracy)};
    if (g.minF1 && (!std::isfinite(*g.minF1) || *g.minF1 < 0 || *g.minF1 > 1))
        return Error{RolloutText::tr("The F1 gate must be a share from 0 to 1 (got %1).").arg(*g.minF1)};
    if (g.maxLogLoss && (!std::isfinite(*g.maxLogLoss) || *g.maxLogLoss <= 0))
        return Error{RolloutText::tr("The log-loss gate must be a positive number (got %1).").arg(*g.maxLogLoss)};
    if (g.maxEce && (!std::isfinite(*g.maxEce) || *g.maxEce <= 0 || *g.maxEce > 1))
        return Error{RolloutText::tr("The ECE gate must be a share above 0 and at most 1 (got %1).").arg(*g.maxEce)};
    if (g.maxEstimatedMae && (!std::isfinite(*g.maxEstimatedMae) || *g.maxEstimatedMae <= 0))
        return Error{
            RolloutText::tr("The estimated MAE gate must be a positive number (got %1).").arg(*g.maxEstimatedMae)};
    // Checked against the task's gates; without a task, a combination that one task can meet passes.
    const auto check = [&](const GateCombination &c) {
        if (classifier)
            return c.validate(combinableGates(), requiredGates(), presentGates(g, *classifier));
        const QString regression = c.validate(combinableGates(), requiredGates(), presentGates(g, false));
        const QString classification = c.validate(combinableGates(), requiredGates(), presentGates(g, true));
        return classification.isEmpty() ? classification : regression;
    };
    const QString task = !classifier   ? QString()
                         : *classifier ? RolloutText::tr("Classifier's plan: ")
                                       : RolloutText::tr("Regression plan: ");
    if (const QString why = check(plan.combination); !why.isEmpty())
        return Error{task + why};
    for (auto it = plan.stepCombinations.cbegin(); it != plan.stepCombinations.cend(); ++it) {
        if (!plan.steps.contains(it.key()))
            return Error{
                RolloutText::tr("The step %1 % has its own combination but is not a step of the plan.").arg(it.key())};
        if (const QString why = check(it.value()); !why.isEmpty())
            return Error{task + RolloutText::tr("Step %1 %: %2").arg(it.key()).arg(why)};
    }
    return {};
}

Result<QList<int>> parseSteps(const QString &text)
{
    QList<int> steps;
    const QStringList parts = text.split(QLatin1Char(','));
    for (const QString &raw : parts) {
        const QString p = raw.trimmed();
        bool ok = false;
        const int v = p.toInt(&ok);
        if (!ok)
            return Error{RolloutText::tr("\"%1\" is not a list of whole percentages such as 10,25,50,100.").arg(text)};
        steps.append(v);
    }
    StagedPlan probe;
    probe.steps = steps;
    if (Status s = validate(probe); !s)
        return s.error();
    return steps;
}

QList<GateStatus> evaluateGates(const PlanGates &gates, const WindowMetrics &m, qint64 secondsInStep,
                                const GateCombination &combination)
{
    const qint64 soaked = qMax<qint64>(0, secondsInStep);
    QList<GateStatus> out{gate(kGateSamples, double(m.samples), double(gates.minSamples), false),
                          gate(kGateSoak, double(soaked), double(gates.minSoakSeconds), false)};
    const QString samples = RolloutText::tr("%1 of %2 predictions").arg(m.samples).arg(gates.minSamples);
    const qint64 minLabelled = gates.minLabelled.value_or(gates.minSamples);
    // The window runs from the step's start but never back more than a day.
    const QString labelled =
        soaked > 86400
            ? RolloutText::tr("%1 of %2 labelled predictions in the last 24 h").arg(m.labelled).arg(minLabelled)
            : RolloutText::tr("%1 of %2 labelled predictions").arg(m.labelled).arg(minLabelled);
    // Too few samples or too short a soak is a wait, not a failure.
    if (!out[0].pass)
        waitFor(out[0], samples);
    if (!out[1].pass) {
        const qint64 left = gates.minSoakSeconds - soaked;
        waitFor(out[1], left >= 60 ? RolloutText::tr("%1 min left").arg((left + 59) / 60)
                                   : RolloutText::tr("%1 s left").arg(left));
    }
    const auto metric = [&](const char *name, std::optional<double> value, double threshold, bool atMost,
                            bool quality) {
        GateStatus g = gate(name, value, threshold, atMost);
        if (m.samples < gates.minSamples)
            waitFor(g, samples);
        else if (quality && m.labelled < minLabelled)
            waitFor(g, labelled);
        g.advisory = combination.isAdvisory(g.name);
        out << g;
    };
    if (m.classifier) {
        metric(kGateAccuracy, m.accuracy, gates.minAccuracy, false, true);
        if (gates.minF1)
            metric(kGateF1, m.f1, *gates.minF1, false, true);
        if (gates.maxLogLoss)
            metric(kGateLogLoss, m.logLoss, *gates.maxLogLoss, true, true);
        if (gates.maxEce)
            metric(kGateEce, m.ece, *gates.maxEce, true, true);
    } else {
        metric(kGateMae, m.mae, gates.maxMae, true, true);
        metric(kGateR2, m.r2, gates.minR2, false, true);
        // Estimated before the outcomes arrive: waits only for the nanny to score the step's predictions.
        if (gates.maxEstimatedMae) {
            metric(kGateEstimatedMae, m.estimatedMae, *gates.maxEstimatedMae, true, false);
            if (!m.estimatedMae && m.samples >= gates.minSamples)
                out.last().waiting = RolloutText::tr("no prediction of the step scored by the nanny model yet");
        }
    }
    metric(kGateLatency, m.latencyP95Ms, gates.maxLatencyP95Ms, true, false);
    metric(kGateErrorRate, m.errorRate, gates.maxErrorRate, true, false);
    return out;
}

GateState outcome(const QList<GateStatus> &gates, const GateCombination &combination)
{
    const QStringList required = requiredGates();
    bool requiredPass = true;
    QList<gates::Condition> combined;
    for (const GateStatus &g : gates) {
        if (required.contains(g.name)) {
            if (g.state == GateState::Fail)
                return GateState::Fail;
            requiredPass = requiredPass && g.state == GateState::Pass;
        } else {
            combined << gates::Condition{g.name, g.state};
        }
    }
    const GateState c = gates::combine(combination, combined);
    if (c == GateState::Fail)
        return GateState::Fail;
    return requiredPass && c == GateState::Pass ? GateState::Pass : GateState::Inconclusive;
}

PlanStatus status(const StagedPlan &plan, int currentStep, const QDateTime &stepSince, const WindowMetrics &metrics,
                  const QDateTime &now)
{
    PlanStatus s;
    s.steps = plan.steps;
    s.currentStep = (currentStep >= 0 && currentStep < plan.steps.size()) ? currentStep : -1;
    s.stepSince = stepSince;
    s.minLabelled = plan.gates.minLabelled;
    if (s.currentStep < 0) {
        s.combination = plan.combination;
        s.outcome = GateState::Pass;
        s.canAdvance = true; // nothing runs yet: the first step may start
        return s;
    }
    const qint64 soaked = stepSince.isValid() ? stepSince.secsTo(now) : 0;
    s.combination = plan.combinationAt(s.currentStep);
    s.gates = evaluateGates(plan.gates, metrics, soaked, s.combination);
    s.outcome = outcome(s.gates, s.combination);
    if (s.outcome == GateState::Inconclusive)
        for (const GateStatus &g : s.gates)
            if (g.state == GateState::Inconclusive && !g.advisory)
                s.waitingFor << RolloutText::tr("%1: %2").arg(g.name, g.waiting);
    const bool atLast = s.currentStep == plan.steps.size() - 1;
    s.canAdvance = s.outcome == GateState::Pass && !atLast;
    return s;
}

Result<int> nextStep(const StagedPlan &plan, int currentStep)
{
    const int next = currentStep < 0 ? 0 : currentStep + 1;
    if (next >= plan.steps.size())
        return Error{RolloutText::tr("The plan is already at its last step (%1 %).")
                         .arg(plan.steps.value(plan.steps.size() - 1))};
    return next;
}

QJsonObject toAuditJson(const StagedPlan &plan, int currentStep)
{
    QJsonArray steps;
    for (int s : plan.steps)
        steps.append(s);
    return QJsonObject{
        {QStringLiteral("steps"), steps},
        {QStringLiteral("current_step"), currentStep},
        {QStringLiteral("min_samples"), plan.gates.minSamples},
        {QStringLiteral("min_soak_s"), plan.gates.minSoakSeconds},
        {QStringLiteral("min_labelled"), plan.gates.minLabelled ? QJsonValue(*plan.gates.minLabelled) : QJsonValue()},
        {QStringLiteral("max_mae"), plan.gates.maxMae},
        {QStringLiteral("min_r2"), plan.gates.minR2},
        {QStringLiteral("max_latency_p95_ms"), plan.gates.maxLatencyP95Ms},
        {QStringLiteral("max_error_rate"), plan.gates.maxErrorRate},
        {QStringLiteral("min_accuracy"), plan.gates.minAccuracy},
        {QStringLiteral("min_f1"), figureJson(plan.gates.minF1)},
        {QStringLiteral("max_log_loss"), figureJson(plan.gates.maxLogLoss)},
        {QStringLiteral("max_ece"), figureJson(plan.gates.maxEce)},
        {QStringLiteral("max_estimated_mae"), figureJson(plan.gates.maxEstimatedMae)},
        {QStringLiteral("gate_combination"), combinationsToJson(plan)}};
}

QJsonArray toAuditJson(const QList<GateStatus> &gates)
{
    QJsonArray out;
    for (const GateStatus &g : gates)
        out.append(QJsonObject{{QStringLiteral("name"), g.name},
                               {QStringLiteral("value"), figureJson(g.value)},
                               {QStringLiteral("threshold"), g.threshold},
                               {QStringLiteral("pass"), g.pass},
                               {QStringLiteral("state"), gates::stateName(g.state)},
                               {QStringLiteral("advisory"), g.advisory}});
    return out;
}

QJsonObject combinationsToJson(const StagedPlan &plan)
{
    QJsonObject out = plan.combination.toJson();
    QJsonObject steps;
    for (auto it = plan.stepCombinations.cbegin(); it != plan.stepCombinations.cend(); ++it)
        steps.insert(QString::number(it.key()), it.value().toJson());
    if (!steps.isEmpty())
        out.insert(QStringLiteral("steps"), steps);
    return out;
}

Status combinationsFromJson(const QJsonObject &json, StagedPlan &plan)
{
    auto plain = GateCombination::fromJson(json, GateCombination::Mode::All);
    if (!plain)
        return plain.error();
    QMap<int, GateCombination> steps;
    const QJsonObject stored = json.value(QStringLiteral("steps")).toObject();
    for (auto it = stored.constBegin(); it != stored.constEnd(); ++it) {
        bool ok = false;
        const int percentage = it.key().toInt(&ok);
        auto c = GateCombination::fromJson(it.value().toObject(), GateCombination::Mode::All);
        if (!ok || !c)
            return Error{RolloutText::tr("The stored combination of step \"%1\" cannot be read.").arg(it.key())};
        steps.insert(percentage, *c);
    }
    plan.combination = *plain;
    plan.stepCombinations = steps;
    return {};
}

} // namespace mldeck::plan
