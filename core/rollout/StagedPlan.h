#pragma once

#include "core/domain/Result.h"
#include "core/rollout/GateSet.h"
#include "core/rollout/WindowMetrics.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace mldeck {

// The gates a step must pass before the rollout moves to the next one. Defaults: the targets
// of the team's deployment guide (MAE < 2.5 min, R² > 0.68, prediction < 1 s, errors < 20 %).
struct PlanGates
{
    qint64 minSamples = 200;
    qint64 minSoakSeconds = 15 * 60;
    // The labelled predictions a quality gate (MAE, R², accuracy, F1, log-loss, ECE) waits for; unset:
    // minSamples. Plans stored before combined gates existed hold 1: their quality gates were judged
    // from the first labelled prediction, and still are.
    std::optional<qint64> minLabelled;
    double maxMae = 2.5;
    double minR2 = 0.68;
    double maxLatencyP95Ms = 1000.0;
    double maxErrorRate = 0.20; // share 0..1
    // A classifier's gates, in place of MAE and R² (the default accuracy target: 90 %); F1, log-loss and
    // ECE gate only when set.
    double minAccuracy = 0.90;
    std::optional<double> minF1;
    std::optional<double> maxLogLoss;
    std::optional<double> maxEce;
    // A regression deployment's gate on the nanny's estimated MAE (known before outcomes), when set.
    std::optional<double> maxEstimatedMae;
};

// A staged rollout: ML traffic percentages in order (default 10 → 25 → 50 → 100) and its gates.
// The metric gates of a step are combined (all of them by default; any, or at least N) and some may
// be advisory; minimum samples and soak time are always required. A step may override the plan's
// combination (stepCombinations, keyed by the step's percentage, so that it follows the step when
// the steps are edited).
struct StagedPlan
{
    QList<int> steps{10, 25, 50, 100};
    PlanGates gates;
    GateCombination combination;
    QMap<int, GateCombination> stepCombinations;

    // New steps; a removed step's own combination goes with it (it would apply to nothing).
    void setSteps(const QList<int> &newSteps)
    {
        steps = newSteps;
        stepCombinations.removeIf([&](const auto &it) { return !steps.contains(it.key()); });
    }

    // The combination that applies at step index `step`.
    GateCombination combinationAt(int step) const { return stepCombinations.value(steps.value(step, -1), combination); }
};

// One gate, evaluated: value empty when it could not be measured (then it is inconclusive, never
// a pass). `waiting` says what an inconclusive gate waits for ("120 of 200 labelled predictions").
struct GateStatus
{
    QString name;
    std::optional<double> value;
    double threshold = 0;
    bool pass = false; // state == Pass
    GateState state = GateState::Fail;
    bool advisory = false; // shown, never decides
    QString waiting;
};

// A plan as the GUI and the CLI show it. currentStep is an index into steps (-1: not started).
// outcome is the step's verdict (required gates and the combination of the others); waitingFor
// names the gates that keep it inconclusive and what each waits for.
struct PlanStatus
{
    QList<int> steps;
    int currentStep = -1;
    QDateTime stepSince;
    QList<GateStatus> gates;
    GateCombination combination;
    GateState outcome = GateState::Inconclusive;
    QStringList waitingFor;
    bool canAdvance = false;
    std::optional<qint64> minLabelled; // the plan's (PlanGates::minLabelled; unset: the minimum samples)
};

namespace plan {

// Gate names, stable (used in JSON and the audit log).
inline constexpr char kGateSamples[] = "min_samples";
inline constexpr char kGateSoak[] = "min_soak_s";
inline constexpr char kGateMae[] = "max_mae";
inline constexpr char kGateR2[] = "min_r2";
inline constexpr char kGateLatency[] = "max_latency_p95_ms";
inline constexpr char kGateErrorRate[] = "max_error_rate";
inline constexpr char kGateAccuracy[] = "min_accuracy";
inline constexpr char kGateF1[] = "min_f1";
inline constexpr char kGateLogLoss[] = "max_log_loss";
inline constexpr char kGateEce[] = "max_ece";
inline constexpr char kGateEstimatedMae[] = "max_estimated_mae";

// The gates a combination combines (every metric gate of either task) and the ones always required.
QStringList combinableGates();
QStringList requiredGates();
// The metric gates a plan judges on a classifier's or a regression deployment (the optional ones
// only when set): what a combination is checked against.
QStringList presentGates(const PlanGates &gates, bool classifier);

// A readable refusal when the plan cannot be used: steps empty, not strictly increasing, outside
// 1..100, gates that make no sense (negative, R² above 1, error rate outside 0..1), or a
// combination that does not (at least N below 1, an unknown or required gate made advisory, a
// step override for a percentage that is not a step, or one that can never be met). With the
// deployment's task, "any" and "at least N" are checked against that task's gates; without it,
// against the gates of either task (the deployment's store or service checks again with its task).
Status validate(const StagedPlan &plan, std::optional<bool> classifier = std::nullopt);

// "10,25,50,100" -> steps; a readable error for anything else.
Result<QList<int>> parseSteps(const QString &text);

// Every gate of the current step, given the window's metrics and how long the step has run. A
// classifier's window (metrics.classifier) is gated on accuracy (and F1, log-loss, ECE when set) in
// place of MAE and R². Fewer samples than the minimum make every metric gate inconclusive, and a
// quality gate (MAE, R², accuracy, F1, log-loss, ECE) stays inconclusive until minLabelled
// predictions are labelled. The window is capped at a day, which the waiting text says past a
// day. The combination marks the advisory gates.
QList<GateStatus> evaluateGates(const PlanGates &gates, const WindowMetrics &metrics, qint64 secondsInStep,
                                const GateCombination &combination = {});

// The step's verdict: fail once a required gate or the combination fails for good; pass when the
// required gates and the combination pass; else inconclusive.
GateState outcome(const QList<GateStatus> &gates, const GateCombination &combination);

// The status shown to users. Before the first step (currentStep -1) there is nothing to soak:
// no gates apply and the first step may start. At the last step nothing is left to advance to.
PlanStatus status(const StagedPlan &plan, int currentStep, const QDateTime &stepSince, const WindowMetrics &metrics,
                  const QDateTime &now);

// The index of the step to move to, or an error (already at the last step).
Result<int> nextStep(const StagedPlan &plan, int currentStep);

// The plan and where it stands, as the audit log's before/after of a plan change records it.
QJsonObject toAuditJson(const StagedPlan &plan, int currentStep);
// The gates as a plan step's audit row records them: name, value (null: no data), threshold, pass,
// state, advisory.
QJsonArray toAuditJson(const QList<GateStatus> &gates);

// The combinations as stored (rollout_plans.gate_combination) and audited:
// {"mode": ..., "advisory": [...], "steps": {"50": {"mode": ...}}}; and back (an empty object: all).
QJsonObject combinationsToJson(const StagedPlan &plan);
Status combinationsFromJson(const QJsonObject &json, StagedPlan &plan);

} // namespace plan
} // namespace mldeck
