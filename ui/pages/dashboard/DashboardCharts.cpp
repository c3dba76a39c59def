#include "ui/pages/dashboard/DashboardCharts.h"

#include "ui/Theme.h"
#include "ui/charts/TimeSeriesChart.h"

#include <QGridLayout>

#include <functional>

namespace mldeck::ui {

std::vector<QPointF> DashboardCharts::pointsOf(const KpiSnapshot &s, const QString &path, const Getter &get,
                                               double scale)
{
    std::vector<QPointF> out;
    const auto series = s.seriesByPath.value(path);
    out.reserve(size_t(series.size()));
    for (const KpiPoint &p : series)
        if (const auto v = get(p.figures))
            out.emplace_back(double(p.startSecs * 1000 + qint64(p.seconds) * 500), *v * scale);
    return out;
}

QList<TimeSeriesChart::Marker> DashboardCharts::markersOf(const KpiSnapshot &s)
{
    QList<TimeSeriesChart::Marker> markers;
    markers.reserve(s.markers.size());
    for (const AuditMarker &m : s.markers)
        markers.append(
            {m.at, tr("%1 by %2\n%3").arg(m.action, m.actor.isEmpty() ? tr("unknown") : m.actor, m.summary)});
    return markers;
}

DashboardCharts::DashboardCharts(QWidget *parent) : QWidget(parent)
{
    m_mae = new TimeSeriesChart(this);
    m_mae->setObjectName(QStringLiteral("chart_mae"));
    m_mae->setTitle(tr("MAE (minutes)"));
    m_mae->setValueFormat(tr("%1 min"), 2);
    m_mae->setValueFloor(0.0);
    m_r2 = new TimeSeriesChart(this);
    m_r2->setObjectName(QStringLiteral("chart_r2"));
    m_r2->setTitle(tr("R²"));
    m_r2->setValueFormat(QStringLiteral("%1"), 3);
    m_latency = new TimeSeriesChart(this);
    m_latency->setObjectName(QStringLiteral("chart_latency"));
    m_latency->setTitle(tr("Latency of ML (ms)"));
    m_latency->setValueFormat(tr("%1 ms"), 0);
    m_latency->setValueFloor(0.0);
    m_errorRate = new TimeSeriesChart(this);
    m_errorRate->setObjectName(QStringLiteral("chart_errorRate"));
    m_errorRate->setTitle(tr("Error rate (%)"));
    m_errorRate->setValueFormat(tr("%1 %"), 1);
    m_errorRate->setValueFloor(0.0);
    m_throughput = new TimeSeriesChart(this);
    m_throughput->setObjectName(QStringLiteral("chart_throughput"));
    m_throughput->setTitle(tr("Throughput (predictions/s)"));
    m_throughput->setValueFormat(tr("%1 /s"), 2);
    m_throughput->setValueFloor(0.0);

    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(8);
    grid->addWidget(m_mae, 0, 0);
    grid->addWidget(m_r2, 0, 1);
    grid->addWidget(m_latency, 0, 2);
    grid->addWidget(m_errorRate, 1, 0);
    grid->addWidget(m_throughput, 1, 1);
    for (TimeSeriesChart *c : all())
        c->setMinimumHeight(240);
}

void DashboardCharts::clear()
{
    for (TimeSeriesChart *c : all()) {
        c->clearSeries();
        c->clearHorizontalLines();
        c->setMarkers({});
    }
}

void DashboardCharts::showSnapshot(const KpiSnapshot &s)
{
    const QDateTime from = QDateTime::fromSecsSinceEpoch(s.query.fromSecs, Qt::UTC);
    const QDateTime to = QDateTime::fromSecsSinceEpoch(s.query.toSecs, Qt::UTC);
    const QList<TimeSeriesChart::Marker> markers = markersOf(s);
    for (TimeSeriesChart *c : all()) {
        c->setTimeRange(from, to);
        c->setMarkers(markers);
    }
    const QString ml = tr("ML"), heuristic = tr("Heuristic"), fallback = tr("Fallback");
    const QString mlKey = QStringLiteral("ml"), heurKey = QStringLiteral("heuristic"),
                  fbKey = QStringLiteral("fallback");
    const KpiTargets &t = s.targets;

    auto mae = [](const stats::KpiFigures &f) { return f.mae; };
    m_mae->setSeries(ml, pointsOf(s, mlKey, mae), themeColor(Palette::Ml));
    m_mae->setSeries(heuristic, pointsOf(s, heurKey, mae), themeColor(Palette::Heuristic));
    // The nanny's estimate of the ML MAE, dashed in the ML colour: there before the outcomes are.
    m_mae->setSeries(estimatedSeriesName(),
                     pointsOf(s, mlKey, [](const stats::KpiFigures &f) { return f.estimatedMae; }),
                     themeColor(Palette::Ml), Qt::DashLine);
    m_mae->setHorizontalLine(tr("Target"), t.maeMax, TimeSeriesChart::LineKind::Target);
    m_mae->setHorizontalLine(tr("Stretch"), t.stretchMae, TimeSeriesChart::LineKind::Stretch);

    auto r2 = [](const stats::KpiFigures &f) { return f.r2; };
    m_r2->setSeries(ml, pointsOf(s, mlKey, r2), themeColor(Palette::Ml));
    m_r2->setSeries(heuristic, pointsOf(s, heurKey, r2), themeColor(Palette::Heuristic));
    m_r2->setHorizontalLine(tr("Target"), t.r2Min, TimeSeriesChart::LineKind::Target);
    m_r2->setHorizontalLine(tr("Stretch"), t.stretchR2, TimeSeriesChart::LineKind::Stretch);

    m_latency->setSeries(tr("p50"), pointsOf(s, mlKey, [](const auto &f) { return f.latencyP50Ms; }), seriesColor(0));
    m_latency->setSeries(tr("p95"), pointsOf(s, mlKey, [](const auto &f) { return f.latencyP95Ms; }), seriesColor(1));
    m_latency->setSeries(tr("p99"), pointsOf(s, mlKey, [](const auto &f) { return f.latencyP99Ms; }), seriesColor(2));
    m_latency->setHorizontalLine(tr("Target"), t.latencyMaxMs, TimeSeriesChart::LineKind::Target);

    auto failure = [](const stats::KpiFigures &f) { return f.failureRate; };
    auto rate = [](const stats::KpiFigures &f) { return f.throughputPerSecond; };
    for (const auto &[name, key] : {std::pair{ml, mlKey}, std::pair{heuristic, heurKey}, std::pair{fallback, fbKey}}) {
        m_errorRate->setSeries(name, pointsOf(s, key, failure, 100.0), pathColor(key));
        m_throughput->setSeries(name, pointsOf(s, key, rate), pathColor(key));
    }
    m_errorRate->setHorizontalLine(tr("Target"), t.errorRateMax * 100.0, TimeSeriesChart::LineKind::Target);
}

} // namespace mldeck::ui
