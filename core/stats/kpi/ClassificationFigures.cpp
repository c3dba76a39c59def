#include "core/stats/kpi/ClassificationFigures.h"

#include "core/Text.h"
#include "core/domain/Figure.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

namespace mldeck::stats {

namespace {

// The 99.9th percentiles of chi-square with 1..10 degrees of freedom: a window's labelled rows disagree
// with the calibration map beyond chance when their Hosmer-Lemeshow statistic over g groups exceeds the
// g-th (groups scored by a map fitted on other rows: g degrees of freedom).
constexpr std::array<double, kCalibrationBins> kChiSquare999{10.828, 13.816, 16.266, 18.467, 20.515,
                                                             22.458, 24.322, 26.124, 27.877, 29.588};

bool isNone(const Calibration &c)
{
    return c.method == QLatin1String("none") || c.x.empty();
}

// The probability at the middle (in logit) of a score bin: what the rows of the bin are taken to score when
// only the bin is known.
double scoreBinMiddle(int bin)
{
    const double logit = -kScoreLogitMax + 2 * kScoreLogitMax * (double(bin) + 0.5) / kScoreBins;
    return 1 / (1 + std::exp(-logit));
}

struct HistogramAuc
{
    double auc = 0;
    double bound = 0;
};

// ROC AUC from the score histograms of the negatives and the positives. scoreBin() is monotone, so a pair
// in different bins is ordered by its bins exactly as by its scores; a pair sharing a bin counts one half,
// where the exact AUC counts it 0, 1/2 or 1. Hence |auc - exact| <= (1/2) sum_i P_i N_i / (P N): the bound.
std::optional<HistogramAuc> histogramAuc(const qint64 *negative, const qint64 *positive)
{
    double neg = 0, pos = 0;
    for (int i = 0; i < kScoreBins; ++i) {
        neg += double(negative[i]);
        pos += double(positive[i]);
    }
    if (neg <= 0 || pos <= 0)
        return std::nullopt;
    double below = 0, wins = 0, shared = 0;
    for (int i = 0; i < kScoreBins; ++i) {
        wins += double(positive[i]) * (below + 0.5 * double(negative[i]));
        shared += double(positive[i]) * double(negative[i]);
        below += double(negative[i]);
    }
    return HistogramAuc{wins / (pos * neg), 0.5 * shared / (pos * neg)};
}

std::optional<double> meanOfDefined(const std::vector<std::optional<double>> &values)
{
    double sum = 0;
    int n = 0;
    for (const auto &v : values)
        if (v) {
            sum += *v;
            ++n;
        }
    if (n == 0)
        return std::nullopt;
    return sum / n;
}

// Per-class precision, recall and F1 of a confusion matrix (actual-major; counts or expected counts).
// F1 = 2 TP / (2 TP + FP + FN), defined whenever the class was predicted or occurs.
void perClass(const std::vector<double> &m, int k, std::vector<std::optional<double>> &precision,
              std::vector<std::optional<double>> &recall, std::vector<std::optional<double>> &f1)
{
    precision.assign(size_t(k), std::nullopt);
    recall.assign(size_t(k), std::nullopt);
    f1.assign(size_t(k), std::nullopt);
    for (int c = 0; c < k; ++c) {
        double column = 0, row = 0;
        for (int o = 0; o < k; ++o) {
            column += m[size_t(o * k + c)];
            row += m[size_t(c * k + o)];
        }
        const double tp = m[size_t(c * k + c)];
        precision[size_t(c)] = ratioOf(tp, column);
        recall[size_t(c)] = ratioOf(tp, row);
        f1[size_t(c)] = ratioOf(2 * tp, column + row);
    }
}

// ECE and Hosmer-Lemeshow test of labelled rows binned by score (count, sum of scores, positives), each
// bin's mean score taken through the map.
struct BinnedCalibration
{
    double ece = 0;
    bool disagrees = false; // the Hosmer-Lemeshow statistic beyond its 99.9th percentile
};

BinnedCalibration binnedCalibration(const ClassificationSums &s, const Calibration &calibration)
{
    // Adjacent bins are pooled until a group expects at least 5 hits and 5 misses, so that the chi-square
    // approximation holds (one row scored 0.02 that turns out positive is no evidence of drift); a
    // remainder joins the last group.
    struct Group
    {
        double rows = 0, expected = 0, hits = 0, variance = 0;
    };
    std::vector<Group> groups;
    Group open;
    BinnedCalibration b;
    double n = 0;
    for (int i = 0; i < kCalibrationBins; ++i) {
        const double rows = double(s.calibrationCount[size_t(i)]);
        if (rows <= 0)
            continue;
        n += rows;
        const double q = std::clamp(calibration.apply(s.calibrationSum[size_t(i)] / rows), 0.0, 1.0);
        const double positives = double(s.calibrationPositive[size_t(i)]);
        b.ece += std::abs(positives - rows * q);
        open.rows += rows;
        open.expected += rows * q;
        open.hits += positives;
        open.variance += rows * q * (1 - q);
        if (open.expected >= 5 && open.rows - open.expected >= 5) {
            groups.push_back(open);
            open = Group{};
        }
    }
    if (n <= 0)
        return b;
    b.ece /= n;
    if (open.rows > 0 && !groups.empty()) {
        Group &last = groups.back();
        last = Group{last.rows + open.rows, last.expected + open.expected, last.hits + open.hits,
                     last.variance + open.variance};
    } else if (open.rows > 0) {
        groups.push_back(open);
    }
    double statistic = 0;
    for (const Group &g : groups)
        if (g.variance > 0)
            statistic += (g.hits - g.expected) * (g.hits - g.expected) / g.variance;
        else if (g.hits != g.expected)
            statistic = std::numeric_limits<double>::infinity(); // a certain map contradicted
    b.disagrees = statistic > kChiSquare999[groups.size() - 1];
    return b;
}

// Expected figures before labels, from the model's probabilities through the calibration map.
void estimate(const ClassificationSums &s, const Calibration &calibration, ClassificationFigures &f)
{
    const int k = s.classes;
    const double n = double(s.counted());
    if (n <= 0)
        return;
    if (k == 2) {
        // The expected confusion matrix (actual-major). Without a map it is the exact sum of the logged
        // probabilities; with one, each score bin's rows score the bin's middle, taken through the map.
        std::vector<double> e(4, 0.0);
        if (isNone(calibration)) {
            for (size_t i = 0; i < std::min<size_t>(4, s.expectedConfusion.size()); ++i)
                e[i] = s.expectedConfusion[i];
        } else {
            for (int served = 0; served < 2; ++served)
                for (int bin = 0; bin < kScoreBins; ++bin) {
                    const size_t at = size_t(served * kScoreBins + bin);
                    const double count = at < s.servedScoreCount.size() ? double(s.servedScoreCount[at]) : 0.0;
                    if (count <= 0)
                        continue;
                    const double q = std::clamp(calibration.apply(scoreBinMiddle(bin)), 0.0, 1.0);
                    e[size_t(2 + served)] += count * q;
                    e[size_t(served)] += count * (1 - q);
                }
        }
        const double total = e[0] + e[1] + e[2] + e[3];
        if (total <= 0)
            return;
        f.estimatedAccuracy = (e[0] + e[3]) / total;
        f.estimatedPrecision = ratioOf(e[3], e[3] + e[1]);
        f.estimatedRecall = ratioOf(e[3], e[3] + e[2]);
        f.estimatedF1 = ratioOf(2 * e[3], 2 * e[3] + e[1] + e[2]);
        return;
    }
    // Multi-class: the probability that a row is right is its confidence through the map, bin by bin
    // (exactly the mean confidence without a map).
    if (isNone(calibration)) {
        f.estimatedAccuracy = s.sumConfidence / n;
        // Macro precision, recall and F1 from the expected confusion when every row logged its vector.
        const double covered = std::accumulate(s.expectedConfusion.begin(), s.expectedConfusion.end(), 0.0);
        if (s.expectedConfusion.size() == size_t(k * k) && std::abs(covered - n) <= 1e-6 * n) {
            std::vector<std::optional<double>> p, r, f1;
            perClass(s.expectedConfusion, k, p, r, f1);
            f.estimatedPrecision = meanOfDefined(p);
            f.estimatedRecall = meanOfDefined(r);
            f.estimatedF1 = meanOfDefined(f1);
        }
        return;
    }
    double right = 0;
    for (int i = 0; i < kCalibrationBins; ++i) {
        const double count = double(s.scoreCount[size_t(i)]);
        if (count > 0)
            right += count * std::clamp(calibration.apply(s.scoreSum[size_t(i)] / count), 0.0, 1.0);
    }
    f.estimatedAccuracy = right / n;
}

QString untrustedReason(const ClassificationSums &s, const Calibration &calibration)
{
    if (s.counted() < kMinRowsForEstimate)
        return StatsText::tr("Fewer than %1 predictions: too few to estimate from.").arg(kMinRowsForEstimate);
    if (!calibration.unavailable.isEmpty())
        return calibration.unavailable;
    if (!calibration.referenceEce)
        return StatsText::tr("The model's probabilities were not checked on labelled reference data.");
    if (*calibration.referenceEce > kMaxTrustedReferenceEce)
        return StatsText::tr("The model's probabilities are not calibrated on the reference data "
                             "(calibration error %1, above %2).")
            .arg(*calibration.referenceEce, 0, 'f', 3)
            .arg(kMaxTrustedReferenceEce, 0, 'f', 2);
    // The labels that did arrive in the window: far from the map (beyond chance) means the calibration
    // checked on the reference no longer holds.
    if (s.labelled() >= kMinRowsForEstimate) {
        const BinnedCalibration b = binnedCalibration(s, calibration);
        if (b.ece > kMaxTrustedReferenceEce && b.disagrees)
            return StatsText::tr("The labelled predictions of this period disagree with the calibration "
                                 "(calibration error %1): the model's probabilities have drifted.")
                .arg(b.ece, 0, 'f', 3);
    }
    return {};
}

// Expected calibration error of rows (score, outcome) through a map: rows binned by their mapped value.
double expectedCalibrationError(std::span<const double> score, std::span<const int> outcome,
                                const std::vector<size_t> &rows, const Calibration &calibration)
{
    std::array<double, kCalibrationBins> gap{};
    for (size_t r : rows) {
        const double q = std::clamp(calibration.apply(score[r]), 0.0, 1.0);
        gap[size_t(calibrationBin(q))] += double(outcome[r]) - q;
    }
    double sum = 0;
    for (double g : gap)
        sum += std::abs(g);
    return rows.empty() ? 0.0 : sum / double(rows.size());
}

// Reference rows count with a score in [0, 1] and an outcome 0 or 1; the others are left out.
bool usable(double score, int outcome)
{
    return score >= 0 && score <= 1 && (outcome == 0 || outcome == 1);
}

// Pool adjacent violators over the given rows (fitIsotonic()).
Calibration isotonicOn(std::span<const double> score, std::span<const int> outcome, std::vector<size_t> rows)
{
    std::sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
    struct Block
    {
        double low, high, sum, count;
    };
    std::vector<Block> blocks;
    for (size_t i = 0; i < rows.size();) {
        Block b{score[rows[i]], score[rows[i]], 0, 0};
        for (; i < rows.size() && score[rows[i]] == b.low; ++i) { // equal scores get one value
            b.sum += outcome[rows[i]];
            b.count += 1;
        }
        blocks.push_back(b);
        while (blocks.size() >= 2) {
            Block &prev = blocks[blocks.size() - 2];
            const Block &last = blocks.back();
            if (prev.sum / prev.count <= last.sum / last.count)
                break;
            prev = Block{prev.low, last.high, prev.sum + last.sum, prev.count + last.count};
            blocks.pop_back();
        }
    }
    Calibration c;
    c.method = QStringLiteral("isotonic");
    for (const Block &b : blocks) {
        c.x.push_back(b.low);
        c.y.push_back(b.sum / b.count);
        if (b.high > b.low) {
            c.x.push_back(b.high);
            c.y.push_back(b.sum / b.count);
        }
    }
    return c;
}

// Histogram binning: the positive rate of each of the 10 calibration bins, at the bin's mean score.
Calibration fitBinning(std::span<const double> score, std::span<const int> outcome, const std::vector<size_t> &rows)
{
    std::array<double, kCalibrationBins> sum{}, positive{}, count{};
    for (size_t r : rows) {
        const size_t b = size_t(calibrationBin(score[r]));
        sum[b] += score[r];
        positive[b] += outcome[r];
        count[b] += 1;
    }
    Calibration c;
    c.method = QStringLiteral("binning");
    for (size_t b = 0; b < size_t(kCalibrationBins); ++b)
        if (count[b] > 0) {
            c.x.push_back(sum[b] / count[b]);
            c.y.push_back(positive[b] / count[b]);
        }
    return c;
}

} // namespace

double Calibration::apply(double score) const
{
    if (isNone(*this) || x.size() != y.size())
        return score;
    if (!(score > x.front()))
        return y.front();
    if (score >= x.back())
        return y.back();
    const size_t hi = size_t(std::upper_bound(x.begin(), x.end(), score) - x.begin());
    const size_t lo = hi - 1;
    const double t = (score - x[lo]) / (x[hi] - x[lo]);
    return y[lo] + t * (y[hi] - y[lo]);
}

Calibration fitIsotonic(std::span<const double> score, std::span<const int> outcome)
{
    std::vector<size_t> rows;
    for (size_t i = 0; i < std::min(score.size(), outcome.size()); ++i)
        if (usable(score[i], outcome[i]))
            rows.push_back(i);
    Calibration c = isotonicOn(score, outcome, rows);
    c.referenceRows = qint64(rows.size());
    return c;
}

Calibration fitCalibration(std::span<const double> score, std::span<const int> outcome)
{
    std::vector<size_t> fit, held;
    const size_t n = std::min(score.size(), outcome.size());
    size_t used = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!usable(score[i], outcome[i]))
            continue;
        (used++ % 2 == 0 ? fit : held).push_back(i); // alternate rows: both halves span the whole reference
    }
    Calibration none;
    none.referenceRows = qint64(used);
    if (used < 100)
        return none;
    Calibration isotonic = isotonicOn(score, outcome, fit);
    Calibration binning = fitBinning(score, outcome, fit);
    const double eceNone = expectedCalibrationError(score, outcome, held, none);
    const double eceIsotonic = expectedCalibrationError(score, outcome, held, isotonic);
    const double eceBinning = expectedCalibrationError(score, outcome, held, binning);
    Calibration best = none;
    double bestEce = eceNone;
    if (eceIsotonic < bestEce) {
        best = std::move(isotonic);
        bestEce = eceIsotonic;
    }
    if (eceBinning < bestEce) {
        best = std::move(binning);
        bestEce = eceBinning;
    }
    best.referenceEce = bestEce;
    best.referenceRows = qint64(used);
    return best;
}

