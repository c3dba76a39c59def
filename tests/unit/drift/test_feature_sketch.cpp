#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/FeatureSketch.h"
#include "core/stats/drift/SketchDrift.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace mldeck::drift;

namespace {

// Values of one of several shapes; float-valued like the log's real[] columns.
std::vector<double> draw(std::mt19937_64 &rng, int n, int shape, double shift = 0)
{
    std::normal_distribution<double> normal(0, 1);
    std::exponential_distribution<double> expo(1);
    std::uniform_real_distribution<double> uniform(0, 1);
    std::vector<double> v;
    v.reserve(std::size_t(n));
    for (int i = 0; i < n; ++i) {
        double x = 0;
        switch (shape % 6) {
        case 0:
            x = normal(rng);
            break;
        case 1:
            x = std::exp(normal(rng)); // log-normal: heavy right tail
            break;
        case 2:
            x = std::round(uniform(rng) * 40) / 4; // many ties
            break;
        case 3:
            x = uniform(rng) < 0.3 ? normal(rng) - 4 : normal(rng) * 0.5 + 3; // bimodal
            break;
        case 4:
            x = expo(rng);
            break;
        default:
            x = uniform(rng) < 0.12 ? 0 : expo(rng); // zero-inflated: the lowest quantile edge is the minimum
            break;
        }
        v.push_back(double(float(x + shift)));
    }
    return v;
}

// Checks 0 <= C(x) - Ĉ(x) < countError at every distinct value and between them; returns the largest error / N.
double checkBound(const NumericSketch &s, std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const auto points = s.points();
    std::vector<double> cum;
    double c = 0;
    for (const auto &p : points)
        cum.push_back(c += p.weight);
    auto estimate = [&](double x) {
        const auto it = std::upper_bound(points.begin(), points.end(), x,
                                         [](double v, const NumericSketch::Point &p) { return v < p.value; });
        return it == points.begin() ? 0.0 : cum[std::size_t(it - points.begin()) - 1];
    };
    double worst = 0;
    const double bound = s.countError();
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i + 1 < values.size() && values[i + 1] == values[i])
            continue;
        for (double x : {values[i], std::nextafter(values[i], -INFINITY)}) {
            const double truth = double(std::upper_bound(values.begin(), values.end(), x) - values.begin());
            const double err = truth - estimate(x);
            if (err < -1e-6 * double(values.size()) || err >= bound + 1e-6 * double(values.size())) {
                if (bound == 0 && std::fabs(err) < 1e-9)
                    continue;
                QTest::qFail(qPrintable(QStringLiteral("error %1 outside [0, %2) at %3").arg(err).arg(bound).arg(x)),
                             __FILE__, __LINE__);
                return 1;
            }
            worst = std::max(worst, err / double(values.size()));
        }
    }
    return worst;
}

Column numericColumn(const QString &name, const std::vector<double> &v)
{
    Column c;
    c.name = name;
    c.numeric = v;
    return c;
}

} // namespace

