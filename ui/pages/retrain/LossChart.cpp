#include "ui/pages/retrain/LossChart.h"

#include "ui/Theme.h"
#include "ui/charts/XYChart.h"

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

LossChart::LossChart(QWidget *parent) : QWidget(parent), m_train(tr("Training")), m_validation(tr("Validation"))
{
    m_chart = new XYChart(XYChart::XAxis::Value, this);
    m_chart->setObjectName(QStringLiteral("retrainLossChart"));
    m_chart->setTitle(tr("Loss per epoch (mean squared error, scaled target)"));
    m_chart->setAxisTitles(tr("Epoch"), tr("Loss"));
    m_chart->setXLabelFormat(QStringLiteral("%d"));
    m_chart->setMinimumHeight(220);
    m_chart->setSeries(m_train, {}, themeColor(Palette::Ml), XYChart::Style::LineWithPoints);
    m_chart->setSeries(m_validation, {}, themeColor(Palette::Heuristic), XYChart::Style::LineWithPoints);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_chart);
    clear(10);
}

void LossChart::clear(int epochs)
{
    m_chart->clearPoints();
    m_maxLoss = 0;
    m_chart->setXRange(1, std::max(2, epochs), std::clamp(epochs, 2, 11));
    m_chart->setYRange(0, 1);
}

void LossChart::addEpoch(const EpochReport &report)
{
    if (std::isfinite(report.trainLoss))
        m_chart->appendPoint(m_train, QPointF(report.epoch, report.trainLoss));
    if (std::isfinite(report.validationLoss))
        m_chart->appendPoint(m_validation, QPointF(report.epoch, report.validationLoss));
    m_maxLoss = std::max({m_maxLoss, std::isfinite(report.trainLoss) ? report.trainLoss : 0.0,
                          std::isfinite(report.validationLoss) ? report.validationLoss : 0.0});
    // A classifier trains on cross-entropy (it reports its validation accuracy), a regression model on MSE.
    m_chart->setTitle(report.validationAccuracy ? tr("Loss per epoch (cross-entropy)")
                                                : tr("Loss per epoch (mean squared error, scaled target)"));
    if (report.epochs > 0)
        m_chart->setXRange(1, std::max(2, report.epochs), std::clamp(report.epochs, 2, 11));
    m_chart->setYRange(0, m_maxLoss > 0 ? m_maxLoss * 1.1 : 1, true);
}

int LossChart::pointCount() const
{
    return m_chart->pointCount(m_train);
}

} // namespace mldeck::ui
