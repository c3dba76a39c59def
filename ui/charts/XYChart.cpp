#include "ui/charts/XYChart.h"

#include "ui/charts/ChartStyle.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegend>
#include <QLineSeries>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>

namespace mldeck::ui {

XYChart::XYChart(XAxis x, QWidget *parent) : QWidget(parent), m_xKind(x)
{
    m_view = charts_detail::newChartView(this, 200);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    QChart *chart = m_view->chart();
    if (x == XAxis::Time) {
        auto *axis = new QDateTimeAxis;
        axis->setFormat(QStringLiteral("HH:mm"));
        m_x = axis;
    } else {
        m_x = new QValueAxis;
    }
    m_y = new QValueAxis;
    for (QAbstractAxis *a : {m_x, static_cast<QAbstractAxis *>(m_y)})
        charts_detail::styleAxis(a);
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
}

XYChart::~XYChart() = default;

void XYChart::setTitle(const QString &title)
{
    m_view->chart()->setTitle(title);
}
QString XYChart::title() const
{
    return m_view->chart()->title();
}

void XYChart::setAxisTitles(const QString &x, const QString &y)
{
    m_x->setTitleText(x);
    m_y->setTitleText(y);
}

void XYChart::setXLabelFormat(const QString &format)
{
    if (auto *time = qobject_cast<QDateTimeAxis *>(m_x))
        time->setFormat(format);
    else
        static_cast<QValueAxis *>(m_x)->setLabelFormat(format);
}

void XYChart::setYLabelFormat(const QString &format)
{
    m_y->setLabelFormat(format);
}

void XYChart::setXRange(double low, double high, int ticks)
{
    if (auto *time = qobject_cast<QDateTimeAxis *>(m_x)) {
        time->setRange(QDateTime::fromMSecsSinceEpoch(qint64(low)), QDateTime::fromMSecsSinceEpoch(qint64(high)));
        if (ticks > 0)
            time->setTickCount(ticks);
        return;
    }
    auto *value = static_cast<QValueAxis *>(m_x);
    value->setRange(low, high);
    if (ticks > 0)
        value->setTickCount(ticks);
}

void XYChart::setYRange(double low, double high, bool nice)
{
    m_y->setRange(low, high);
    if (nice)
        m_y->applyNiceNumbers();
}

void XYChart::setSeries(const QString &name, const QList<QPointF> &points, const QColor &color, Style style,
                        double width)
{
    QXYSeries *series = m_series.value(name);
    const bool cloud = style == Style::Points;
    if (series && (series->type() == QAbstractSeries::SeriesTypeScatter) != cloud) {
        m_view->chart()->removeSeries(series);
        delete series;
        series = nullptr;
    }
    if (!series) {
        series = cloud ? static_cast<QXYSeries *>(new QScatterSeries) : new QLineSeries;
        series->setName(name);
        m_view->chart()->addSeries(series);
        series->attachAxis(m_x);
        series->attachAxis(m_y);
        m_series.insert(name, series);
    }
    if (auto *scatter = qobject_cast<QScatterSeries *>(series)) {
        scatter->setMarkerSize(width);
        scatter->setPen(Qt::NoPen);
        scatter->setColor(color);
    } else {
        series->setPen(QPen(color, width, style == Style::Dashed ? Qt::DashLine : Qt::SolidLine));
        series->setPointsVisible(style == Style::LineWithPoints);
    }
    series->replace(points);
}

void XYChart::appendPoint(const QString &name, const QPointF &point)
{
    if (QXYSeries *series = m_series.value(name))
        series->append(point);
}

int XYChart::pointCount(const QString &name) const
{
    const QXYSeries *series = m_series.value(name);
    return series ? int(series->count()) : 0;
}

void XYChart::clearPoints()
{
    for (QXYSeries *series : std::as_const(m_series))
        series->clear();
}

void XYChart::clear()
{
    m_view->chart()->removeAllSeries();
    m_series.clear();
}

void XYChart::setLegendVisible(bool visible)
{
    m_view->chart()->legend()->setVisible(visible);
}

} // namespace mldeck::ui
