#pragma once

#include "core/services/KpiSnapshot.h"

#include <QWidget>

namespace mldeck::ui {

class TimeSeriesChart;

// A classification deployment's charts over time: accuracy of ML vs the heuristic (target and stretch
// lines), realised vs estimated accuracy of the ML path (windows whose estimate is not trusted shaded), mean
// confidence per path, positive rate per path (binary) or the share served as each class (multi-class),
// latency p50/p95/p99 of ML and error rate per path; audit markers on all.
class ClassificationCharts final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClassificationCharts)

public:
    explicit ClassificationCharts(QWidget *parent = nullptr);

    void showSnapshot(const KpiSnapshot &snapshot);
    void clear();

    TimeSeriesChart *accuracy() const { return m_accuracy; }
    TimeSeriesChart *estimated() const { return m_estimated; }
    TimeSeriesChart *confidence() const { return m_confidence; }
    TimeSeriesChart *positiveRate() const { return m_positiveRate; }
    TimeSeriesChart *latency() const { return m_latency; }
    TimeSeriesChart *errorRate() const { return m_errorRate; }
    QList<TimeSeriesChart *> all() const
    {
        return {m_accuracy, m_estimated, m_confidence, m_positiveRate, m_latency, m_errorRate};
    }
    // The display buckets whose estimate is not trusted, merged into spans (x in ms), as shaded.
    static QList<std::pair<double, double>> untrustedSpans(const KpiSnapshot &snapshot, const QString &path);

private:
    TimeSeriesChart *m_accuracy = nullptr;
    TimeSeriesChart *m_estimated = nullptr;
    TimeSeriesChart *m_confidence = nullptr;
    TimeSeriesChart *m_positiveRate = nullptr;
    TimeSeriesChart *m_latency = nullptr;
    TimeSeriesChart *m_errorRate = nullptr;
};

} // namespace mldeck::ui
