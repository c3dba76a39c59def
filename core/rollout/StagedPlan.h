#pragma once

#include "core/domain/Result.h"
#include "core/rollout/WindowMetrics.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

// The gates a step must pass before the rollout moves to the next one. Defaults: the targets
// of the team's deployment guide (MAE < 2.5 min, R² > 0.68, prediction < 1 s, errors < 20 %).
struct PlanGates
{
    qint64 minSamples = 200;
    qint64 minSoakSeconds = 15 * 60;
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
};

// A staged rollout: ML traffic percentages in order (default 10 → 25 → 50 → 100) and its gates.
struct StagedPlan
{
    QList<int> steps{10, 25, 50, 100};
    PlanGates gates;
};

// One gate, evaluated: value empty when it could not be measured (then it fails).
struct GateStatus
{
    QString name;
    std::optional<double> value;
    double threshold = 0;
    bool pass = false;
};

// A plan as the GUI and the CLI show it. currentStep is an index into steps (-1: not started).
struct PlanStatus
{
    QList<int> steps;
    int currentStep = -1;
    QDateTime stepSince;
    QList<GateStatus> gates;
    bool canAdvance = false;
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

// A readable refusal when the plan cannot be used: steps empty, not strictly increasing, outside
// 1..100, or gates that make no sense (negative, R² above 1, error rate outside 0..1).
Status validate(const StagedPlan &plan);

// "10,25,50,100" -> steps; a readable error for anything else.
Result<QList<int>> parseSteps(const QString &text);

// Every gate of the current step, given the window's metrics and how long the step has run. A
// classifier's window (metrics.classifier) is gated on accuracy (and F1, log-loss, ECE when set) in
// place of MAE and R².
QList<GateStatus> evaluateGates(const PlanGates &gates, const WindowMetrics &metrics, qint64 secondsInStep);

// The status shown to users. Before the first step (currentStep -1) there is nothing to soak:
// no gates apply and the first step may start. At the last step nothing is left to advance to.
PlanStatus status(const StagedPlan &plan, int currentStep, const QDateTime &stepSince, const WindowMetrics &metrics,
                  const QDateTime &now);

// The index of the step to move to, or an error (already at the last step).
Result<int> nextStep(const StagedPlan &plan, int currentStep);

// The plan and where it stands, as the audit log's before/after of a plan change records it.
QJsonObject toAuditJson(const StagedPlan &plan, int currentStep);
// The gates as a plan step's audit row records them: name, value (null: no data), threshold, pass.
QJsonArray toAuditJson(const QList<GateStatus> &gates);

} // namespace plan
} // namespace mldeck
