#include "ui/charts/Decimation.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mldeck::ui {

QList<QPointF> decimateMinMax(std::span<const QPointF> points, double xMin, double xMax, int columns)
{
    const qsizetype n = qsizetype(points.size());
    if (columns < 1 || n <= 2 * qsizetype(columns) || !(xMax > xMin))
        return QList<QPointF>(points.begin(), points.end());

    QList<QPointF> out;
    out.reserve(2 * columns + 2);
    const double scale = columns / (xMax - xMin);
    auto columnOf = [&](double x) {
        const double c = std::floor((x - xMin) * scale);
        return int(std::clamp(c, 0.0, double(columns - 1)));
    };
    // The first and last points are kept as they are; the ones between are reduced column by column.
    const qsizetype last = n - 1;
    out.append(points[0]);
    // Points are x-ordered, so each column is a run: one comparison against the column's right edge per point
    // instead of a division (this loop is the whole cost of a 1 M-point update).
    const double width = (xMax - xMin) / columns;
    qsizetype i = 1;
    int previous = -1;
    while (i < last) {
        // Never the same column twice, even where rounding puts a point on the other side of an edge.
        const int column = std::min(columns - 1, std::max(columnOf(points[size_t(i)].x()), previous + 1));
        previous = column;
        const double edge =
            column == columns - 1 ? std::numeric_limits<double>::infinity() : xMin + width * (column + 1);
        qsizetype lo = i, hi = i;
        double loY = points[size_t(i)].y(), hiY = loY;
        qsizetype j = i + 1;
        for (; j < last; ++j) {
            const QPointF &p = points[size_t(j)];
            if (p.x() >= edge)
                break;
            if (p.y() < loY) {
                loY = p.y();
                lo = j;
            } else if (p.y() > hiY) {
                hiY = p.y();
                hi = j;
            }
        }
        // The two extremes in x order: the line between them passes through the column's whole range.
        const qsizetype a = std::min(lo, hi), b = std::max(lo, hi);
        out.append(points[size_t(a)]);
        if (b != a)
            out.append(points[size_t(b)]);
        i = j;
    }
    out.append(points[size_t(last)]);
    return out;
}

QList<QPointF> decimateMinMax(std::span<const QPointF> points, int columns)
{
    if (points.empty())
        return {};
    return decimateMinMax(points, points.front().x(), points.back().x(), columns);
}

} // namespace mldeck::ui
