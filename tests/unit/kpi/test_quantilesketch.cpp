#include "core/stats/kpi/QuantileSketch.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using mldeck::stats::QuantileSketch;

// The sketch against exact order statistics: every quantile within the stated relative bound.
class TestQuantileSketch final : public QObject
{
    Q_OBJECT

    static double exactQuantile(std::vector<double> values, double q)
    {
        std::sort(values.begin(), values.end());
        const qint64 n = qint64(values.size());
        const qint64 rank = std::max<qint64>(1, qint64(std::ceil(q * double(n))));
        return values[size_t(rank - 1)];
    }

    static void checkBound(const std::vector<double> &values)
    {
        QuantileSketch s;
        for (double v : values)
            s.add(v);
        QCOMPARE(s.count(), qint64(values.size()));
        const double a = QuantileSketch::kRelativeAccuracy;
        for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
            const double exact = std::max(exactQuantile(values, q), QuantileSketch::kMinValue);
            const double got = s.quantile(q).value();
            const double rel = std::abs(got - exact) / exact;
            QVERIFY2(rel <= a * (1 + 1e-9),
                     qPrintable(QStringLiteral("q=%1 exact=%2 sketch=%3 rel=%4").arg(q).arg(exact).arg(got).arg(rel)));
        }
    }

private Q_SLOTS:
    void boundUniform()
    {
        std::mt19937_64 rng(1);
        std::uniform_real_distribution<double> d(0.5, 2000);
        std::vector<double> v(50000);
        for (double &x : v)
            x = d(rng);
        checkBound(v);
    }
    void boundLognormal()
    {
        std::mt19937_64 rng(2);
        std::lognormal_distribution<double> d(3.0, 1.2);
        std::vector<double> v(50000);
        for (double &x : v)
            x = d(rng);
        checkBound(v);
    }
    void boundHeavyTailed()
    {
        std::mt19937_64 rng(3);
        std::uniform_real_distribution<double> u(1e-12, 1.0);
        std::vector<double> v(50000);
        for (double &x : v)
            x = 1.0 / std::pow(u(rng), 1.0 / 1.1); // Pareto, alpha 1.1
        checkBound(v);
    }
    void boundConstant() { checkBound(std::vector<double>(1000, 42.0)); }
    void tinyValuesShareTheMinimumBin()
    {
        const std::vector<double> v{0.0, 1e-9, QuantileSketch::kMinValue / 2, QuantileSketch::kMinValue};
        checkBound(v);
        QCOMPARE(QuantileSketch::binOf(0.0), QuantileSketch::binOf(QuantileSketch::kMinValue));
        QCOMPARE(QuantileSketch::binOf(-5.0), QuantileSketch::binOf(QuantileSketch::kMinValue));
    }
    void oneElement()
    {
        checkBound({123.456});
        QuantileSketch s;
        QVERIFY(!s.quantile(0.5).has_value());
        QVERIFY(s.isEmpty());
    }
    void binFunction()
    {
        // Every value of bin i lies in (gamma^(i-1), gamma^i] and binValue(i) is within a of both ends.
        const double g = QuantileSketch::gamma();
        QCOMPARE(g, 1.01 / 0.99);
        for (double v : {0.0011, 0.5, 1.0, 1.0001, 17.3, 999.99, 1e6}) {
            const int i = QuantileSketch::binOf(v);
            QVERIFY(v <= std::pow(g, i) * (1 + 1e-12));
            QVERIFY(v > std::pow(g, i - 1) * (1 - 1e-12));
            QVERIFY(std::abs(QuantileSketch::binValue(i) - v) / v <= QuantileSketch::kRelativeAccuracy + 1e-12);
        }
        QCOMPARE(QuantileSketch::binOf(1.0), 0);
    }
    void mergeEqualsAddingAll()
    {
        std::mt19937_64 rng(4);
        std::lognormal_distribution<double> d(2.0, 1.5);
        QuantileSketch all, a, b, c;
        for (int i = 0; i < 30000; ++i) {
            const double v = d(rng);
            all.add(v);
            (i % 3 == 0 ? a : i % 3 == 1 ? b : c).add(v);
        }
        QuantileSketch ab = a;
        ab.merge(b);
        ab.merge(c);
        QCOMPARE(ab, all);
        QuantileSketch cba = c; // any order
        cba.merge(b);
        cba.merge(a);
        QCOMPARE(cba, all);
        QuantileSketch empty;
        empty.merge(all);
        QCOMPARE(empty, all);
        all.merge(QuantileSketch{});
        QCOMPARE(empty, all);
    }
    void denseRoundTrip()
    {
        QuantileSketch s;
        for (double v : {0.5, 3.0, 3.0, 250.0, 1e4})
            s.add(v, 7);
        const QuantileSketch back = QuantileSketch::fromDense(s.offset(), s.counts());
        QCOMPARE(back, s);
        QCOMPARE(back.count(), qint64(35));
        // Zero bins at the ends (as a store may keep them) give the same sketch.
        std::vector<qint64> padded{0, 0};
        padded.insert(padded.end(), s.counts().begin(), s.counts().end());
        padded.push_back(0);
        QCOMPARE(QuantileSketch::fromDense(s.offset() - 2, padded), s);
        QCOMPARE(QuantileSketch::fromDense(5, {0, 0}), QuantileSketch{});
        QuantileSketch viaBins;
        for (size_t k = 0; k < s.counts().size(); ++k)
            viaBins.addBin(s.offset() + int(k), s.counts()[k]);
        QCOMPARE(viaBins, s);
    }
};

QTEST_GUILESS_MAIN(TestQuantileSketch)
#include "test_quantilesketch.moc"
