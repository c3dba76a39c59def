#include "core/stats/Metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace mldeck::stats {

RegressionMetrics regressionMetrics(std::span<const double> predicted, std::span<const double> actual)
{
    RegressionMetrics m;
    const size_t n = std::min(predicted.size(), actual.size());
    m.rows = qint64(n);
    if (n == 0)
        return m;
    // Two passes (mean first) keep SST accurate for large targets.
    const double mean = std::accumulate(actual.begin(), actual.begin() + qsizetype(n), 0.0) / double(n);
    double absSum = 0, sqSum = 0, sst = 0, apeSum = 0;
    qint64 apeRows = 0;
    for (size_t i = 0; i < n; ++i) {
        const double e = predicted[i] - actual[i];
        absSum += std::abs(e);
        sqSum += e * e;
        sst += (actual[i] - mean) * (actual[i] - mean);
        if (actual[i] != 0) {
            apeSum += std::abs(e / actual[i]);
            ++apeRows;
        }
    }
    m.mae = absSum / double(n);
    m.rmse = std::sqrt(sqSum / double(n));
    m.r2 = sst > 0 ? 1.0 - sqSum / sst : 0.0;
    m.mapeSkippedZeroTargets = qint64(n) - apeRows;
    if (apeRows > 0)
        m.mape = 100.0 * apeSum / double(apeRows);
    return m;
}

std::optional<double> rocAuc(std::span<const double> scores, std::span<const double> actual)
{
    const size_t n = std::min(scores.size(), actual.size());
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    // Sum of the (average, 1-based) ranks of the positives; ties share their mean rank.
    double positiveRankSum = 0;
    qint64 positives = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 1 < n && scores[order[j + 1]] == scores[order[i]])
            ++j;
        const double rank = (double(i + 1) + double(j + 1)) / 2.0;
        for (size_t k = i; k <= j; ++k) {
            if (actual[order[k]] >= 0.5) {
                positiveRankSum += rank;
                ++positives;
            }
        }
        i = j + 1;
    }
    const qint64 negatives = qint64(n) - positives;
    if (positives == 0 || negatives == 0)
        return std::nullopt;
    const double p = double(positives);
    return (positiveRankSum - p * (p + 1) / 2.0) / (p * double(negatives));
}

ClassificationMetrics classificationMetrics(std::span<const double> scores, std::span<const double> actual,
                                            double threshold)
{
    ClassificationMetrics m;
    m.threshold = threshold;
    const size_t n = std::min(scores.size(), actual.size());
    m.rows = qint64(n);
    ConfusionMatrix &c = m.confusion;
    for (size_t i = 0; i < n; ++i) {
        const bool predictedPositive = scores[i] >= threshold;
        const bool actualPositive = actual[i] >= 0.5;
        if (predictedPositive && actualPositive)
            ++c.truePositive;
        else if (predictedPositive)
            ++c.falsePositive;
        else if (actualPositive)
            ++c.falseNegative;
        else
            ++c.trueNegative;
    }
    if (n == 0)
        return m;
    m.accuracy = double(c.truePositive + c.trueNegative) / double(n);
    const qint64 predictedPos = c.truePositive + c.falsePositive;
    const qint64 actualPos = c.truePositive + c.falseNegative;
    m.precision = predictedPos > 0 ? double(c.truePositive) / double(predictedPos) : 0.0;
    m.recall = actualPos > 0 ? double(c.truePositive) / double(actualPos) : 0.0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    m.rocAuc = rocAuc(scores.first(n), actual.first(n));
    return m;
}

} // namespace mldeck::stats
