#include "ui/pages/retrain/LossChart.h"

#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

LossChart::LossChart(QWidget *parent) : QWidget(parent)
{
    auto *chart = new QChart;
    chart->setTitle(tr("Loss per epoch (mean squared error, scaled target)"));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_train = new QLineSeries(chart);
    m_train->setName(tr("Training"));
    m_validation = new QLineSeries(chart);
    m_validation->setName(tr("Validation"));
    m_train->setPointsVisible(true);
    m_validation->setPointsVisible(true);
    chart->addSeries(m_train);
    chart->addSeries(m_validation);
    m_x = new QValueAxis(chart);
    m_x->setTitleText(tr("Epoch"));
    m_x->setLabelFormat(QStringLiteral("%d"));
    m_y = new QValueAxis(chart);
    m_y->setTitleText(tr("Loss"));
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    for (QLineSeries *s : {m_train, m_validation}) {
        s->attachAxis(m_x);
        s->attachAxis(m_y);
    }
    m_view = new QChartView(chart, this);
    m_view->setObjectName(QStringLiteral("retrainLossChart"));
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(220);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    clear(10);
}

void LossChart::clear(int epochs)
{
    m_train->clear();
    m_validation->clear();
    m_maxLoss = 0;
    m_x->setRange(1, std::max(2, epochs));
    m_x->setTickCount(std::clamp(epochs, 2, 11));
    m_y->setRange(0, 1);
}

void LossChart::addEpoch(const EpochReport &report)
{
    if (std::isfinite(report.trainLoss))
        m_train->append(report.epoch, report.trainLoss);
    if (std::isfinite(report.validationLoss))
        m_validation->append(report.epoch, report.validationLoss);
    m_maxLoss = std::max({m_maxLoss, std::isfinite(report.trainLoss) ? report.trainLoss : 0.0,
                          std::isfinite(report.validationLoss) ? report.validationLoss : 0.0});
    if (report.epochs > 0)
        m_x->setRange(1, std::max(2, report.epochs));
    m_y->setRange(0, m_maxLoss > 0 ? m_maxLoss * 1.1 : 1);
    m_y->applyNiceNumbers();
}

int LossChart::pointCount() const
{
    return int(m_train->count());
}

} // namespace mldeck::ui
