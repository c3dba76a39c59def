#include "ui/charts/TimeSeriesChart.h"

#include "ui/Theme.h"
#include "ui/charts/ChartStyle.h"
#include "ui/charts/Decimation.h"

#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QDateTimeAxis>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QPainter>
#include <QScatterSeries>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mldeck::ui {

// Draws the markers' vertical lines over the plot: cheaper than one series per marker, and they span the
// plot area whatever the y range.
class MarkerChartView final : public QChartView
{
public:
    MarkerChartView(QChart *chart, const QList<TimeSeriesChart::Marker> &markers,
                    const QList<TimeSeriesChart::Span> &spans, QWidget *parent)
        : QChartView(chart, parent), m_markers(markers), m_spans(spans)
    {
    }

protected:
    void drawForeground(QPainter *painter, const QRectF &rect) override
    {
        QChartView::drawForeground(painter, rect);
        QChart *c = chart();
        if ((m_markers.isEmpty() && m_spans.isEmpty()) || c->series().isEmpty())
            return;
        const QRectF plot = c->plotArea();
        QAbstractSeries *anchor = c->series().constFirst();
        painter->save();
        QColor shade = themeColor(Palette::Warn);
        shade.setAlpha(40);
        for (const auto &[fromMs, toMs] : m_spans) {
            const qreal x1 = std::max(plot.left(), c->mapToPosition(QPointF(fromMs, 0), anchor).x());
            const qreal x2 = std::min(plot.right(), c->mapToPosition(QPointF(toMs, 0), anchor).x());
            if (x2 > x1)
                painter->fillRect(QRectF(x1, plot.top(), x2 - x1, plot.height()), shade);
        }
        QPen pen(themeColor(Palette::Muted), 1, Qt::DotLine);
        painter->setPen(pen);
        for (const auto &m : m_markers) {
            const QPointF at = c->mapToPosition(QPointF(double(m.at.toMSecsSinceEpoch()), 0), anchor);
            if (at.x() < plot.left() || at.x() > plot.right())
                continue;
            painter->drawLine(QPointF(at.x(), plot.top()), QPointF(at.x(), plot.bottom()));
        }
        painter->restore();
    }

private:
    const QList<TimeSeriesChart::Marker> &m_markers;
    const QList<TimeSeriesChart::Span> &m_spans;
};

namespace {

constexpr int kCoalesceMs = 40; // at most 25 pushes a second, however often data arrives

// The fewest decimals that write `step` exactly (0.5 -> 1, 0.25 -> 2, 5 -> 0), at most 6.
int decimalsOfStep(double step)
{
    if (!(step > 0) || !std::isfinite(step))
        return 0;
    for (int d = 0; d < 6; ++d) {
        const double scaled = step * std::pow(10.0, d);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled))
            return d;
    }
    return 6;
}

QString dateFormatFor(qint64 rangeSecs)
{
    if (rangeSecs <= 2 * 86400)
        return QStringLiteral("HH:mm");
    // Over weeks the ticks are days apart and a time of day would not fit a third of the page.
    if (rangeSecs > 7 * 86400)
        return QStringLiteral("dd MMM");
    return QStringLiteral("dd MMM HH:mm");
}

} // namespace

