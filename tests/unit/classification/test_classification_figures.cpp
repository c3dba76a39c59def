#include "core/stats/Bootstrap.h"
#include "core/stats/Metrics.h"
#include "core/stats/kpi/ClassificationFigures.h"
#include "core/stats/kpi/KpiFigures.h"

#include <QTest>

#include <cmath>
#include <random>
#include <vector>

using namespace mldeck;
using namespace mldeck::stats;

namespace {

ClassSpec specOf(int k, double threshold = 0.5)
{
    ClassSpec spec;
    for (int i = 0; i < k; ++i)
        spec.classes << QStringLiteral("c%1").arg(i);
    spec.decisionThreshold = threshold;
    return spec;
}

bool near(const std::optional<double> &v, double want, double tolerance = 1e-12)
{
    return v && std::abs(*v - want) <= tolerance;
}

double sigmoid(double x)
{
    return 1 / (1 + std::exp(-x));
}

double logit(double p)
{
    return std::log(p / (1 - p));
}

// Simulated rows of a classifier: probabilities row-major and the true class drawn from `truth` (the real
// probabilities, equal to the model's when it is calibrated); `labelledShare` of the rows keep their label.
struct Rows
{
    std::vector<double> p;
    std::vector<int> actual;   // -1: unlabelled
    std::vector<int> truth;    // every row's true class, labelled or not
    std::vector<double> score; // calibration score (binary P(positive), multi-class the confidence)
    std::vector<int> hit;      // binary: positive; multi-class: served class right
};

// Binary: the model says p = sigmoid(z), z ~ N(0.3, 2); the world's probability is truthOf(p).
template <typename F> Rows binaryRows(std::mt19937_64 &rng, int n, F truthOf, double labelledShare = 1.0)
{
    std::normal_distribution<double> z(0.3, 2.0);
    std::uniform_real_distribution<double> u;
    Rows r;
    for (int i = 0; i < n; ++i) {
        const double p = sigmoid(z(rng));
        const int y = u(rng) < truthOf(p) ? 1 : 0;
        r.p.push_back(1 - p);
        r.p.push_back(p);
        r.truth.push_back(y);
        r.actual.push_back(u(rng) < labelledShare ? y : -1);
        r.score.push_back(p);
        r.hit.push_back(y);
    }
    return r;
}

// K classes: softmax of N(0, 1.5) logits; the true class drawn from the model's own probabilities.
Rows multiclassRows(std::mt19937_64 &rng, int n, int k)
{
    std::normal_distribution<double> z(0.0, 1.5);
    std::uniform_real_distribution<double> u;
    const ClassSpec spec = specOf(k);
    Rows r;
    for (int i = 0; i < n; ++i) {
        std::vector<double> p(static_cast<size_t>(k) + 0);
        double sum = 0;
        for (double &v : p)
            sum += v = std::exp(z(rng));
        for (double &v : p)
            v /= sum;
        double draw = u(rng), cumulative = 0;
        int y = k - 1;
        for (int c = 0; c < k; ++c)
            if (draw < (cumulative += p[size_t(c)])) {
                y = c;
                break;
            }
        const int served = spec.decide(std::span<const double>(p));
        r.p.insert(r.p.end(), p.begin(), p.end());
        r.truth.push_back(y);
        r.actual.push_back(y);
        r.score.push_back(p[size_t(served)]);
        r.hit.push_back(served == y ? 1 : 0);
    }
    return r;
}

double realisedAccuracy(const ClassSpec &spec, const Rows &r)
{
    const std::vector<double> hits = rowHits(spec, r.p, r.truth);
    double sum = 0;
    for (double h : hits)
        sum += h;
    return sum / double(hits.size());
}

} // namespace

class TestClassificationFigures final : public QObject
{
    Q_OBJECT

