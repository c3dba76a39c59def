#pragma once

#include "core/stats/ComparisonReport.h"

#include <QWidget>

namespace mldeck::ui {

class BarChart;
class XYChart;

// Predicted-vs-actual scatter (at most 5,000 points per model, evenly decimated) and residual
// histograms of the models of a comparison report.
class ReportCharts final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReportCharts)

public:
    static constexpr int kMaxScatterPoints = 5000;

    explicit ReportCharts(QWidget *parent = nullptr);
    void setReport(const stats::ComparisonReport &report);
    void clear();
    int scatterPointCount() const { return m_scatterPoints; }

private:
    XYChart *m_scatter = nullptr;
    BarChart *m_residuals = nullptr;
    int m_scatterPoints = 0;
};

} // namespace mldeck::ui
