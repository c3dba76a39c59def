#include "core/stats/Metrics.h"

#include <algorithm>
#include <array>
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

std::optional<double> averagePrecision(std::span<const double> scores, std::span<const double> actual)
{
    const size_t n = std::min(scores.size(), actual.size());
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    double positives = 0;
    for (size_t i = 0; i < n; ++i)
        positives += actual[i] >= 0.5 ? 1 : 0;
    if (positives == 0)
        return std::nullopt;
    // One step per distinct score: rows tied at a score enter together.
    double tp = 0, fp = 0, ap = 0, previousRecall = 0;
    for (size_t i = 0; i < n;) {
        const double at = scores[order[i]];
        for (; i < n && scores[order[i]] == at; ++i)
            (actual[order[i]] >= 0.5 ? tp : fp) += 1;
        const double recall = tp / positives;
        ap += (recall - previousRecall) * (tp / (tp + fp));
        previousRecall = recall;
    }
    return ap;
}

std::vector<double> binaryProbabilities(std::span<const double> positive)
{
    std::vector<double> p;
    p.reserve(positive.size() * 2);
    for (double v : positive) {
        p.push_back(1 - v);
        p.push_back(v);
    }
    return p;
}

namespace {

constexpr double kLogLossClip = 1e-15;

double rowLoss(double probability)
{
    return -std::log(std::clamp(probability, kLogLossClip, 1 - kLogLossClip));
}

size_t rowsOf(int classes, std::span<const double> probabilities, std::span<const int> actual)
{
    return classes < 1 ? 0 : std::min(probabilities.size() / size_t(classes), actual.size());
}

} // namespace

ClassificationSums classificationSums(const ClassSpec &spec, std::span<const double> probabilities,
                                      std::span<const int> actual)
{
    const int k = spec.count();
    ClassificationSums s;
    if (k < 2)
        return s;
    const bool binary = k == 2;
    const size_t uk = size_t(k);
    s.classes = k;
    s.predictedCount.assign(uk, 0);
    if (binary)
        s.servedScoreCount.assign(size_t(2 * kScoreBins), 0);
    s.expectedConfusion.assign(uk * uk, 0.0);
    s.confusion.assign(uk * uk, 0);
    s.scoreHistogram.assign(size_t((binary ? 1 : k) * 2 * kScoreBins), 0);
    const size_t n = rowsOf(k, probabilities, actual);
    for (size_t r = 0; r < n; ++r) {
        const std::span<const double> p = probabilities.subspan(r * uk, uk);
        const int served = spec.decide(p);
        const double score = binary ? p[1] : p[size_t(served)];
        ++s.predictedCount[size_t(served)];
        s.sumConfidence += p[size_t(served)];
        const size_t bin = size_t(calibrationBin(score));
        ++s.scoreCount[bin];
        s.scoreSum[bin] += score;
        if (binary)
            ++s.servedScoreCount[size_t(served * kScoreBins + scoreBin(p[1]))];
        for (int a = 0; a < k; ++a)
            s.expectedConfusion[size_t(a * k + served)] += p[size_t(a)];

        const int a = actual[r];
        if (a < 0 || a >= k)
            continue; // unlabelled
        ++s.confusion[size_t(a * k + served)];
        ++s.lossCount;
        s.sumLogLoss += rowLoss(p[size_t(a)]);
        if (binary) {
            s.sumBrier += (p[1] - a) * (p[1] - a);
        } else {
            for (int c = 0; c < k; ++c) {
                const double d = p[size_t(c)] - (c == a ? 1.0 : 0.0);
                s.sumBrier += d * d;
            }
        }
        ++s.calibrationCount[bin];
        s.calibrationSum[bin] += score;
        s.calibrationPositive[bin] += (binary ? a == 1 : a == served) ? 1 : 0;
        if (binary) {
            ++s.scoreHistogram[size_t((a == 1 ? 1 : 0) * kScoreBins + scoreBin(p[1]))];
        } else {
            for (int c = 0; c < k; ++c)
                ++s.scoreHistogram[size_t((c * 2 + (a == c ? 1 : 0)) * kScoreBins + scoreBin(p[size_t(c)]))];
        }
    }
    return s;
}

