#include "core/stats/kpi/KpiAccumulator.h"

namespace mldeck::stats {

void KpiAccumulator::merge(const KpiAccumulator &other)
{
    count += other.count;
    failed += other.failed;
    latencySumMs += other.latencySumMs;
    latency.merge(other.latency);
    labelled += other.labelled;
    sumError += other.sumError;
    sumAbsError += other.sumAbsError;
    sumSqError += other.sumSqError;
    sumActual += other.sumActual;
    sumSqActual += other.sumSqActual;
    sumAbsPctError += other.sumAbsPctError;
    pctCount += other.pctCount;
    for (int x = 0; x < kAnticipationThresholds; ++x) {
        actualAtLeast[size_t(x)] += other.actualAtLeast[size_t(x)];
        bothAtLeast[size_t(x)] += other.bothAtLeast[size_t(x)];
    }
    estAbsErrSum += other.estAbsErrSum;
    estCount += other.estCount;
    classification.merge(other.classification);
}

} // namespace mldeck::stats
