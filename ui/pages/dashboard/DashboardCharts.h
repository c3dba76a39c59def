#pragma once

#include "core/services/KpiSnapshot.h"

#include <QWidget>

namespace mldeck::ui {

class TimeSeriesChart;

// The dashboard's five charts over time: MAE and R² (ML vs heuristic, target and stretch lines), latency
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

private:
    TimeSeriesChart *m_mae = nullptr;
    TimeSeriesChart *m_r2 = nullptr;
    TimeSeriesChart *m_latency = nullptr;
    TimeSeriesChart *m_errorRate = nullptr;
    TimeSeriesChart *m_throughput = nullptr;
};

} // namespace mldeck::ui
