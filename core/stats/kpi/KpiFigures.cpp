#include "core/stats/kpi/KpiFigures.h"

#include <algorithm>
#include <cmath>

namespace mldeck::stats {

KpiAccumulator PathSums::all() const
{
    KpiAccumulator a = ml;
    a.merge(heuristic);
    a.merge(fallback);
    return a;
}

KpiFigures computeFigures(const KpiAccumulator &s, double seconds, int anticipationMinutes,
                          const Calibration *calibration)
{
    KpiFigures f;
    f.predictions = s.count;
    f.failed = s.failed;
    f.labelled = s.labelled;
    if (seconds > 0)
        f.throughputPerSecond = double(s.count) / seconds;
    if (s.count > 0) {
        f.failureRate = double(s.failed) / double(s.count);
        f.latencyMeanMs = s.latencySumMs / double(s.count);
    }
    f.latencyP50Ms = s.latency.quantile(0.50);
    f.latencyP95Ms = s.latency.quantile(0.95);
    f.latencyP99Ms = s.latency.quantile(0.99);
    if (s.labelled > 0) {
        const double n = double(s.labelled);
        f.mae = s.sumAbsError / n;
        f.rmse = std::sqrt(std::max(0.0, s.sumSqError / n));
        // SST from sums: sum(a^2) - (sum a)^2 / n. Cancellation leaves a tiny residue when every actual
        // value is the same; R2 is undefined then (no variance to explain), so it stays empty.
        const double sst = s.sumSqActual - s.sumActual * s.sumActual / n;
        if (sst > 1e-12 * std::max(1.0, s.sumSqActual))
            f.r2 = 1.0 - s.sumSqError / sst;
    }
    f.scored = s.estCount;
    if (s.estCount > 0)
        f.estimatedMae = s.estAbsErrSum / double(s.estCount);
    if (s.pctCount > 0)
        f.mape = s.sumAbsPctError / double(s.pctCount);
    const int x = std::clamp(anticipationMinutes, 1, kAnticipationThresholds) - 1;
    if (s.actualAtLeast[size_t(x)] > 0)
        f.anticipatedShare = double(s.bothAtLeast[size_t(x)]) / double(s.actualAtLeast[size_t(x)]);
    if (s.classification.classes > 0)
        f.classification = computeClassificationFigures(s.classification, calibration ? *calibration : Calibration{});
    return f;
}

KpiFigures computeFigures(const PathSums &sums, double seconds, int anticipationMinutes, const Calibration *calibration)
{
    KpiFigures f = computeFigures(sums.all(), seconds, anticipationMinutes, calibration);
    const qint64 routedToMl = sums.ml.count + sums.fallback.count;
    if (routedToMl > 0) {
        f.fallbackShare = double(sums.fallback.count) / double(routedToMl);
        f.mlUptime = double(sums.ml.count - sums.ml.failed) / double(routedToMl);
    }
    if (sums.feedback.total > 0)
        f.satisfaction = double(sums.feedback.positive) / double(sums.feedback.total);
    if (sums.ml.labelled > 0 && sums.heuristic.labelled > 0) {
        const double maeMl = sums.ml.sumAbsError / double(sums.ml.labelled);
        const double maeHeuristic = sums.heuristic.sumAbsError / double(sums.heuristic.labelled);
        if (maeHeuristic > 0)
            f.improvementPercent = (maeHeuristic - maeMl) / maeHeuristic * 100.0;
    }
    if (sums.ml.classification.classes > 0 && sums.heuristic.classification.classes > 0) {
        const auto ml = computeClassificationFigures(sums.ml.classification).accuracy;
        const auto heuristic = computeClassificationFigures(sums.heuristic.classification).accuracy;
        if (ml && heuristic)
            f.accuracyGainPoints = (*ml - *heuristic) * 100.0;
    }
    return f;
}

} // namespace mldeck::stats