TimeSeriesChart::TimeSeriesChart(QWidget *parent) : QWidget(parent), m_chart(new QChart), m_coalesce(new QTimer(this))
{
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->legend()->setFont(QFont(font().family(), 8));
    m_chart->legend()->setMarkerShape(QLegend::MarkerShapeCircle);
    m_chart->setBackgroundRoundness(6);
    QFont titleFont = font();
    titleFont.setBold(true);
    m_chart->setTitleFont(titleFont);
    m_x = new QDateTimeAxis;
    m_x->setTickCount(6);
    m_x->setFormat(QStringLiteral("HH:mm"));
    m_y = new QValueAxis;
    m_y->setLabelFormat(QStringLiteral("%.2f"));
    charts_detail::styleAxis(m_x);
    charts_detail::styleAxis(m_y);
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_y, Qt::AlignLeft);

    m_markerPoints = new QScatterSeries;
    m_markerPoints->setName(tr("Changes"));
    m_markerPoints->setMarkerShape(QScatterSeries::MarkerShapeTriangle);
    m_markerPoints->setMarkerSize(11);
    m_markerPoints->setColor(themeColor(Palette::Muted));
    m_markerPoints->setBorderColor(themeColor(Palette::Muted));
    m_chart->addSeries(m_markerPoints);
    m_markerPoints->attachAxis(m_x);
    m_markerPoints->attachAxis(m_y);
    connect(m_markerPoints, &QScatterSeries::hovered, this, [this](const QPointF &p, bool state) {
        if (!state) {
            QToolTip::hideText();
            return;
        }
        const QString text = markerText(p.x(), 60'000.0 * 60 * 24 * 365);
        if (!text.isEmpty())
            QToolTip::showText(QCursor::pos(), text, this);
    });

    m_view = new MarkerChartView(m_chart, m_markers, m_spans, this);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(200);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    m_coalesce->setSingleShot(true);
    m_coalesce->setInterval(kCoalesceMs);
    connect(m_coalesce, &QTimer::timeout, this, &TimeSeriesChart::flush);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    setTimeRange(now.addSecs(-3600), now);
}

TimeSeriesChart::~TimeSeriesChart() = default;

void TimeSeriesChart::setTitle(const QString &title)
{
    m_chart->setTitle(title);
}
QString TimeSeriesChart::title() const
{
    return m_chart->title();
}

void TimeSeriesChart::setValueFormat(const QString &pattern, int decimals)
{
    m_valuePattern = pattern;
    m_decimals = decimals;
    m_y->setLabelFormat(QStringLiteral("%.%1f").arg(decimals));
}

void TimeSeriesChart::setValueFloor(std::optional<double> floor)
{
    m_floor = floor;
    scheduleUpdate();
}

void TimeSeriesChart::setValueCeiling(std::optional<double> ceiling)
{
    m_ceiling = ceiling;
    scheduleUpdate();
}

void TimeSeriesChart::setTimeRange(const QDateTime &from, const QDateTime &to)
{
    m_from = from;
    m_to = to;
    m_x->setFormat(dateFormatFor(from.secsTo(to)));
    m_x->setRange(from.toLocalTime(), to.toLocalTime());
    scheduleUpdate();
}

void TimeSeriesChart::setSeries(const QString &name, QList<QPointF> points, const QColor &color, Qt::PenStyle style)
{
    setSeries(name, std::vector<QPointF>(points.begin(), points.end()), color, style);
}

void TimeSeriesChart::setSeries(const QString &name, std::vector<QPointF> points, const QColor &color,
                                Qt::PenStyle style)
{
    Curve &curve = m_curves[name];
    if (!curve.series) {
        curve.series = new QLineSeries;
        curve.series->setName(name);
        m_chart->addSeries(curve.series);
        curve.series->attachAxis(m_x);
        curve.series->attachAxis(m_y);
        connect(curve.series, &QLineSeries::hovered, this,
                [this, name](const QPointF &p, bool state) { showHover(name, p, state); });
    }
    QPen pen(color, 2, style);
    curve.series->setPen(pen);
    curve.raw = std::move(points);
    scheduleUpdate();
}

void TimeSeriesChart::removeSeries(const QString &name)
{
    auto it = m_curves.find(name);
    if (it == m_curves.end())
        return;
    m_chart->removeSeries(it->series);
    delete it->series;
    m_curves.erase(it);
    scheduleUpdate();
}

void TimeSeriesChart::clearSeries()
{
    const QStringList names = m_curves.keys();
    for (const QString &n : names)
        removeSeries(n);
}

QStringList TimeSeriesChart::seriesNames() const
{
    return m_curves.keys();
}

Qt::PenStyle TimeSeriesChart::seriesStyle(const QString &name) const
{
    const auto it = m_curves.constFind(name);
    return it == m_curves.cend() ? Qt::NoPen : it->series->pen().style();
}