    // How close the estimate before labels comes to the accuracy the labels then show, on calibrated data
    // of 20,000 rows: the realised accuracy's own sampling error (standard deviation ~0.003) and the
    // score bins the calibration map is read at both fit in it.
    static constexpr double kEstimateTolerance = 0.01;

private Q_SLOTS:
    void binaryHandComputed()
    {
        // P(positive) 0.9 0.8 0.6 0.4 0.3 0.1 labelled 1 0 1 1 0 0, and 0.7 unlabelled; threshold 0.5.
        const std::vector<double> pos{0.9, 0.8, 0.6, 0.4, 0.3, 0.1, 0.7};
        const std::vector<int> actual{1, 0, 1, 1, 0, 0, -1};
        const ClassificationSums s = classificationSums(specOf(2), binaryProbabilities(pos), actual);
        const ClassificationFigures f = computeClassificationFigures(s);
        QCOMPARE(f.classes, 2);
        QCOMPARE(f.predictions, 7);
        QCOMPARE(f.labelled, 6);
        QCOMPARE(f.confusion, (std::vector<qint64>{2, 1, 1, 2})); // TN FP / FN TP
        QVERIFY(near(f.accuracy, 4.0 / 6));
        QVERIFY(near(f.precisionPositive, 2.0 / 3) && near(f.recallPositive, 2.0 / 3) && near(f.f1Positive, 2.0 / 3));
        QVERIFY(near(f.precision[0], 2.0 / 3) && near(f.recall[0], 2.0 / 3));
        QVERIFY(near(f.balancedAccuracy, 2.0 / 3) && near(f.macroF1, 2.0 / 3));
        QVERIFY(near(f.labelCoverage, 6.0 / 7));
        QVERIFY(near(f.positiveRate, 4.0 / 7));
        QVERIFY(near(f.meanConfidence, 5.2 / 7));
        const double logLoss =
            -(std::log(0.9) + std::log(0.2) + std::log(0.6) + std::log(0.4) + std::log(0.7) + std::log(0.9)) / 6;
        QVERIFY(near(f.logLoss, logLoss));
        QVERIFY(near(f.brier, 1.27 / 6));
        // One row per calibration bin: |1 - .9| + |0 - .8| + |1 - .6| + |1 - .4| + |0 - .3| + |0 - .1|.
        QVERIFY(near(f.ece, 2.3 / 6));
        // The six scores fall in six score bins: the histogram AUC is exact (7 of 9 pairs), bound 0.
        QVERIFY(near(f.rocAuc, 7.0 / 9) && near(f.rocAucBound, 0));
        // Before labels, without a map: expected TP = .9+.8+.6+.7, FP = .1+.2+.4+.3, FN = .4+.3+.1, TN = 2.2.
        QVERIFY(near(f.estimatedAccuracy, 5.2 / 7));
        QVERIFY(near(f.estimatedPrecision, 3.0 / 4));
        QVERIFY(near(f.estimatedRecall, 3.0 / 3.8));
        QVERIFY(near(f.estimatedF1, 6.0 / (6.0 + 1.0 + 0.8)));
        QVERIFY(!f.estimateUntrusted.isEmpty()); // 7 rows
        // The reliability diagram: one labelled row in each of six bins.
        const std::vector<ReliabilityBin> bins = reliabilityDiagram(s);
        QCOMPARE(bins.size(), size_t(6));
        QVERIFY(bins[0].rows == 1 && near(bins[0].low, 0.1) && near(bins[0].meanScore, 0.1) && bins[0].observed == 0);
        QVERIFY(bins[5].rows == 1 && near(bins[5].high, 1.0) && near(bins[5].meanScore, 0.9) && bins[5].observed == 1);
        // Average precision with a tie: 0.9 (+) gives recall 1/2 at precision 1; 0.8 (-, +) together recall 1 at
        // precision 2/3: 1/2 + 1/2 * 2/3 (scikit-learn: 0.8333...).
        QVERIFY(
            near(averagePrecision(std::vector<double>{0.9, 0.8, 0.8, 0.3}, std::vector<double>{1, 0, 1, 0}), 5.0 / 6));
    }

