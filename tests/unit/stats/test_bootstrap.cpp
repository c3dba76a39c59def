#include "core/stats/Bootstrap.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace mldeck::stats;

class TestBootstrap final : public QObject
{
    Q_OBJECT

    // Paired absolute errors with a known population difference:
    // eA = |Z1|, eB = 0.9 |Z1| + 0.2 |Z2| -> E[eB] - E[eA] = 0.1 * sqrt(2 / pi).
    static PairedSeries synthetic(std::mt19937_64 &rng, int n)
    {
        std::normal_distribution<double> z;
        PairedSeries s;
        for (int i = 0; i < n; ++i) {
            const double a = std::abs(z(rng));
            s.a.push_back(a);
            s.b.push_back(0.9 * a + 0.2 * std::abs(z(rng)));
        }
        return s;
    }

private Q_SLOTS:
    void coversTheTrueDifferenceAtTheStatedRate()
    {
        const double truth = 0.1 * std::sqrt(2.0 / M_PI);
        std::mt19937_64 rng(2024);
        int covered = 0;
        const int repetitions = 200;
        for (int r = 0; r < repetitions; ++r) {
            BootstrapOptions o;
            o.resamples = 500;
            o.seed = quint64(r) + 1;
            const auto ci = pairedBootstrap({synthetic(rng, 200)}, o);
            QCOMPARE(ci.size(), size_t(1));
            QVERIFY(ci[0].low <= ci[0].difference && ci[0].difference <= ci[0].high);
            if (ci[0].low <= truth && truth <= ci[0].high)
                ++covered;
        }
        const double coverage = double(covered) / repetitions;
        qInfo("95 %% CI coverage over %d repetitions: %.3f", repetitions, coverage);
        QVERIFY2(coverage >= 0.90 && coverage <= 0.99, qPrintable(QString::number(coverage)));
    }

    void sameSeedSameInterval()
    {
        std::mt19937_64 rng(7);
        const PairedSeries s = synthetic(rng, 300);
        BootstrapOptions o;
        o.resamples = 300;
        const auto a = pairedBootstrap({s}, o);
        const auto b = pairedBootstrap({s}, o);
        QCOMPARE(a[0].low, b[0].low);
        QCOMPARE(a[0].high, b[0].high);
        o.seed = 43;
        const auto c = pairedBootstrap({s}, o);
        QVERIFY(c[0].low != a[0].low || c[0].high != a[0].high);
    }

    void rootMeanAndRelative()
    {
        // A's squared errors are all 4 (RMSE 2), B's all 1 (RMSE 1): every resample agrees.
        PairedSeries s{std::vector<double>(50, 4.0), std::vector<double>(50, 1.0), Aggregate::RootMean};
        BootstrapOptions o;
        o.resamples = 100;
        const auto ci = pairedBootstrap({s}, o);
        QCOMPARE(ci[0].valueA, 2.0);
        QCOMPARE(ci[0].valueB, 1.0);
        QCOMPARE(ci[0].difference, -1.0);
        QCOMPARE(ci[0].low, -1.0);
        QCOMPARE(ci[0].high, -1.0);
        QCOMPARE(ci[0].relative, -0.5);
    }

    void refusesBadInputAndStopsWhenCancelled()
    {
        BootstrapOptions o;
        QVERIFY(pairedBootstrap({}, o).empty());
        QVERIFY(pairedBootstrap({PairedSeries{{1, 2}, {1}, Aggregate::Mean}}, o).empty());
        QVERIFY(pairedBootstrap({PairedSeries{{}, {}, Aggregate::Mean}}, o).empty());
        std::atomic<bool> cancel{true};
        o.cancel = &cancel;
        QVERIFY(pairedBootstrap({PairedSeries{{1, 2}, {2, 3}, Aggregate::Mean}}, o).empty());
    }

    void resamplesShrinkOnHugeData()
    {
        QCOMPARE(defaultResamples(1000), 1000);
        QCOMPARE(defaultResamples(1'000'000), 200);
    }
};

QTEST_GUILESS_MAIN(TestBootstrap)
#include "test_bootstrap.moc"