void TimeSeriesChart::setHorizontalLine(const QString &name, double value, LineKind kind)
{
    HLine &line = m_lines[name];
    if (!line.series) {
        line.series = new QLineSeries;
        line.series->setName(name);
        m_chart->addSeries(line.series);
        line.series->attachAxis(m_x);
        line.series->attachAxis(m_y);
    }
    line.value = value;
    line.kind = kind;
    QPen pen(kind == LineKind::Target ? themeColor(Palette::Bad) : themeColor(Palette::Stretch), 1.5,
             kind == LineKind::Target ? Qt::DashLine : Qt::DashDotLine);
    line.series->setPen(pen);
    scheduleUpdate();
}

void TimeSeriesChart::clearHorizontalLines()
{
    for (auto &line : m_lines) {
        m_chart->removeSeries(line.series);
        delete line.series;
    }
    m_lines.clear();
    scheduleUpdate();
}

void TimeSeriesChart::setMarkers(const QList<Marker> &markers)
{
    m_markers = markers;
    scheduleUpdate();
}

int TimeSeriesChart::markerCount() const
{
    return int(m_markers.size());
}

void TimeSeriesChart::setShadedSpans(const QList<Span> &spans, const QString &legend)
{
    m_spans = spans;
    if (!m_spanLegend) {
        m_spanLegend = new QLineSeries;
        QColor shade = themeColor(Palette::Warn);
        shade.setAlpha(90);
        m_spanLegend->setPen(QPen(shade, 8));
        m_chart->addSeries(m_spanLegend);
        m_spanLegend->attachAxis(m_x);
        m_spanLegend->attachAxis(m_y);
    }
    m_spanLegend->setName(legend);
    m_spanLegend->setVisible(!spans.isEmpty() && !legend.isEmpty());
    scheduleUpdate();
}

int TimeSeriesChart::shadedSpanCount() const
{
    return int(m_spans.size());
}

int TimeSeriesChart::rawPointCount(const QString &name) const
{
    const auto it = m_curves.constFind(name);
    return it == m_curves.cend() ? 0 : int(it->raw.size());
}

int TimeSeriesChart::drawnPointCount(const QString &name) const
{
    const auto it = m_curves.constFind(name);
    return it == m_curves.cend() ? 0 : int(it->series->count());
}

int TimeSeriesChart::plotColumns() const
{
    const int plot = int(m_chart->plotArea().width());
    return std::max(50, plot > 0 ? plot : width() - 80);
}

QString TimeSeriesChart::formatValue(double v) const
{
    return m_valuePattern.arg(QLocale().toString(v, 'f', m_decimals));
}

QString TimeSeriesChart::hoverText(const QString &name, double xMs) const
{
    const auto it = m_curves.constFind(name);
    if (it == m_curves.cend() || it->raw.empty())
        return {};
    const auto &raw = it->raw;
    auto pos = std::lower_bound(raw.begin(), raw.end(), xMs, [](const QPointF &p, double x) { return p.x() < x; });
    if (pos == raw.end())
        --pos;
    else if (pos != raw.begin() && std::abs((pos - 1)->x() - xMs) < std::abs(pos->x() - xMs))
        --pos;
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(qint64(pos->x()), Qt::UTC).toLocalTime();
    return tr("%1\n%2\n%3").arg(name, QLocale().toString(at, QLocale::ShortFormat), formatValue(pos->y()));
}

QString TimeSeriesChart::markerText(double xMs, double toleranceMs) const
{
    const Marker *best = nullptr;
    double bestDistance = toleranceMs;
    for (const auto &m : m_markers) {
        const double d = std::abs(double(m.at.toMSecsSinceEpoch()) - xMs);
        if (d <= bestDistance) {
            bestDistance = d;
            best = &m;
        }
    }
    if (!best)
        return {};
    return tr("%1\n%2").arg(QLocale().toString(best->at.toLocalTime(), QLocale::ShortFormat), best->tooltip);
}

