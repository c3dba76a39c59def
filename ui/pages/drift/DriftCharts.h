#pragma once

#include "core/services/DriftService.h"

#include <QWidget>

namespace mldeck::ui {

class BarChart;
class XYChart;

// The detail of one feature: reference vs current histograms overlaid, and the score's time
// series with its threshold.
class DriftCharts final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftCharts)

public:
    explicit DriftCharts(QWidget *parent = nullptr);

    void showFeature(const drift::FeatureDrift &feature, const QList<DriftScorePoint> &history);
    // The multivariate line: the window's mean reconstruction error against the reference band, now and over time.
    void showMultivariate(const drift::MultivariateDrift &multivariate, const QList<DriftScorePoint> &history);
    void clear();
    QString histogramTitle() const;

private:
    BarChart *m_histogram = nullptr;
    XYChart *m_series = nullptr;
};

} // namespace mldeck::ui