class TestFeatureSketch final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rankErrorWithinBound_data()
    {
        QTest::addColumn<int>("shape");
        for (int shape = 0; shape < 5; ++shape)
            QTest::newRow(qPrintable(QStringLiteral("shape %1").arg(shape))) << shape;
    }

    void rankErrorWithinBound()
    {
        QFETCH(int, shape);
        std::mt19937_64 rng(quint64(shape) + 11);
        const auto values = draw(rng, 100'000, shape);
        const NumericSketch s = NumericSketch::fromValues(values);
        QCOMPARE(s.count(), qint64(values.size()));
        QVERIFY(s.rankError() <= 1.0 / kSketchPoints + 1e-12);
        const double worst = checkBound(s, values);
        qInfo("shape %d: largest CDF error %.5f, bound %.5f", shape, worst, s.rankError());
        // Exact moments.
        double mean = 0;
        for (double v : values)
            mean += v;
        mean /= double(values.size());
        QVERIFY(std::fabs(s.mean() - mean) < 1e-9 * std::max(1.0, std::fabs(mean)));
    }

    void mergingManyHoursKeepsTheBound()
    {
        std::mt19937_64 rng(42);
        std::uniform_int_distribution<int> size(20, 3000);
        NumericSketch merged;
        std::vector<double> all;
        for (int h = 0; h < 720; ++h) { // a month of hours, of varying sizes and shapes
            const auto v = draw(rng, size(rng), h % 4, 0.01 * (h % 24));
            all.insert(all.end(), v.begin(), v.end());
            merged.merge(NumericSketch::fromValues(v));
        }
        QCOMPARE(merged.count(), qint64(all.size()));
        QVERIFY2(merged.rankError() <= 1.0 / kSketchPoints + 1e-12, qPrintable(QString::number(merged.rankError())));
        const double worst = checkBound(merged, all);
        qInfo("720 hours, %zu values: largest CDF error %.5f, bound %.5f", all.size(), worst, merged.rankError());
        QCOMPARE(merged.min(), *std::min_element(all.begin(), all.end()));
        QCOMPARE(merged.max(), *std::max_element(all.begin(), all.end()));
        QVERIFY(!merged.distinctValues());
    }

    void smallHoursAreExact()
    {
        std::vector<double> v{3, 1, 2, 2, std::nan("")};
        const NumericSketch s = NumericSketch::fromValues(v);
        QCOMPARE(s.count(), qint64(4));
        QCOMPARE(s.missing(), qint64(1));
        QCOMPARE(s.countError(), 0.0);
        QVERIFY(s.distinctValues());
        QCOMPARE(s.distinctValues()->at(2.0), qint64(2));
    }

    void categoriesExact()
    {
        CategorySketch a = CategorySketch::fromLabels({QStringLiteral("a"), QStringLiteral("b"), QString()});
        a.merge(CategorySketch::fromLabels({QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("b")}));
        QCOMPARE(a.count(), qint64(5));
        QCOMPARE(a.missing(), qint64(1));
        QCOMPARE(a.counts().at(QStringLiteral("b")), qint64(3));
        // Categorical drift from sketches is the exact drift of the rows (bound of width 0).
        QStringList ref, cur;
        for (int i = 0; i < 3000; ++i) {
            ref << (i % 3 == 0 ? QStringLiteral("x") : QStringLiteral("y"));
            cur << (i % 2 == 0 ? QStringLiteral("x") : QStringLiteral("y"));
        }
        Column r, c;
        r.name = c.name = QStringLiteral("cat");
        r.kind = c.kind = FeatureKind::Categorical;
        r.categorical = ref;
        c.categorical = cur;
        const DatasetDrift exact = compareDatasets({{r}}, {{c}}, {});
        const FeatureDrift f = compareCategorySketches(QStringLiteral("cat"), CategorySketch::fromLabels(ref),
                                                       CategorySketch::fromLabels(cur), {});
        QCOMPARE(f.statistic, exact.features[0].statistic);
        QCOMPARE(f.drift, exact.features[0].drift);
        QVERIFY(f.sketch && f.sketch->decided && f.sketch->statisticLow == f.sketch->statisticHigh);
    }

    void serialisationRoundTrip()
    {
        std::mt19937_64 rng(7);
        NumericSketch merged;
        for (int h = 0; h < 5; ++h)
            merged.merge(NumericSketch::fromValues(draw(rng, 1000 + 300 * h, h)));
        std::vector<double> doubles{0.1, 0.2, 1e300, -3.3}; // not float-valued: stored as doubles
        for (const NumericSketch &s : {merged, NumericSketch::fromValues(doubles), NumericSketch{}}) {
            const auto back = NumericSketch::deserialise(s.serialise());
            QVERIFY(back);
            QCOMPARE(back->count(), s.count());
            QCOMPARE(back->countError(), s.countError());
            QCOMPARE(back->mean(), s.mean());
            QCOMPARE(back->stddev(), s.stddev());
            QCOMPARE(back->distinctValues().has_value(), s.distinctValues().has_value());
            const auto a = s.points(), b = back->points();
            QCOMPARE(a.size(), b.size());
            for (std::size_t i = 0; i < a.size(); ++i) {
                QCOMPARE(a[i].value, b[i].value);
                QCOMPARE(a[i].weight, b[i].weight);
            }
        }
        const CategorySketch c = CategorySketch::fromLabels({QStringLiteral("é"), QStringLiteral("b"), QString()});
        const auto cb = CategorySketch::deserialise(c.serialise());
        QVERIFY(cb);
        QCOMPARE(cb->counts(), c.counts());
        QCOMPARE(cb->missing(), qint64(1));
        // Bad bytes: refused, never read as an empty sketch.
        QString error;
        QVERIFY(!NumericSketch::deserialise(QByteArray("garbage"), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!NumericSketch::deserialise(merged.serialise().chopped(3)));
        QVERIFY(!CategorySketch::deserialise(merged.serialise()));
    }

    void emptySketchIsNoData()
    {
        const NumericSketch empty;
        QVERIFY(empty.empty());
        std::mt19937_64 rng(1);
        const FeatureDrift f =
            compareNumericSketches(QStringLiteral("x"), NumericSketch::fromValues(draw(rng, 500, 0)), empty, {});
        QVERIFY(!f.enoughSamples);
        QVERIFY(!f.drift);
        QCOMPARE(f.currentCount, qint64(0));
        const FeatureDrift c = compareCategorySketches(QStringLiteral("c"), CategorySketch{}, CategorySketch{}, {});
        QVERIFY(!c.enoughSamples);
    }

    // Every statistic computed from merged hourly sketches lies in its stated interval around the exact statistic
    // of the raw rows, on data without and with drift, with the reference sketched by hour or read from its rows
    // (every value kept, as exactSketches does), and a decided verdict is the exact one.
    void sketchDriftWithinBoundOfExact_data()
    {
        QTest::addColumn<int>("shape");
        QTest::addColumn<double>("shift");
        QTest::addColumn<int>("referenceRows");
        QTest::addColumn<bool>("exactReference");
        for (int shape = 0; shape < 6; ++shape)
            for (double shift : {0.0, 0.05, 0.5})
                for (int refRows : {800, 20000})
                    for (bool exactRef : {false, true})
                        QTest::newRow(qPrintable(QStringLiteral("shape %1 shift %2 ref %3%4")
                                                     .arg(shape)
                                                     .arg(shift)
                                                     .arg(refRows)
                                                     .arg(exactRef ? QStringLiteral(" rows") : QString())))
                            << shape << shift << refRows << exactRef;
    }

    void sketchDriftWithinBoundOfExact()
    {
        QFETCH(int, shape);
        QFETCH(double, shift);
        QFETCH(int, referenceRows);
        QFETCH(bool, exactReference);
        std::mt19937_64 rng(quint64(shape * 100 + referenceRows) + quint64(shift * 1000));
        const auto ref = draw(rng, referenceRows, shape);
        std::vector<double> cur;
        NumericSketch refSketch, curSketch;
        if (exactReference)
            refSketch = NumericSketch::fromValues(ref, std::numeric_limits<int>::max());
        for (std::size_t at = 0; !exactReference && at < ref.size(); at += 1500) // the reference in hours too
            refSketch.merge(NumericSketch::fromValues(
                std::span<const double>(ref).subspan(at, std::min<std::size_t>(1500, ref.size() - at))));
        for (int h = 0; h < 48; ++h) {
            const auto v = draw(rng, 400 + 37 * h, shape, shift);
            cur.insert(cur.end(), v.begin(), v.end());
            curSketch.merge(NumericSketch::fromValues(v));
        }
        DriftOptions o;
        for (TestKind test : {TestKind::Auto, TestKind::KolmogorovSmirnov, TestKind::Wasserstein, TestKind::Psi,
                              TestKind::JensenShannon}) {
            o.testOverrides[QStringLiteral("x")] = test;
            const FeatureDrift exact = compareDatasets({{numericColumn(QStringLiteral("x"), ref)}},
                                                       {{numericColumn(QStringLiteral("x"), cur)}}, o)
                                           .features.at(0);
            const FeatureDrift s = compareNumericSketches(QStringLiteral("x"), refSketch, curSketch, o);
            QCOMPARE(s.test, exact.test);
            QVERIFY(s.sketch);
            const SketchBound &b = *s.sketch;
            const double tol = 1e-9 * std::max(1.0, std::fabs(exact.statistic));
            QVERIFY2(exact.statistic >= b.statisticLow - tol && exact.statistic <= b.statisticHigh + tol,
                     qPrintable(QStringLiteral("%1: exact %2 outside [%3, %4] (estimate %5)")
                                    .arg(testKey(s.test))
                                    .arg(exact.statistic)
                                    .arg(b.statisticLow)
                                    .arg(b.statisticHigh)
                                    .arg(s.statistic)));
            if (exact.pValue) {
                QVERIFY(b.pValueLow && b.pValueHigh);
                QVERIFY2(*exact.pValue >= *b.pValueLow - 1e-12 && *exact.pValue <= *b.pValueHigh + 1e-12,
                         qPrintable(QStringLiteral("p %1 outside [%2, %3]")
                                        .arg(*exact.pValue)
                                        .arg(*b.pValueLow)
                                        .arg(*b.pValueHigh)));
            }
            // Every statistic has a finite bound, but on many ties in a sketched reference (tied quantile edges
            // might merge PSI bins). Shape 5's lowest edge is the minimum: no point is certainly below it.
            if (exactReference || shape != 2)
                QVERIFY2(std::isfinite(b.statisticHigh), qPrintable(testKey(s.test)));
            if (b.decided)
                QCOMPARE(s.drift, exact.drift);
            QCOMPARE(s.referenceCount, exact.referenceCount);
            QCOMPARE(s.currentCount, exact.currentCount);
            QVERIFY(std::fabs(s.effectSize - exact.effectSize) < 1e-6);
        }
    }
};

QTEST_APPLESS_MAIN(TestFeatureSketch)
#include "test_feature_sketch.moc"
