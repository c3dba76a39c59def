#include "core/stats/kpi/ClassificationFigures.h"

// Placeholder while the figures are written (owned by the classification-statistics work).
namespace mldeck::stats {

double Calibration::apply(double score) const
{
    return score;
}

Calibration fitCalibration(std::span<const double>, std::span<const int>)
{
    return {};
}

ClassificationFigures computeClassificationFigures(const ClassificationSums &sums, const Calibration &)
{
    ClassificationFigures f;
    f.classes = sums.classes;
    return f;
}

} // namespace mldeck::stats