    void multiclassHandComputed()
    {
        // Four classes, the last never predicted nor true: its figures are empty, not 0.
        const std::vector<double> p{0.7,      0.2, 0.1, 0, /**/ 0.1, 0.6, 0.3, 0,
                                    /**/ 0.2, 0.3, 0.5, 0, /**/ 0.4, 0.4, 0.2, 0};
        const std::vector<int> actual{0, 2, 2, 1}; // served 0 (right), 1, 2 (right), 0 (tie: lowest index)
        const ClassificationFigures f = computeClassificationFigures(classificationSums(specOf(4), p, actual));
        QCOMPARE(f.confusion, (std::vector<qint64>{1, 0, 0, 0, /**/ 1, 0, 0, 0, /**/ 0, 1, 1, 0, /**/ 0, 0, 0, 0}));
        QVERIFY(near(f.accuracy, 0.5));
        QVERIFY(near(f.precision[0], 0.5) && near(f.precision[1], 0) && near(f.precision[2], 1));
        QVERIFY(near(f.recall[0], 1) && near(f.recall[1], 0) && near(f.recall[2], 0.5));
        QVERIFY(near(f.f1[0], 2.0 / 3) && near(f.f1[1], 0) && near(f.f1[2], 2.0 / 3));
        QVERIFY(!f.precision[3] && !f.recall[3] && !f.f1[3]);
        QVERIFY(near(f.macroPrecision, 0.5) && near(f.macroRecall, 0.5) && near(f.balancedAccuracy, 0.5));
        QVERIFY(near(f.macroF1, 4.0 / 9));
        QVERIFY(near(f.logLoss, -(std::log(0.7) + std::log(0.3) + std::log(0.5) + std::log(0.4)) / 4));
        QVERIFY(near(f.brier, (0.14 + 0.86 + 0.38 + 0.56) / 4));
        QVERIFY(near(f.ece, (0.3 + 0.6 + 0.5 + 0.4) / 4)); // confidence .7 right, .6 wrong, .5 right, .4 wrong
        QVERIFY(near(f.meanConfidence, 0.55) && near(f.estimatedAccuracy, 0.55));
        QVERIFY(!f.positiveRate && !f.precisionPositive);
        QVERIFY(near(f.predictedShare[0], 0.5) && near(f.predictedShare[3], 0));
    }

    void emptyFiguresStayEmpty()
    {
        const ClassificationFigures none = computeClassificationFigures(ClassificationSums{});
        QCOMPARE(none.classes, 0);
        QVERIFY(!none.accuracy && !none.meanConfidence && !none.estimatedAccuracy);

        const ClassificationFigures noRows = computeClassificationFigures(classificationSums(specOf(2), {}, {}));
        QCOMPARE(noRows.classes, 2);
        QCOMPARE(noRows.predictions, 0);
        QVERIFY(!noRows.accuracy && !noRows.meanConfidence && !noRows.labelCoverage && !noRows.positiveRate);
        QVERIFY(!noRows.rocAuc && !noRows.logLoss && !noRows.ece && !noRows.estimatedAccuracy);
        QVERIFY(!noRows.estimateUntrusted.isEmpty());

        // Rows without labels: what needs labels is empty, the rest is there; coverage is a real 0.
        const std::vector<int> unlabelled{-1, -1, 7};
        const ClassificationFigures waiting = computeClassificationFigures(
            classificationSums(specOf(2), binaryProbabilities(std::vector<double>{0.2, 0.9, 0.6}), unlabelled));
        QVERIFY(!waiting.accuracy && !waiting.precisionPositive && !waiting.logLoss && !waiting.brier);
        QVERIFY(!waiting.ece && !waiting.rocAuc && !waiting.balancedAccuracy);
        QVERIFY(near(waiting.labelCoverage, 0) && near(waiting.positiveRate, 2.0 / 3));
        QVERIFY(waiting.estimatedAccuracy.has_value());
    }

    void mergedSumsGiveTheFiguresOfTheUnion()
    {
        std::mt19937_64 rng(7);
        const Rows r = multiclassRows(rng, 3000, 5);
        const ClassSpec spec = specOf(5);
        const size_t half = 1234;
        ClassificationSums a =
            classificationSums(spec, std::span(r.p).first(half * 5), std::span(r.actual).first(half));
        a.merge(classificationSums(spec, std::span(r.p).subspan(half * 5), std::span(r.actual).subspan(half)));
        const ClassificationFigures merged = computeClassificationFigures(a);
        const ClassificationFigures whole = computeClassificationFigures(classificationSums(spec, r.p, r.actual));
        QCOMPARE(merged.confusion, whole.confusion);
        QCOMPARE(merged.predictions, whole.predictions);
        QVERIFY(near(merged.logLoss, *whole.logLoss, 1e-12) && near(merged.brier, *whole.brier, 1e-12));
        QVERIFY(near(merged.rocAuc, *whole.rocAuc, 1e-12) && near(merged.ece, *whole.ece, 1e-12));
        QVERIFY(near(merged.macroF1, *whole.macroF1, 1e-12));
    }