void TimeSeriesChart::showHover(const QString &name, const QPointF &point, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(QCursor::pos(), hoverText(name, point.x()), this);
}

void TimeSeriesChart::scheduleUpdate()
{
    if (!m_coalesce->isActive())
        m_coalesce->start();
}

void TimeSeriesChart::flush()
{
    m_coalesce->stop();
    updateCurves();
    updateAxes();
    m_view->viewport()->update();
}

void TimeSeriesChart::updateCurves()
{
    const int columns = plotColumns();
    const double xMin = double(m_from.toMSecsSinceEpoch());
    const double xMax = double(m_to.toMSecsSinceEpoch());
    for (auto &curve : m_curves) {
        const QList<QPointF> drawn = decimateMinMax(curve.raw, xMin, xMax, columns);
        curve.drawn = int(drawn.size());
        curve.series->replace(drawn); // one repaint, not one per point
        // A lone point (the first minute of data) draws no line: show it as a dot.
        curve.series->setPointsVisible(drawn.size() < 3);
    }
    for (auto &line : m_lines)
        line.series->replace(QList<QPointF>{{xMin, line.value}, {xMax, line.value}});
}

void TimeSeriesChart::updateAxes()
{
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    const double xMin = double(m_from.toMSecsSinceEpoch());
    const double xMax = double(m_to.toMSecsSinceEpoch());
    for (const auto &curve : m_curves)
        for (const QPointF &p : curve.series->points()) // the decimated points keep every extreme
            if (p.x() >= xMin && p.x() <= xMax && std::isfinite(p.y())) {
                lo = std::min(lo, p.y());
                hi = std::max(hi, p.y());
            }
    for (const auto &line : m_lines) {
        lo = std::min(lo, line.value);
        hi = std::max(hi, line.value);
    }
    if (m_floor)
        lo = std::min(lo, *m_floor);
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    const double span = hi - lo > 0 ? hi - lo : std::max(1.0, std::abs(hi));
    double top = hi + span * 0.12; // room for the marker points above the curves
    if (m_ceiling)
        top = std::min(top, *m_ceiling);
    const double bottom = (m_floor && lo >= *m_floor) ? lo : lo - span * 0.05;
    m_y->setRange(bottom, top);
    m_y->applyNiceNumbers(); // round ticks (0, 0.5, 1 ...), not 0.844
    if (m_ceiling && m_y->max() > *m_ceiling)
        m_y->setMax(*m_ceiling);
    // The tick labels need as many decimals as the nice step has: a latency axis of 0 to 2 ms in
    // steps of 0.5 reads "0 0.5 1 1.5 2", not "0 1 1 2 2".
    m_y->setLabelFormat(
        QStringLiteral("%.%1f").arg(decimalsOfStep((m_y->max() - m_y->min()) / std::max(1, m_y->tickCount() - 1))));

    QList<QPointF> tops;
    tops.reserve(m_markers.size());
    for (const auto &m : m_markers) {
        const double x = double(m.at.toMSecsSinceEpoch());
        if (x >= xMin && x <= xMax)
            tops.append(QPointF(x, top - span * 0.04));
    }
    m_markerPoints->replace(tops);
    m_markerPoints->setVisible(!tops.isEmpty());
    // The triangles explain themselves (tooltips): the legend's room goes to the curves.
    const auto legendMarkers = m_chart->legend()->markers(m_markerPoints);
    for (QLegendMarker *lm : legendMarkers)
        lm->setVisible(false);
}

QString TimeSeriesChart::valueAxisLabelFormat() const
{
    return m_y->labelFormat();
}

void TimeSeriesChart::renderTo(QPainter &painter, const QRectF &target)
{
    m_view->render(&painter, target, m_view->viewport()->rect());
}

void TimeSeriesChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // As many time ticks as their labels have room for (a label is elided to "07 ..." otherwise).
    m_x->setTickCount(std::clamp(event->size().width() / 90, 3, 6));
    scheduleUpdate(); // new pixel columns: decimate again
}

} // namespace mldeck::ui
