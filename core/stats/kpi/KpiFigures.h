#pragma once

#include "core/stats/kpi/ClassificationFigures.h"
#include "core/stats/kpi/KpiAccumulator.h"

#include <optional>

namespace mldeck::stats {

// The figures people read, computed from merged sums. A figure is empty when it cannot be computed
// (no predictions, no outcomes yet, no heuristic traffic to compare with, ...).
struct KpiFigures
{
    qint64 predictions = 0;
    qint64 failed = 0;
    qint64 labelled = 0;
    std::optional<double> throughputPerSecond; // predictions / seconds of the period
    std::optional<double> mae;
    std::optional<double> rmse;
    std::optional<double> r2;   // 1 - SSE/SST over the labelled rows
    std::optional<double> mape; // percent
    // MAE expected by the deployment's nanny model over the predictions it scored: known before the
    // outcomes arrive; empty when none was scored (no nanny, or not scored yet).
    std::optional<double> estimatedMae;
    qint64 scored = 0; // predictions the nanny scored (the estimate's count)
    std::optional<double> latencyMeanMs;
    std::optional<double> latencyP50Ms;
    std::optional<double> latencyP95Ms;
    std::optional<double> latencyP99Ms;
    std::optional<double> failureRate;        // failed / predictions, 0..1
    std::optional<double> fallbackShare;      // fallback / (ml + fallback): ML-routed requests served by the fallback
    std::optional<double> anticipatedShare;   // bothAtLeast[X-1] / actualAtLeast[X-1], 0..1
    std::optional<double> satisfaction;       // positive / total feedback, 0..1
    std::optional<double> mlUptime;           // ML-routed requests the model answered (path ml, not failed), 0..1
    std::optional<double> improvementPercent; // (MAE heuristic - MAE ml) / MAE heuristic * 100

    // A classification deployment's figures (empty on a regression one).
    std::optional<ClassificationFigures> classification;
    std::optional<double> accuracyGainPoints; // (accuracy ml - accuracy heuristic) * 100
};

// Per-path sums of one period, the inputs of computeFigures().
struct PathSums
{
    KpiAccumulator ml;
    KpiAccumulator heuristic;
    KpiAccumulator fallback;
    FeedbackAccumulator feedback;
    KpiAccumulator all() const;
};

// Figures of the whole deployment (all paths) over a period of `seconds`; X = anticipationMinutes (1..30).
// On a classification deployment (sums with K > 0) `classification` is filled, its estimate before labels
// taken through `calibration` (the deployment's map fitted on its reference rows by fitCalibration();
// none: the model's probabilities as they are, and the estimate is marked unchecked).
KpiFigures computeFigures(const PathSums &sums, double seconds, int anticipationMinutes,
                          const Calibration *calibration = nullptr);
// Figures of one accumulator alone (one path or one model version): the cross-path figures stay empty.
KpiFigures computeFigures(const KpiAccumulator &sums, double seconds, int anticipationMinutes,
                          const Calibration *calibration = nullptr);

} // namespace mldeck::stats
