#include "core/stats/Metrics.h"

#include <QTest>

#include <cmath>
#include <vector>

using namespace mldeck::stats;

// Every expected value below was worked out by hand (see the comments).
class TestMetrics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void regressionHandComputed()
    {
        // errors 1, -1, 0, 2: MAE 4/4; MSE 6/4; mean(actual) 4.75, SST 20.75;
        // MAPE (1/1 + 1/5 + 0 + 2/7) / 4 = 37.142857 %.
        const std::vector<double> pred{2, 4, 6, 9}, actual{1, 5, 6, 7};
        const RegressionMetrics m = regressionMetrics(pred, actual);
        QCOMPARE(m.rows, 4);
        QCOMPARE(m.mae, 1.0);
        QVERIFY(std::abs(m.rmse - std::sqrt(1.5)) < 1e-12);
        QVERIFY(std::abs(m.r2 - (1.0 - 6.0 / 20.75)) < 1e-12);
        QVERIFY(m.mape.has_value());
        QVERIFY(std::abs(*m.mape - 37.142857142857) < 1e-9);
        QCOMPARE(m.mapeSkippedZeroTargets, 0);
    }

    void mapeSkipsZeroTargets()
    {
        const std::vector<double> pred{1, 3}, actual{0, 2};
        const RegressionMetrics m = regressionMetrics(pred, actual);
        QCOMPARE(m.mapeSkippedZeroTargets, 1);
        QCOMPARE(*m.mape, 50.0);
        const RegressionMetrics allZero = regressionMetrics(std::vector<double>{1.0}, std::vector<double>{0.0});
        QVERIFY(!allZero.mape.has_value());
        QCOMPARE(allZero.mapeSkippedZeroTargets, 1);
    }

    void perfectAndConstant()
    {
        const std::vector<double> y{3, 3, 3};
        const RegressionMetrics m = regressionMetrics(y, y);
        QCOMPARE(m.mae, 0.0);
        QCOMPARE(m.rmse, 0.0);
        QCOMPARE(m.r2, 0.0); // SST = 0: defined as 0, never NaN
        QCOMPARE(regressionMetrics({}, {}).rows, 0);
    }

    void classificationHandComputed()
    {
        // threshold 0.5: TP = {0.9, 0.6}, FP = {0.8}, FN = {0.4}, TN = {0.3, 0.1}.
        // AUC: positive-over-negative pairs 3 + 2 + 2 of 9.
        const std::vector<double> scores{0.9, 0.8, 0.6, 0.4, 0.3, 0.1}, labels{1, 0, 1, 1, 0, 0};
        const ClassificationMetrics m = classificationMetrics(scores, labels);
        QCOMPARE(m.confusion.truePositive, 2);
        QCOMPARE(m.confusion.falsePositive, 1);
        QCOMPARE(m.confusion.trueNegative, 2);
        QCOMPARE(m.confusion.falseNegative, 1);
        QVERIFY(std::abs(m.accuracy - 4.0 / 6.0) < 1e-12);
        QVERIFY(std::abs(m.precision - 2.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(m.recall - 2.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(m.f1 - 2.0 / 3.0) < 1e-12);
        QVERIFY(m.rocAuc.has_value());
        QVERIFY(std::abs(*m.rocAuc - 7.0 / 9.0) < 1e-12);
    }

    void aucTiesAndOneClass()
    {
        QCOMPARE(*rocAuc(std::vector<double>{0.5, 0.5}, std::vector<double>{1, 0}), 0.5);
        // 0.7 ties one negative: pairs (0.7 > 0.2) = 1, (0.7 = 0.7) = 1/2 -> 1.5 / 2.
        QCOMPARE(*rocAuc(std::vector<double>{0.7, 0.7, 0.2}, std::vector<double>{1, 0, 0}), 0.75);
        QVERIFY(!rocAuc(std::vector<double>{0.1, 0.9}, std::vector<double>{1, 1}).has_value());
        const ClassificationMetrics none =
            classificationMetrics(std::vector<double>{0.1, 0.2}, std::vector<double>{0, 0});
        QCOMPARE(none.precision, 0.0); // nothing predicted positive: 0, not NaN
        QCOMPARE(none.recall, 0.0);
        QCOMPARE(none.f1, 0.0);
        QCOMPARE(none.accuracy, 1.0);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
