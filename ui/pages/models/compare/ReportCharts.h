#pragma once

#include "core/stats/ComparisonReport.h"

#include <QWidget>

class QComboBox;

namespace mldeck::ui {

class BarChart;
class ConfusionMatrixView;
class ReliabilityDiagram;
class XYChart;

// The plots of a comparison report. Regression: predicted-vs-actual scatter (at most 5,000 points per
// model, evenly decimated) and residual histograms. Classification: the models' reliability diagram
// (one curve per model, ECE in the caption) and the confusion matrix of the model chosen beside it.
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
    void showRegression(const stats::ComparisonReport &report);
    void showClassification(const stats::ComparisonReport &report);
    void showConfusion(int model);

    XYChart *m_scatter = nullptr;
    BarChart *m_residuals = nullptr;
    QWidget *m_classifierPlots = nullptr;
    ReliabilityDiagram *m_reliability = nullptr;
    QComboBox *m_confusionModel = nullptr;
    ConfusionMatrixView *m_confusion = nullptr;
    QStringList m_classes;                         // classification: the classes, and per model
    std::vector<std::vector<qint64>> m_confusions; // its confusion counts (actual-major)
    int m_scatterPoints = 0;
};

} // namespace mldeck::ui