    // The histogram AUC differs from the exact one only through pairs sharing a score bin, counted one half:
    // |AUC - exact| <= rocAucBound, on scores spread, bunched and tied.
    void rocAucWithinItsBound_data()
    {
        QTest::addColumn<double>("spread");
        QTest::addColumn<double>("separation");
        QTest::addColumn<int>("rows");
        QTest::newRow("a real model's spread") << 2.0 << 1.0 << 5000;
        QTest::newRow("bunched near 0.5") << 0.2 << 0.1 << 5000;
        QTest::newRow("confident") << 5.0 << 4.0 << 5000;
        QTest::newRow("few rows") << 1.0 << 0.5 << 40;
    }

    void rocAucWithinItsBound()
    {
        QFETCH(double, spread);
        QFETCH(double, separation);
        QFETCH(int, rows);
        std::mt19937_64 rng(quint64(rows) * 31 + quint64(spread * 10));
        std::normal_distribution<double> z;
        std::bernoulli_distribution coin(0.4);
        for (int repetition = 0; repetition < 20; ++repetition) {
            std::vector<double> pos, label;
            std::vector<int> actual;
            for (int i = 0; i < rows; ++i) {
                const int y = coin(rng) ? 1 : 0;
                // Every tenth score rounded to two decimals: exact ties, as a model's outputs have.
                double p = sigmoid(spread * z(rng) + (y ? separation : -separation));
                if (i % 10 == 0)
                    p = std::round(p * 100) / 100;
                pos.push_back(p);
                label.push_back(y);
                actual.push_back(y);
            }
            const auto exact = rocAuc(pos, label);
            const ClassificationFigures f =
                computeClassificationFigures(classificationSums(specOf(2), binaryProbabilities(pos), actual));
            QVERIFY(exact && f.rocAuc && f.rocAucBound);
            QVERIFY2(std::abs(*f.rocAuc - *exact) <= *f.rocAucBound + 1e-12,
                     qPrintable(
                         QStringLiteral("AUC %1, exact %2, bound %3").arg(*f.rocAuc).arg(*exact).arg(*f.rocAucBound)));
            // Scores spread like a real model's (logit sd 2): the bound is about 0.014 (the error seen, 0.0006).
            if (spread >= 2.0 && rows >= 5000)
                QVERIFY(*f.rocAucBound < 0.02);
        }
        // Multi-class: the mean of the one-vs-rest AUCs, within the mean of their bounds of the exact mean.
        const Rows r = multiclassRows(rng, rows, 4);
        const ClassificationFigures live = computeClassificationFigures(classificationSums(specOf(4), r.p, r.actual));
        const ClassifierMetrics exact = classifierMetrics(specOf(4), r.p, r.actual);
        QVERIFY(live.rocAuc && live.rocAucBound && exact.figures.rocAuc);
        QVERIFY(std::abs(*live.rocAuc - *exact.figures.rocAuc) <= *live.rocAucBound + 1e-12);
    }

    void isotonicByPoolAdjacentViolators()
    {
        // Outcomes 0 1 0 0 1 1 by score: 1, 0, 0 pool into one step of 1/3 from 0.2 to 0.4.
        const std::vector<double> score{0.5, 0.1, 0.3, 0.2, 0.6, 0.4};
        const std::vector<int> outcome{1, 0, 0, 1, 1, 0};
        const Calibration c = fitIsotonic(score, outcome);
        QCOMPARE(c.method, QStringLiteral("isotonic"));
        QCOMPARE(c.x, (std::vector<double>{0.1, 0.2, 0.4, 0.5, 0.6}));
        QCOMPARE(c.y.size(), size_t(5));
        QVERIFY(near(c.y[0], 0) && near(c.y[1], 1.0 / 3) && near(c.y[2], 1.0 / 3) && near(c.y[3], 1) &&
                near(c.y[4], 1));
        QVERIFY(near(c.apply(0.45), 2.0 / 3));                    // linear between steps
        QVERIFY(near(c.apply(0.0), 0) && near(c.apply(0.95), 1)); // flat outside
        // Tied scores get one value; rows with a score outside [0, 1] or an outcome not 0/1 are left out.
        const std::vector<double> tied{0.3, 0.3, 1.5, 0.2};
        const std::vector<int> tiedOutcome{0, 1, 1, 4};
        const Calibration t = fitIsotonic(tied, tiedOutcome);
        QCOMPARE(t.referenceRows, 2);
        QCOMPARE(t.x, (std::vector<double>{0.3}));
        QVERIFY(near(t.apply(0.9), 0.5));
        QVERIFY(near(Calibration{}.apply(0.37), 0.37)); // "none" is the identity
    }

