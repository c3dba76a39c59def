#include "core/stats/kpi/ClassificationSums.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mldeck::stats {

int calibrationBin(double score)
{
    if (!(score > 0)) // also NaN
        return 0;
    return std::min(kCalibrationBins - 1, int(score * kCalibrationBins));
}

int scoreBin(double probability)
{
    if (!(probability > 0))
        return 0;
    if (probability >= 1)
        return kScoreBins - 1;
    const double logit = std::log(probability / (1 - probability));
    const double at = (logit + kScoreLogitMax) / (2 * kScoreLogitMax) * kScoreBins;
    return std::clamp(int(std::floor(at)), 0, kScoreBins - 1);
}

double scoreBinLow(int bin)
{
    if (bin <= 0)
        return 0;
    const double logit = -kScoreLogitMax + 2 * kScoreLogitMax * double(bin) / kScoreBins;
    return 1 / (1 + std::exp(-logit));
}

namespace {

template <typename T> void addInto(std::vector<T> &to, const std::vector<T> &from)
{
    if (to.size() < from.size())
        to.resize(from.size(), T{});
    for (size_t i = 0; i < from.size(); ++i)
        to[i] += from[i];
}

template <typename T, size_t N> void addInto(std::array<T, N> &to, const std::array<T, N> &from)
{
    for (size_t i = 0; i < N; ++i)
        to[i] += from[i];
}

} // namespace

qint64 ClassificationSums::labelled() const
{
    return std::accumulate(confusion.begin(), confusion.end(), qint64(0));
}

qint64 ClassificationSums::counted() const
{
    return std::accumulate(predictedCount.begin(), predictedCount.end(), qint64(0));
}

void ClassificationSums::merge(const ClassificationSums &o)
{
    classes = std::max(classes, o.classes);
    addInto(predictedCount, o.predictedCount);
    sumConfidence += o.sumConfidence;
    addInto(scoreCount, o.scoreCount);
    addInto(scoreSum, o.scoreSum);
    addInto(servedScoreCount, o.servedScoreCount);
    addInto(expectedConfusion, o.expectedConfusion);
    addInto(confusion, o.confusion);
    lossCount += o.lossCount;
    sumLogLoss += o.sumLogLoss;
    sumBrier += o.sumBrier;
    addInto(calibrationCount, o.calibrationCount);
    addInto(calibrationSum, o.calibrationSum);
    addInto(calibrationPositive, o.calibrationPositive);
    addInto(scoreHistogram, o.scoreHistogram);
}

} // namespace mldeck::stats
