#include "core/domain/Kpi.h"
#include "core/stats/Metrics.h"
#include "core/stats/kpi/KpiFigures.h"

#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <random>
#include <vector>

using namespace mldeck;
using namespace mldeck::stats;

// Accumulator algebra, figures from sums (against the exact metrics of the same rows), targets.
class TestKpiFigures final : public QObject
{
    Q_OBJECT

    struct Raw
    {
        std::optional<double> predicted; // empty = failed
        std::optional<double> actual;    // empty = no outcome yet
        double latencyMs = 1;
    };

    // The sums the store keeps, written out from their definition (KpiAccumulator.h).
    static KpiAccumulator accumulate(const std::vector<Raw> &rows)
    {
        KpiAccumulator a;
        for (const Raw &r : rows) {
            ++a.count;
            a.latencySumMs += r.latencyMs;
            a.latency.add(r.latencyMs);
            if (!r.predicted) {
                ++a.failed;
                continue;
            }
            if (!r.actual)
                continue;
            const double p = *r.predicted, y = *r.actual, e = p - y;
            ++a.labelled;
            a.sumError += e;
            a.sumAbsError += std::abs(e);
            a.sumSqError += e * e;
            a.sumActual += y;
            a.sumSqActual += y * y;
            if (y != 0) {
                a.sumAbsPctError += std::abs(e) / std::abs(y) * 100.0;
                ++a.pctCount;
            }
            for (int x = 1; x <= kAnticipationThresholds; ++x) {
                if (y >= x) {
                    ++a.actualAtLeast[size_t(x - 1)];
                    if (p >= x)
                        ++a.bothAtLeast[size_t(x - 1)];
                }
            }
        }
        return a;
    }

    static std::vector<Raw> randomRows(quint64 seed, int n)
    {
        std::mt19937_64 rng(seed);
        std::normal_distribution<double> delay(6, 4), noise(0, 2);
        std::lognormal_distribution<double> lat(3, 0.7);
        std::uniform_real_distribution<double> u(0, 1);
        std::vector<Raw> rows;
        for (int i = 0; i < n; ++i) {
            Raw r;
            r.latencyMs = lat(rng);
            const double y = std::round(std::max(0.0, delay(rng)));
            if (u(rng) > 0.05)
                r.predicted = y + noise(rng);
            if (u(rng) < 0.9)
                r.actual = y;
            rows.push_back(r);
        }
        return rows;
    }

private Q_SLOTS:
    void mergeIsAdditionAndAssociative()
    {
        const auto a = accumulate(randomRows(1, 500)), b = accumulate(randomRows(2, 700)),
                   c = accumulate(randomRows(3, 300));
        KpiAccumulator left = a;
        left.merge(b);
        left.merge(c);
        KpiAccumulator bc = b;
        bc.merge(c);
        KpiAccumulator right = a;
        right.merge(bc);
        QCOMPARE(left.count, right.count);
        QCOMPARE(left.latency, right.latency);
        QCOMPARE(left.actualAtLeast, right.actualAtLeast);
        QCOMPARE(left.bothAtLeast, right.bothAtLeast);
        QCOMPARE(left.labelled, right.labelled);
        QVERIFY(std::abs(left.sumSqError - right.sumSqError) < 1e-9 * left.sumSqError);
        // Merging the parts equals accumulating the union.
        auto all = randomRows(1, 500);
        for (const auto &r : randomRows(2, 700))
            all.push_back(r);
        for (const auto &r : randomRows(3, 300))
            all.push_back(r);
        const KpiAccumulator whole = accumulate(all);
        QCOMPARE(whole.count, left.count);
        QCOMPARE(whole.failed, left.failed);
        QCOMPARE(whole.latency, left.latency);
        QCOMPARE(whole.pctCount, left.pctCount);
        QVERIFY(std::abs(whole.sumAbsError - left.sumAbsError) < 1e-9 * whole.sumAbsError);
        KpiAccumulator empty;
        empty.merge(a);
        QCOMPARE(empty, a);
    }

    void handCheckedFigures()
    {
        // predicted/actual: (3,2) (5,5) (1,4) and one failed, one without outcome.
        const std::vector<Raw> rows{
            {3.0, 2.0, 10}, {5.0, 5.0, 20}, {1.0, 4.0, 30}, {std::nullopt, 3.0, 40}, {7.0, std::nullopt, 50}};
        const KpiFigures f = computeFigures(accumulate(rows), 10.0, 4);
        QCOMPARE(f.predictions, qint64(5));
        QCOMPARE(f.failed, qint64(1));
        QCOMPARE(f.labelled, qint64(3));
        QCOMPARE(*f.throughputPerSecond, 0.5);
        QCOMPARE(*f.failureRate, 0.2);
        QCOMPARE(*f.latencyMeanMs, 30.0);
        QCOMPARE(*f.mae, 4.0 / 3.0);                                    // |1| + 0 + |-3|
        QCOMPARE(*f.rmse, std::sqrt(10.0 / 3.0));                       // 1 + 0 + 9
        QVERIFY(std::abs(*f.r2 - (1.0 - 10.0 / (14.0 / 3.0))) < 1e-12); // mean 11/3, SST 14/3
        QVERIFY(std::abs(*f.mape - (50.0 + 0.0 + 75.0) / 3.0) < 1e-12);
        QCOMPARE(*f.anticipatedShare, 0.5); // actual >= 4: rows 2 and 3; predicted >= 4: row 2 only
        QVERIFY(std::abs(*f.latencyP50Ms - 30.0) / 30.0 <= 0.01);
        QVERIFY(!f.fallbackShare && !f.mlUptime && !f.improvementPercent && !f.satisfaction);
    }