std::vector<ReliabilityBin> reliabilityDiagram(const ClassificationSums &sums)
{
    std::vector<ReliabilityBin> bins;
    for (int i = 0; i < kCalibrationBins; ++i) {
        const qint64 rows = sums.calibrationCount[size_t(i)];
        if (rows <= 0)
            continue;
        ReliabilityBin b;
        b.low = double(i) / kCalibrationBins;
        b.high = double(i + 1) / kCalibrationBins;
        b.rows = rows;
        b.meanScore = sums.calibrationSum[size_t(i)] / double(rows);
        b.observed = double(sums.calibrationPositive[size_t(i)]) / double(rows);
        bins.push_back(b);
    }
    return bins;
}

ClassifierMetrics classifierMetrics(const ClassSpec &spec, std::span<const double> probabilities,
                                    std::span<const int> actual)
{
    ClassifierMetrics m;
    const int k = spec.count();
    const ClassificationSums sums = classificationSums(spec, probabilities, actual);
    m.figures = computeClassificationFigures(sums);
    m.rows = m.figures.predictions;
    m.reliability = reliabilityDiagram(sums);
    m.figures.rocAuc.reset();
    m.figures.rocAucBound.reset();
    if (k < 2)
        return m;

    // One-vs-rest columns over the labelled rows: binary only the positive class.
    const size_t n = rowsOf(k, probabilities, actual);
    const size_t uk = size_t(k);
    std::vector<std::vector<double>> column(uk), isClass(uk);
    for (size_t r = 0; r < n; ++r) {
        if (actual[r] < 0 || actual[r] >= k)
            continue;
        for (int c = 0; c < k; ++c) {
            column[size_t(c)].push_back(probabilities[r * size_t(k) + size_t(c)]);
            isClass[size_t(c)].push_back(actual[r] == c ? 1.0 : 0.0);
        }
    }
    const int first = k == 2 ? 1 : 0;
    double aucSum = 0, apSum = 0;
    int aucClasses = 0, apClasses = 0;
    for (int c = first; c < k; ++c) {
        if (const auto auc = rocAuc(column[size_t(c)], isClass[size_t(c)])) {
            aucSum += *auc;
            ++aucClasses;
        }
        if (const auto ap = averagePrecision(column[size_t(c)], isClass[size_t(c)])) {
            apSum += *ap;
            ++apClasses;
        }
    }
    if (aucClasses > 0) {
        m.figures.rocAuc = aucSum / aucClasses;
        m.figures.rocAucBound = 0.0;
    }
    if (apClasses > 0)
        m.prAuc = apSum / apClasses;
    return m;
}

std::vector<double> rowHits(const ClassSpec &spec, std::span<const double> probabilities, std::span<const int> actual)
{
    const int k = spec.count();
    const size_t n = rowsOf(k, probabilities, actual);
    std::vector<double> hits;
    hits.reserve(n);
    for (size_t r = 0; r < n; ++r)
        if (actual[r] >= 0 && actual[r] < k)
            hits.push_back(spec.decide(probabilities.subspan(r * size_t(k), size_t(k))) == actual[r] ? 1.0 : 0.0);
    return hits;
}

std::vector<double> rowLogLoss(int classes, std::span<const double> probabilities, std::span<const int> actual)
{
    const size_t n = rowsOf(classes, probabilities, actual);
    std::vector<double> loss;
    loss.reserve(n);
    for (size_t r = 0; r < n; ++r)
        if (actual[r] >= 0 && actual[r] < classes)
            loss.push_back(rowLoss(probabilities[r * size_t(classes) + size_t(actual[r])]));
    return loss;
}

} // namespace mldeck::stats
