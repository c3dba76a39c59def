#pragma once

#include <QColor>
#include <QDateTime>
#include <QList>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QVector>

#include <optional>

class QPainter;

namespace mldeck::ui {

// One static line chart of the printed report, drawn with QPainter only (no Qt Charts, no widgets),
// so that it prints the same on a PDF page and on a preview image.
struct ReportChartSpec
{
    struct Line
    {
        QString label;
        QColor color;
        QVector<QPointF> points; // x: epoch seconds, y: value; NaN y breaks the line
    };
    struct Marker
    {
        qint64 atSecs = 0;
        QString label; // not printed on the chart; the changes table says what happened
    };

    QString title;
    qint64 fromSecs = 0;
    qint64 toSecs = 0;
    QList<Line> lines;
    std::optional<double> target;
    QString targetLabel;
    std::optional<double> yMinFloor; // e.g. 0 for counts and rates
    QList<Marker> markers;
    QString emptyText; // shown when no line has a point
};

// Draws the chart into `rect` (device units). `unit` is one typographic point in device units.
void drawReportChart(QPainter &painter, const QRectF &rect, const ReportChartSpec &spec, double unit);

} // namespace mldeck::ui
