// The one way to show a figure that may be absent: a ratio over nothing has no value, an absent or
// non-finite figure reads "no data" and is null in JSON; a present one is formatted as asked.
#include "core/domain/Figure.h"
#include "core/stats/kpi/KpiFigures.h"

#include <QtTest>

#include <limits>

using namespace mldeck;

class TestFigure : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ratioOverNothingIsAbsent()
    {
        QVERIFY(!ratioOf(0, 0).has_value());
        QVERIFY(!ratioOf(3, 0).has_value());
        QVERIFY(!ratioOf(1, -2).has_value());
        QVERIFY(!ratioOf(1, std::numeric_limits<double>::quiet_NaN()).has_value());
        QCOMPARE(ratioOf(0, 4), std::optional<double>(0.0)); // a real 0 %
        QCOMPARE(ratioOf(4, 4), std::optional<double>(1.0)); // a real 100 %
        QCOMPARE(ratioOf(1, 4), std::optional<double>(0.25));
    }

    void textSaysNoData()
    {
        const auto percent = [](double v) { return QStringLiteral("%1 %").arg(v * 100, 0, 'f', 1); };
        QCOMPARE(noDataText(), QStringLiteral("no data"));
        QCOMPARE(figureText(std::nullopt, percent), QStringLiteral("no data"));
        QCOMPARE(figureText(std::numeric_limits<double>::quiet_NaN(), percent), QStringLiteral("no data"));
        QCOMPARE(figureText(std::numeric_limits<double>::infinity(), percent), QStringLiteral("no data"));
        QCOMPARE(figureText(0.0, percent), QStringLiteral("0.0 %"));
        QCOMPARE(figureText(1.0, percent), QStringLiteral("100.0 %"));
    }

    void jsonIsNull()
    {
        QVERIFY(figureJson(std::nullopt).isNull());
        QVERIFY(figureJson(std::numeric_limits<double>::quiet_NaN()).isNull());
        QVERIFY(figureJson(-std::numeric_limits<double>::infinity()).isNull());
        QCOMPARE(figureJson(0.0), QJsonValue(0.0));
        QCOMPARE(figureJson(2.5), QJsonValue(2.5));
    }

    // The KPI figures of empty sums: every ratio and mean is absent, the counts are 0.
    void emptySumsHaveNoFigures()
    {
        const stats::KpiFigures f = stats::computeFigures(stats::PathSums{}, 3600, 5);
        QCOMPARE(f.predictions, qint64(0));
        QCOMPARE(f.labelled, qint64(0));
        for (const auto &v :
             {f.mae, f.rmse, f.r2, f.mape, f.latencyMeanMs, f.latencyP50Ms, f.latencyP95Ms, f.latencyP99Ms,
              f.failureRate, f.fallbackShare, f.anticipatedShare, f.satisfaction, f.mlUptime, f.improvementPercent})
            QVERIFY(!v.has_value());
        QCOMPARE(f.throughputPerSecond, std::optional<double>(0.0)); // no traffic in an hour: a measured 0 /s
    }
};

QTEST_GUILESS_MAIN(TestFigure)
#include "test_figure.moc"
