#pragma once

#include <QColor>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QPointF>
#include <QString>
#include <QWidget>

#include <optional>
#include <utility>
#include <vector>

class QChart;
class QPainter;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QScatterSeries;
class QTimer;
class QValueAxis;

namespace mldeck::ui {

class MarkerChartView;

// Live time series over a QDateTimeAxis, drawn with Qt Charts; one of the chart kinds of ui/charts
// (XYChart, BarChart beside it). Pages speak in named series, target lines and markers; nothing outside
// ui/charts touches Qt Charts, so the charting library can change in this folder alone.
// - Series keep their raw points; what is drawn is decimated to the plot's pixel columns (min/max per
//   column, Decimation.h) and pushed with one QLineSeries::replace() (one repaint), redone on resize.
// - Target and stretch lines are dashed horizontals across the time range.
// - Markers (audit events) are vertical dotted lines with a point at the top carrying a tooltip.
// - Hovering a curve shows the nearest raw point: series, time, value.
// OpenGL stays off: it is not available offscreen and the decimated curves are small.
class TimeSeriesChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimeSeriesChart)

public:
    struct Marker
    {
        QDateTime at;
        QString tooltip; // e.g. "flags.apply by alice: ML 25 % -> 50 %"
    };

    explicit TimeSeriesChart(QWidget *parent = nullptr);
    ~TimeSeriesChart() override;

    void setTitle(const QString &title);
    QString title() const;
    // How values read in tooltips and on the axis, e.g. "%1 ms" with 0 decimals.
    void setValueFormat(const QString &pattern, int decimals);
    // Fixed y bounds when set (e.g. 0..1 for shares); otherwise the data and lines decide.
    void setValueFloor(std::optional<double> floor);
    // The axis never goes above this (e.g. 100 for a percentage).
    void setValueCeiling(std::optional<double> ceiling);

    void setTimeRange(const QDateTime &from, const QDateTime &to);
    // Points: x = milliseconds since the epoch (UTC), ordered by x. Replaces a series of the same name.
    // A dashed style tells an estimate from the measured series of the same colour.
    void setSeries(const QString &name, QList<QPointF> points, const QColor &color, Qt::PenStyle style = Qt::SolidLine);
    void setSeries(const QString &name, std::vector<QPointF> points, const QColor &color,
                   Qt::PenStyle style = Qt::SolidLine);
    void removeSeries(const QString &name);
    void clearSeries();
    QStringList seriesNames() const;
    Qt::PenStyle seriesStyle(const QString &name) const; // Qt::NoPen for an unknown series

    enum class LineKind
    {
        Target,
        Stretch
    };
    void setHorizontalLine(const QString &name, double value, LineKind kind);
    void clearHorizontalLines();

    void setMarkers(const QList<Marker> &markers);
    int markerCount() const;

    // Spans of time shaded over the whole plot height (e.g. windows whose figures are not to be trusted),
    // x from and to in ms since the epoch; `legend` names them in the legend while there are some.
    using Span = std::pair<double, double>;
    void setShadedSpans(const QList<Span> &spans, const QString &legend = {});
    int shadedSpanCount() const;

    // What the chart draws, for tests and the benchmark.
    int rawPointCount(const QString &name) const;
    int drawnPointCount(const QString &name) const;
    int plotColumns() const; // pixel columns the curves are decimated to
    // The hover text for the raw point of `name` nearest to x (ms); empty when none.
    QString hoverText(const QString &name, double xMs) const;
    // The printf format of the value axis' tick labels, e.g. "%.1f" for ticks 0, 0.5, 1.
    QString valueAxisLabelFormat() const;
    // The tooltip of the marker nearest to x (ms) within `toleranceMs`; empty when none.
    QString markerText(double xMs, double toleranceMs) const;
    // Pushes the (decimated) data to Qt Charts now rather than on the coalescing timer.
    void flush();
    // Renders the chart into an image (benchmark, reports).
    void renderTo(QPainter &painter, const QRectF &target);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Curve
    {
        std::vector<QPointF> raw;
        QLineSeries *series = nullptr;
        int drawn = 0;
    };
    struct HLine
    {
        double value = 0;
        LineKind kind = LineKind::Target;
        QLineSeries *series = nullptr;
    };
    void scheduleUpdate();
    void updateCurves();
    void updateAxes();
    QString formatValue(double v) const;
    void showHover(const QString &name, const QPointF &point, bool state);

    QChart *m_chart = nullptr;
    MarkerChartView *m_view = nullptr;
    QDateTimeAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    QScatterSeries *m_markerPoints = nullptr;
    QTimer *m_coalesce = nullptr;
    QMap<QString, Curve> m_curves;
    QMap<QString, HLine> m_lines;
    QList<Marker> m_markers;
    QList<Span> m_spans;
    QLineSeries *m_spanLegend = nullptr; // no points: the shade's entry in the legend
    QDateTime m_from;
    QDateTime m_to;
    QString m_valuePattern = QStringLiteral("%1");
    int m_decimals = 2;
    std::optional<double> m_floor;
    std::optional<double> m_ceiling;
};

} // namespace mldeck::ui