    void fitCalibrationChoosesOnTheHeldOutHalf()
    {
        std::mt19937_64 rng(11);
        // Too few rows: no map and no reference check.
        const Rows few = binaryRows(rng, 99, [](double p) { return p; });
        const Calibration tooFew = fitCalibration(few.score, few.hit);
        QCOMPARE(tooFew.method, QStringLiteral("none"));
        QVERIFY(!tooFew.referenceEce);
        QCOMPARE(tooFew.referenceRows, 99);

        // Over-confident scores (the truth is half as far from 0.5 in logit): a map wins, and leaves a
        // small error where the raw scores had a large one.
        const auto overConfident = [](double p) { return sigmoid(logit(p) / 2); };
        const Rows ref = binaryRows(rng, 20000, overConfident);
        const Calibration fitted = fitCalibration(ref.score, ref.hit);
        QVERIFY(fitted.method != QLatin1String("none"));
        QVERIFY(fitted.referenceEce && *fitted.referenceEce < kMaxTrustedReferenceEce);
        QCOMPARE(fitted.referenceRows, 20000);
        const ClassificationFigures raw =
            computeClassificationFigures(classificationSums(specOf(2), ref.p, ref.actual));
        QVERIFY(raw.ece && *raw.ece > 0.05);
        for (size_t i = 1; i < fitted.x.size(); ++i)
            QVERIFY(fitted.x[i] > fitted.x[i - 1]);
        QVERIFY(std::abs(fitted.apply(sigmoid(2.0)) - sigmoid(1.0)) < 0.05); // maps toward the truth
    }

    // Calibrated probabilities: the estimate before labels lands within kEstimateTolerance of the accuracy
    // the labels show, and is trusted.
    void estimateMatchesRealisedOnCalibratedData()
    {
        std::mt19937_64 rng(2026);
        const auto calibrated = [](double p) { return p; };
        const Rows ref = binaryRows(rng, 20000, calibrated);
        const Calibration map = fitCalibration(ref.score, ref.hit);
        QVERIFY(map.referenceEce && *map.referenceEce <= kMaxTrustedReferenceEce);
        const ClassSpec spec = specOf(2);
        const Rows live = binaryRows(rng, 20000, calibrated, 0.05); // labels of 5 % have come in
        // The map that won, an isotonic map (read at the score bins' middles) and none.
        Calibration isotonic = fitIsotonic(ref.score, ref.hit);
        isotonic.referenceEce = map.referenceEce;
        for (const Calibration &c : {map, isotonic, Calibration{QStringLiteral("none"), {}, {}, 0.01, 20000}}) {
            const ClassificationFigures f =
                computeClassificationFigures(classificationSums(spec, live.p, live.actual), c);
            QVERIFY2(f.estimateUntrusted.isEmpty(), qPrintable(f.estimateUntrusted));
            const double realised = realisedAccuracy(spec, live);
            QVERIFY2(near(f.estimatedAccuracy, realised, kEstimateTolerance),
                     qPrintable(QStringLiteral("%1 map: estimated %2, realised %3")
                                    .arg(c.method)
                                    .arg(*f.estimatedAccuracy)
                                    .arg(realised)));
            const ClassificationFigures all =
                computeClassificationFigures(classificationSums(spec, live.p, live.truth));
            QVERIFY(near(f.estimatedF1, *all.f1Positive, 2 * kEstimateTolerance));
            QVERIFY(near(f.estimatedPrecision, *all.precisionPositive, 2 * kEstimateTolerance));
            QVERIFY(near(f.estimatedRecall, *all.recallPositive, 2 * kEstimateTolerance));
        }

        // Multi-class: the confidence is the probability of being right.
        const Rows mref = multiclassRows(rng, 20000, 4);
        const Calibration mmap = fitCalibration(mref.score, mref.hit);
        QVERIFY(mmap.referenceEce && *mmap.referenceEce <= kMaxTrustedReferenceEce);
        const Rows mlive = multiclassRows(rng, 20000, 4);
        const ClassificationFigures m =
            computeClassificationFigures(classificationSums(specOf(4), mlive.p, mlive.actual), mmap);
        QVERIFY2(m.estimateUntrusted.isEmpty(), qPrintable(m.estimateUntrusted));
        QVERIFY(near(m.estimatedAccuracy, realisedAccuracy(specOf(4), mlive), kEstimateTolerance));
    }

