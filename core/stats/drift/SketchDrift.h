#pragma once

#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/FeatureSketch.h"

// Drift statistics from merged sketches (resources/contract/drift.md, "Drift from sketches"): every figure
// comes with the interval certain to hold the exact figure on the raw rows, and a verdict is made only when
// that interval is on one side of the threshold.
namespace mldeck::drift {

// A numeric feature: KS (statistic and p-value), normalised Wasserstein, PSI and Jensen–Shannon with their
// intervals, Cohen's d exact (merged moments). A feature with at most 5 distinct values (kept exactly by the
// sketches) is exact throughout.
FeatureDrift compareNumericSketches(const QString &name, const NumericSketch &reference, const NumericSketch &current,
                                    const DriftOptions &options);

// A categorical feature: the counts are exact, so is every statistic (bound of width 0).
FeatureDrift compareCategorySketches(const QString &name, const CategorySketch &reference,
                                     const CategorySketch &current, const DriftOptions &options);

// The verdict of a figure known within its interval: drift, clean, or undecided (no verdict).
void decideWithBound(FeatureDrift &f, const DriftOptions &options);

} // namespace mldeck::drift
