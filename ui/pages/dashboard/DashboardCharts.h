#pragma once

#include "core/services/KpiSnapshot.h"
#include "ui/charts/TimeSeriesChart.h"

#include <QWidget>

#include <functional>
#include <vector>

namespace mldeck::ui {

// The dashboard's five charts over time: MAE and R² (ML vs heuristic, target and stretch lines; the MAE
// chart also has the nanny model's estimated ML MAE, dashed), latency
// p50/p95/p99 of ML (target), error rate per path (target) and throughput per path; audit markers on all.
class DashboardCharts final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DashboardCharts)

public:
    explicit DashboardCharts(QWidget *parent = nullptr);

    void showSnapshot(const KpiSnapshot &snapshot);
    void clear();

    TimeSeriesChart *mae() const { return m_mae; }
    TimeSeriesChart *r2() const { return m_r2; }
    TimeSeriesChart *latency() const { return m_latency; }
    TimeSeriesChart *errorRate() const { return m_errorRate; }
    TimeSeriesChart *throughput() const { return m_throughput; }
    QList<TimeSeriesChart *> all() const { return {m_mae, m_r2, m_latency, m_errorRate, m_throughput}; }
    // The name of the MAE chart's estimated series.
    static QString estimatedSeriesName() { return tr("ML (estimated)"); }

    // Shared with the classification charts. Points of one figure of a path's series ("all", "ml", ...),
    // x in ms at the middle of each bucket, y scaled; empty buckets are left out.
    using Getter = std::function<std::optional<double>(const stats::KpiFigures &)>;
    static std::vector<QPointF> pointsOf(const KpiSnapshot &s, const QString &path, const Getter &get,
                                         double scale = 1.0);
    // The snapshot's audit events as chart markers.
    static QList<TimeSeriesChart::Marker> markersOf(const KpiSnapshot &s);

private:
    TimeSeriesChart *m_mae = nullptr;
    TimeSeriesChart *m_r2 = nullptr;
    TimeSeriesChart *m_latency = nullptr;
    TimeSeriesChart *m_errorRate = nullptr;
    TimeSeriesChart *m_throughput = nullptr;
};

} // namespace mldeck::ui