    // Over-confident probabilities, corrected by the map fitted on the reference: the raw estimate misses,
    // the corrected one does not.
    void estimateCorrectedByTheMap()
    {
        std::mt19937_64 rng(99);
        const auto overConfident = [](double p) { return sigmoid(logit(p) / 2); };
        const Rows ref = binaryRows(rng, 20000, overConfident);
        const Calibration map = fitCalibration(ref.score, ref.hit);
        const Rows live = binaryRows(rng, 20000, overConfident, 0.0);
        const ClassSpec spec = specOf(2);
        const ClassificationSums sums = classificationSums(spec, live.p, live.actual);
        const double realised = realisedAccuracy(spec, live);
        const ClassificationFigures corrected = computeClassificationFigures(sums, map);
        const ClassificationFigures raw = computeClassificationFigures(sums);
        QVERIFY(corrected.estimateUntrusted.isEmpty());
        QVERIFY(near(corrected.estimatedAccuracy, realised, kEstimateTolerance));
        QVERIFY(raw.estimatedAccuracy && std::abs(*raw.estimatedAccuracy - realised) > 3 * kEstimateTolerance);
        QVERIFY(!raw.estimateUntrusted.isEmpty()); // never checked on reference data
    }

    // The estimate is marked untrusted, with the reason, when it cannot be relied on.
    void flaggedWhenCalibrationIsBroken()
    {
        std::mt19937_64 rng(5);
        const auto calibrated = [](double p) { return p; };
        const Rows ref = binaryRows(rng, 20000, calibrated);
        const Calibration map = fitCalibration(ref.score, ref.hit);
        const ClassSpec spec = specOf(2);

        // The world shifted after the reference (fewer positives than the model says); the 10 % of labels
        // that came in disagree with the calibration, and the estimate is indeed off.
        const auto shifted = [](double p) { return sigmoid(logit(p) - 1.5); };
        const Rows drifted = binaryRows(rng, 20000, shifted, 0.10);
        const ClassificationFigures f =
            computeClassificationFigures(classificationSums(spec, drifted.p, drifted.actual), map);
        QVERIFY(f.estimateUntrusted.contains(QLatin1String("drifted")));
        QVERIFY(std::abs(*f.estimatedAccuracy - realisedAccuracy(spec, drifted)) > kEstimateTolerance);

        // A reference the map could not fix.
        Calibration off = map;
        off.referenceEce = 0.12;
        const Rows fine = binaryRows(rng, 2000, calibrated);
        const ClassificationSums fineSums = classificationSums(spec, fine.p, fine.actual);
        QVERIFY(computeClassificationFigures(fineSums, off).estimateUntrusted.contains(QLatin1String("0.120")));
        // No reference check at all.
        QVERIFY(computeClassificationFigures(fineSums).estimateUntrusted.contains(QLatin1String("reference")));
        // Too few rows.
        const ClassificationSums few =
            classificationSums(spec, std::span(fine.p).first(2 * 99), std::span(fine.actual).first(99));
        QVERIFY(computeClassificationFigures(few, map).estimateUntrusted.contains(QLatin1String("100")));
        // And the same rows, calibrated and enough of them, trusted.
        QVERIFY(computeClassificationFigures(fineSums, map).estimateUntrusted.isEmpty());
    }

    // Two classifiers on the same rows: B's probabilities sharpen A's toward the truth, so B is better on
    // accuracy and log-loss, and the paired bootstrap's intervals say so.
    void pairedBootstrapOnAccuracyAndLogLoss()
    {
        std::mt19937_64 rng(3);
        const Rows a = multiclassRows(rng, 4000, 3);
        std::vector<double> b = a.p;
        for (size_t r = 0; r < a.truth.size(); ++r)
            for (size_t c = 0; c < 3; ++c)
                b[r * 3 + c] = 0.6 * b[r * 3 + c] + (int(c) == a.truth[r] ? 0.4 : 0.0);
        const ClassSpec spec = specOf(3);
        BootstrapOptions options;
        options.resamples = 300;
        const auto intervals =
            pairedBootstrap({accuracySeries(spec, a.p, b, a.actual), logLossSeries(3, a.p, b, a.actual)}, options);
        QCOMPARE(intervals.size(), size_t(2));
        const ClassifierMetrics ma = classifierMetrics(spec, a.p, a.actual);
        const ClassifierMetrics mb = classifierMetrics(spec, b, a.actual);
        QVERIFY(near(ma.figures.accuracy, intervals[0].valueA) && near(mb.figures.accuracy, intervals[0].valueB));
        QVERIFY(near(ma.figures.logLoss, intervals[1].valueA) && near(mb.figures.logLoss, intervals[1].valueB));
        QVERIFY(intervals[0].low > 0);  // more accurate
        QVERIFY(intervals[1].high < 0); // lower log-loss

        // Unlabelled rows are left out of both series; rows of unequal count give no interval.
        const std::vector<int> someUnlabelled{0, -1, 2};
        const std::vector<double> three{0.8, 0.1, 0.1, 0.3, 0.4, 0.3, 0.2, 0.2, 0.6};
        QCOMPARE(accuracySeries(spec, three, three, someUnlabelled).a, (std::vector<double>{1, 1}));
        QVERIFY(pairedBootstrap({logLossSeries(3, three, std::span(three).first(6), someUnlabelled)}, options).empty());
    }