    void figuresEqualExactMetrics()
    {
        const auto rows = randomRows(7, 5000);
        std::vector<double> predicted, actual;
        for (const Raw &r : rows)
            if (r.predicted && r.actual) {
                predicted.push_back(*r.predicted);
                actual.push_back(*r.actual);
            }
        const RegressionMetrics m = regressionMetrics(predicted, actual);
        const KpiFigures f = computeFigures(accumulate(rows), 60, 5);
        QCOMPARE(f.labelled, m.rows);
        QVERIFY(std::abs(*f.mae - m.mae) < 1e-9);
        QVERIFY(std::abs(*f.rmse - m.rmse) < 1e-9);
        QVERIFY(std::abs(*f.r2 - m.r2) < 1e-9);
        QVERIFY(std::abs(*f.mape - *m.mape) < 1e-9);
    }

    void emptyFiguresStayEmpty()
    {
        const KpiFigures f = computeFigures(KpiAccumulator{}, 0, 5);
        QCOMPARE(f.predictions, qint64(0));
        QVERIFY(!f.mae && !f.rmse && !f.r2 && !f.mape && !f.latencyP50Ms && !f.failureRate && !f.throughputPerSecond);
        // One constant actual value: no variance, no R2.
        const KpiFigures c = computeFigures(accumulate({{3.0, 5.0, 1}, {6.0, 5.0, 1}}), 1, 5);
        QVERIFY(!c.r2);
        QCOMPARE(*c.mae, 1.5);
    }

    void crossPathFigures()
    {
        PathSums s;
        s.ml = accumulate({{2.0, 3.0, 5}, {4.0, 3.0, 5}, {std::nullopt, 3.0, 5}, {3.0, 3.0, 5}}); // MAE 2/3, 1 failed
        s.heuristic = accumulate({{1.0, 3.0, 5}, {5.0, 3.0, 5}});                                 // MAE 2
        s.fallback = accumulate({{1.0, 3.0, 5}});
        s.feedback = {3, 4};
        const KpiFigures f = computeFigures(s, 7, 5);
        QCOMPARE(f.predictions, qint64(7));
        QCOMPARE(*f.fallbackShare, 1.0 / 5.0);
        QCOMPARE(*f.mlUptime, 3.0 / 5.0);
        QCOMPARE(*f.satisfaction, 0.75);
        QVERIFY(std::abs(*f.improvementPercent - (2.0 - 2.0 / 3.0) / 2.0 * 100.0) < 1e-12);
        QCOMPARE(s.all().count, qint64(7));
    }

    void targetsRoundTrip()
    {
        KpiTargets t;
        t.maeMax = 3;
        t.r2Min = 0.5;
        t.anticipationMinutes = 10;
        QString error;
        const KpiTargets back = KpiTargets::fromJson(t.toJson(), &error);
        QVERIFY(error.isEmpty());
        QCOMPARE(back.maeMax, 3.0);
        QCOMPARE(back.r2Min, 0.5);
        QCOMPARE(back.anticipationMinutes, 10);
        QCOMPARE(back.stretchMae, 1.80);
        // Missing keys keep their defaults.
        const KpiTargets partial = KpiTargets::fromJson(QJsonObject{{QStringLiteral("mae_max"), 2.0}}, &error);
        QVERIFY(error.isEmpty());
        QCOMPARE(partial.maeMax, 2.0);
        QCOMPARE(partial.errorRateMax, 0.20);
    }

    void targetsRefuseBadValues_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::newRow("mae zero") << "mae_max" << QJsonValue(0.0);
        QTest::newRow("mae text") << "mae_max" << QJsonValue(QStringLiteral("2.5"));
        QTest::newRow("r2 above 1") << "r2_min" << QJsonValue(1.5);
        QTest::newRow("latency negative") << "latency_max_ms" << QJsonValue(-1.0);
        QTest::newRow("error rate above 1") << "error_rate_max" << QJsonValue(1.2);
        QTest::newRow("uptime null") << "uptime_min" << QJsonValue(QJsonValue::Null);
        QTest::newRow("anticipation 0") << "anticipation_minutes" << QJsonValue(0);
        QTest::newRow("anticipation 31") << "anticipation_minutes" << QJsonValue(31);
        QTest::newRow("anticipation fraction") << "anticipation_minutes" << QJsonValue(2.5);
    }
    void targetsRefuseBadValues()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QString error;
        const KpiTargets t = KpiTargets::fromJson(QJsonObject{{QStringLiteral("mae_max"), 1.0}, {key, value}}, &error);
        QVERIFY(!error.isEmpty());
        QVERIFY2(error.contains(key), qPrintable(error));
        QCOMPARE(t.maeMax, KpiTargets{}.maeMax); // nothing half-applied
    }
};

QTEST_GUILESS_MAIN(TestKpiFigures)
#include "test_kpifigures.moc"
