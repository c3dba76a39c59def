#include "ui/charts/Decimation.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace mldeck::ui;

// The min/max decimation of the chart adapter: what it keeps and how much.
class TestDecimation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void smallInputIsUnchanged()
    {
        std::vector<QPointF> pts;
        for (int i = 0; i < 100; ++i)
            pts.emplace_back(i, std::sin(i));
        const QList<QPointF> out = decimateMinMax(pts, 60);
        QCOMPARE(out.size(), qsizetype(100));
        QCOMPARE(out.first(), pts.front());
    }

    void emptyAndSingle()
    {
        QVERIFY(decimateMinMax(std::vector<QPointF>{}, 10).isEmpty());
        const std::vector<QPointF> one{{5, 7}};
        QCOMPARE(decimateMinMax(one, 10).size(), qsizetype(1));
    }

    void millionPointsBoundedAndExtremesKept_data()
    {
        QTest::addColumn<int>("columns");
        QTest::newRow("400 px") << 400;
        QTest::newRow("1280 px") << 1280;
        QTest::newRow("1 px") << 1;
    }

    void millionPointsBoundedAndExtremesKept()
    {
        QFETCH(int, columns);
        const int n = 1'000'000;
        std::vector<QPointF> pts;
        pts.reserve(n);
        QRandomGenerator rng(42);
        for (int i = 0; i < n; ++i)
            pts.emplace_back(double(i), rng.generateDouble());
        // Two narrow spikes that a naive every-k-th sampling would miss.
        pts[123'457].setY(50.0);
        pts[876'543].setY(-50.0);

        const QList<QPointF> out = decimateMinMax(pts, columns);
        QVERIFY2(out.size() <= 2 * columns + 2, qPrintable(QString::number(out.size())));
        QCOMPARE(out.first(), pts.front());
        QCOMPARE(out.last(), pts.back());
        QVERIFY(
            std::is_sorted(out.begin(), out.end(), [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); }));
        QVERIFY(out.contains(QPointF(123'457, 50.0)));
        QVERIFY(out.contains(QPointF(876'543, -50.0)));

        // Per column: the kept points hold the column's exact min and max.
        const double xMin = pts.front().x(), xMax = pts.back().x();
        std::vector<double> lo(size_t(columns), 1e300), hi(size_t(columns), -1e300), klo(size_t(columns), 1e300),
            khi(size_t(columns), -1e300);
        auto col = [&](double x) {
            return std::clamp(int(std::floor((x - xMin) * columns / (xMax - xMin))), 0, columns - 1);
        };
        for (int i = 1; i < n - 1; ++i) {
            const int c = col(pts[size_t(i)].x());
            lo[size_t(c)] = std::min(lo[size_t(c)], pts[size_t(i)].y());
            hi[size_t(c)] = std::max(hi[size_t(c)], pts[size_t(i)].y());
        }
        for (const QPointF &p : out) {
            const int c = col(p.x());
            klo[size_t(c)] = std::min(klo[size_t(c)], p.y());
            khi[size_t(c)] = std::max(khi[size_t(c)], p.y());
        }
        for (int c = 0; c < columns; ++c) {
            if (lo[size_t(c)] > 1e299)
                continue;
            QVERIFY(klo[size_t(c)] <= lo[size_t(c)]);
            QVERIFY(khi[size_t(c)] >= hi[size_t(c)]);
        }
        // Every kept point is a point of the input.
        for (const QPointF &p : out) {
            const auto i = size_t(p.x());
            QCOMPARE(pts[i], p);
        }
    }

    void explicitRangeClampsOutsidePoints()
    {
        std::vector<QPointF> pts;
        for (int i = 0; i < 10'000; ++i)
            pts.emplace_back(i, i % 7);
        const QList<QPointF> out = decimateMinMax(pts, 1000.0, 2000.0, 10);
        QVERIFY(out.size() <= 22);
        QCOMPARE(out.first(), pts.front());
        QCOMPARE(out.last(), pts.back());
    }
};

QTEST_APPLESS_MAIN(TestDecimation)
#include "test_decimation.moc"