    void badInputGivesNothing()
    {
        const std::vector<double> p{0.5, 0.5};
        const std::vector<int> y{0};
        const ClassifierMetrics one = classifierMetrics(specOf(1), p, y); // one class is no classifier
        QCOMPARE(one.rows, 0);
        QVERIFY(!one.figures.accuracy && !one.prAuc && one.reliability.empty());
        // Fewer probabilities than rows: only whole rows count.
        const ClassifierMetrics partial = classifierMetrics(specOf(2), std::span(p).first(1), y);
        QCOMPARE(partial.rows, 0);
        QVERIFY(!averagePrecision(std::vector<double>{0.2, 0.4}, std::vector<double>{0, 0}));
    }

    // The drift check on a window's labels is a test at the 0.1 % level (and needs an ECE above 0.05 too):
    // calibrated windows of 100 to 1,000 labelled rows are all but never flagged.
    void calibratedWindowsAreNotFlagged()
    {
        std::mt19937_64 rng(17);
        const auto calibrated = [](double p) { return p; };
        const Calibration checked{QStringLiteral("none"), {}, {}, 0.01, 20000};
        int flagged = 0, windows = 0;
        for (int rows : {100, 300, 1000})
            for (int w = 0; w < 200; ++w, ++windows) {
                const Rows r = binaryRows(rng, rows, calibrated);
                if (!computeClassificationFigures(classificationSums(specOf(2), r.p, r.actual), checked)
                         .estimateUntrusted.isEmpty())
                    ++flagged;
            }
        QVERIFY2(flagged <= 2,
                 qPrintable(QStringLiteral("%1 of %2 calibrated windows flagged").arg(flagged).arg(windows)));
        // A shifted world is caught from as few as 300 labels.
        const auto shifted = [](double p) { return sigmoid(logit(p) - 1.5); };
        const Rows drifted = binaryRows(rng, 300, shifted);
        QVERIFY(computeClassificationFigures(classificationSums(specOf(2), drifted.p, drifted.actual), checked)
                    .estimateUntrusted.contains(QLatin1String("drifted")));
    }

    void kpiFiguresCarryTheClassification()
    {
        PathSums paths;
        const std::vector<double> mlPos{0.9, 0.8, 0.2, 0.1}, heuristicPos{0.6, 0.6, 0.6, 0.4};
        const std::vector<int> actual{1, 1, 0, 1};
        paths.ml.classification = classificationSums(specOf(2), binaryProbabilities(mlPos), actual); // 3 of 4
        paths.heuristic.classification =
            classificationSums(specOf(2), binaryProbabilities(heuristicPos), actual); // 2 of 4
        const KpiFigures f = computeFigures(paths, 60, 5);
        QVERIFY(f.classification && f.classification->predictions == 8);
        QVERIFY(near(f.classification->accuracy, 5.0 / 8));
        QVERIFY(near(f.accuracyGainPoints, 25.0));
        const Calibration identityChecked{QStringLiteral("none"), {}, {}, 0.0, 1000};
        QVERIFY(computeFigures(paths.ml, 60, 5, &identityChecked)
                    .classification->estimateUntrusted.contains(QLatin1String("100")));

        // A regression deployment's figures carry none.
        const KpiFigures regression = computeFigures(PathSums{}, 60, 5);
        QVERIFY(!regression.classification && !regression.accuracyGainPoints);
    }
};

QTEST_GUILESS_MAIN(TestClassificationFigures)
#include "test_classification_figures.moc"
