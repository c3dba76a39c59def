#pragma once

#include <QColor>
#include <QHash>
#include <QList>
#include <QPointF>
#include <QString>
#include <QWidget>

class QAbstractAxis;
class QChartView;
class QValueAxis;
class QXYSeries;

namespace mldeck::ui {

// A chart of curves and point clouds over two axes (loss per epoch, predicted vs actual, a score over
// time), drawn with Qt Charts behind this adapter: pages speak in named series and ranges only.
// For long live time series with markers and decimation use TimeSeriesChart.
class XYChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(XYChart)

public:
    enum class XAxis
    {
        Value, // numbers
        Time,  // x = milliseconds since the epoch, labelled in local time
    };
    enum class Style
    {
        Line,
        LineWithPoints,
        Dashed,
        Points, // a cloud of dots without a line
    };

    explicit XYChart(XAxis x, QWidget *parent = nullptr);
    ~XYChart() override;

    void setTitle(const QString &title);
    QString title() const;
    void setAxisTitles(const QString &x, const QString &y);
    // printf-style for a value axis ("%d", "%.2f"), a QDateTime format for a time axis ("HH:mm").
    void setXLabelFormat(const QString &format);
    void setYLabelFormat(const QString &format);
    // ticks 0: Qt Charts' default count.
    void setXRange(double low, double high, int ticks = 0);
    // nice: widened to round tick values.
    void setYRange(double low, double high, bool nice = false);

    // Replaces the series called `name` (a new name appends a series and its legend entry).
    // width: the pen width of a line, the dot diameter of Points.
    void setSeries(const QString &name, const QList<QPointF> &points, const QColor &color, Style style = Style::Line,
                   double width = 2);
    void appendPoint(const QString &name, const QPointF &point);
    int pointCount(const QString &name) const;
    void clearPoints(); // keeps the series, empties them
    void clear();       // removes every series
    void setLegendVisible(bool visible);

private:
    QChartView *m_view = nullptr;
    QAbstractAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    XAxis m_xKind;
    QHash<QString, QXYSeries *> m_series;
};

} // namespace mldeck::ui
