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
    g.pass = value && std::isfinite(*value) && (atMost ? *value <= threshold : *value >= threshold);
    return g;
}

} // namespace

Status validate(const StagedPlan &plan)
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

QList<GateStatus> evaluateGates(const PlanGates &gates, const WindowMetrics &m, qint64 secondsInStep)
{
    if (m.classifier) {
        QList<GateStatus> out{
            gate(kGateSamples, double(m.samples), double(gates.minSamples), false),
            gate(kGateSoak, double(qMax<qint64>(0, secondsInStep)), double(gates.minSoakSeconds), false),
            gate(kGateAccuracy, m.accuracy, gates.minAccuracy, false),
        };
        if (gates.minF1)
            out << gate(kGateF1, m.f1, *gates.minF1, false);
        if (gates.maxLogLoss)
            out << gate(kGateLogLoss, m.logLoss, *gates.maxLogLoss, true);
        if (gates.maxEce)
            out << gate(kGateEce, m.ece, *gates.maxEce, true);
        out << gate(kGateLatency, m.latencyP95Ms, gates.maxLatencyP95Ms, true)
            << gate(kGateErrorRate, m.errorRate, gates.maxErrorRate, true);
        return out;
    }
    return {
        gate(kGateSamples, double(m.samples), double(gates.minSamples), false),
        gate(kGateSoak, double(qMax<qint64>(0, secondsInStep)), double(gates.minSoakSeconds), false),
        gate(kGateMae, m.mae, gates.maxMae, true),
        gate(kGateR2, m.r2, gates.minR2, false),
        gate(kGateLatency, m.latencyP95Ms, gates.maxLatencyP95Ms, true),
        gate(kGateErrorRate, m.errorRate, gates.maxErrorRate, true),
    };
}

PlanStatus status(const StagedPlan &plan, int currentStep, const QDateTime &stepSince, const WindowMetrics &metrics,
                  const QDateTime &now)
{
    PlanStatus s;
    s.steps = plan.steps;
    s.currentStep = (currentStep >= 0 && currentStep < plan.steps.size()) ? currentStep : -1;
    s.stepSince = stepSince;
    if (s.currentStep < 0) {
        s.canAdvance = true; // nothing runs yet: the first step may start
        return s;
    }
    const qint64 soaked = stepSince.isValid() ? stepSince.secsTo(now) : 0;
    s.gates = evaluateGates(plan.gates, metrics, soaked);
    const bool atLast = s.currentStep == plan.steps.size() - 1;
    bool all = true;
    for (const GateStatus &g : s.gates)
        all = all && g.pass;
    s.canAdvance = all && !atLast;
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
    return QJsonObject{{QStringLiteral("steps"), steps},
                       {QStringLiteral("current_step"), currentStep},
                       {QStringLiteral("min_samples"), plan.gates.minSamples},
                       {QStringLiteral("min_soak_s"), plan.gates.minSoakSeconds},
                       {QStringLiteral("max_mae"), plan.gates.maxMae},
                       {QStringLiteral("min_r2"), plan.gates.minR2},
                       {QStringLiteral("max_latency_p95_ms"), plan.gates.maxLatencyP95Ms},
                       {QStringLiteral("max_error_rate"), plan.gates.maxErrorRate},
                       {QStringLiteral("min_accuracy"), plan.gates.minAccuracy},
                       {QStringLiteral("min_f1"), figureJson(plan.gates.minF1)},
                       {QStringLiteral("max_log_loss"), figureJson(plan.gates.maxLogLoss)},
                       {QStringLiteral("max_ece"), figureJson(plan.gates.maxEce)}};
}

QJsonArray toAuditJson(const QList<GateStatus> &gates)
{
    QJsonArray out;
    for (const GateStatus &g : gates)
        out.append(QJsonObject{{QStringLiteral("name"), g.name},
                               {QStringLiteral("value"), figureJson(g.value)},
                               {QStringLiteral("threshold"), g.threshold},
                               {QStringLiteral("pass"), g.pass}});
    return out;
}

} // namespace mldeck::plan