ClassificationFigures computeClassificationFigures(const ClassificationSums &s, const Calibration &calibration)
{
    ClassificationFigures f;
    const int k = s.classes;
    f.classes = k;
    if (k < 2)
        return f;
    f.predictions = s.counted();
    f.labelled = s.labelled();
    f.confusion = s.confusion;
    f.confusion.resize(size_t(k * k), 0);
    const double n = double(f.predictions);

    // Every row.
    f.meanConfidence = ratioOf(s.sumConfidence, n);
    f.labelCoverage = ratioOf(double(f.labelled), n);
    f.predictedShare.assign(size_t(k), std::nullopt);
    for (int c = 0; c < k; ++c)
        f.predictedShare[size_t(c)] =
            ratioOf(c < int(s.predictedCount.size()) ? double(s.predictedCount[size_t(c)]) : 0, n);
    if (k == 2)
        f.positiveRate = f.predictedShare[1];

    // Labelled rows.
    const std::vector<double> confusion(f.confusion.begin(), f.confusion.end());
    double right = 0;
    for (int c = 0; c < k; ++c)
        right += confusion[size_t(c * k + c)];
    f.accuracy = ratioOf(right, double(f.labelled));
    perClass(confusion, k, f.precision, f.recall, f.f1);
    f.balancedAccuracy = meanOfDefined(f.recall);
    f.macroPrecision = meanOfDefined(f.precision);
    f.macroRecall = f.balancedAccuracy;
    f.macroF1 = meanOfDefined(f.f1);
    if (k == 2) {
        f.precisionPositive = f.precision[1];
        f.recallPositive = f.recall[1];
        f.f1Positive = f.f1[1];
    }
    if (s.lossCount > 0) {
        f.logLoss = s.sumLogLoss / double(s.lossCount);
        f.brier = s.sumBrier / double(s.lossCount);
    }
    if (std::accumulate(s.calibrationCount.begin(), s.calibrationCount.end(), qint64(0)) > 0)
        f.ece = binnedCalibration(s, Calibration{}).ece;

    // ROC AUC: binary from the histogram of P(positive); multi-class the mean over the classes of their
    // one-vs-rest AUC (those with rows on both sides), its bound the mean of their bounds.
    const int histograms = k == 2 ? 1 : k;
    if (s.scoreHistogram.size() >= size_t(histograms * 2 * kScoreBins)) {
        double sum = 0, bound = 0;
        int defined = 0;
        for (int h = 0; h < histograms; ++h) {
            const qint64 *base = s.scoreHistogram.data() + size_t(h * 2 * kScoreBins);
            if (const auto a = histogramAuc(base, base + kScoreBins)) {
                sum += a->auc;
                bound += a->bound;
                ++defined;
            }
        }
        if (defined > 0) {
            f.rocAuc = sum / defined;
            f.rocAucBound = bound / defined;
        }
    }

    estimate(s, calibration, f);
    f.estimateUntrusted = untrustedReason(s, calibration);
    return f;
}

} // namespace mldeck::stats
