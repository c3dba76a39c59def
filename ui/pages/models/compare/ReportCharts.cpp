#include "ui/pages/models/compare/ReportCharts.h"

#include "ui/Theme.h"
#include "ui/charts/BarChart.h"
#include "ui/charts/ConfusionMatrixView.h"
#include "ui/charts/ReliabilityDiagram.h"
#include "ui/charts/XYChart.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

ReportCharts::ReportCharts(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_scatter = new XYChart(XYChart::XAxis::Value, this);
    m_residuals = new BarChart(this);
    m_scatter->setObjectName(QStringLiteral("compareScatter"));
    m_residuals->setObjectName(QStringLiteral("compareResiduals"));
    m_scatter->setAxisTitles(tr("Actual"), tr("Predicted"));
    m_residuals->setAxisTitles(QString(), tr("Rows"));
    m_residuals->setValueLabelFormat(QStringLiteral("%d"));
    layout->addWidget(m_scatter, 1);
    layout->addWidget(m_residuals, 1);

    m_classifierPlots = new QWidget(this);
    auto *classifier = new QHBoxLayout(m_classifierPlots);
    classifier->setContentsMargins(0, 0, 0, 0);
    m_reliability = new ReliabilityDiagram(m_classifierPlots);
    m_reliability->setObjectName(QStringLiteral("compareReliability"));
    auto *confusionColumn = new QVBoxLayout;
    m_confusionModel = new QComboBox(m_classifierPlots);
    m_confusionModel->setObjectName(QStringLiteral("compareConfusionModel"));
    m_confusion = new ConfusionMatrixView(m_classifierPlots);
    m_confusion->setObjectName(QStringLiteral("compareConfusion"));
    confusionColumn->addWidget(m_confusionModel);
    confusionColumn->addWidget(m_confusion, 1);
    classifier->addWidget(m_reliability, 1);
    classifier->addLayout(confusionColumn, 1);
    layout->addWidget(m_classifierPlots, 2);
    connect(m_confusionModel, &QComboBox::currentIndexChanged, this, &ReportCharts::showConfusion);
    clear();
}

void ReportCharts::clear()
{
    m_scatter->clear();
    m_residuals->clear();
    m_scatter->setTitle(tr("Predicted vs actual"));
    m_residuals->setTitle(tr("Residuals (predicted − actual)"));
    m_reliability->clear();
    m_confusion->clear();
    const QSignalBlocker quiet(m_confusionModel);
    m_confusionModel->clear();
    m_classes.clear();
    m_confusions.clear();
    m_scatterPoints = 0;
}

void ReportCharts::setReport(const stats::ComparisonReport &r)
{
    clear();
    const bool classification = r.task == QLatin1String("classification");
    m_scatter->setVisible(!classification);
    m_residuals->setVisible(!classification);
    m_classifierPlots->setVisible(classification);
    if (classification)
        showClassification(r);
    else
        showRegression(r);
}

void ReportCharts::showClassification(const stats::ComparisonReport &r)
{
    m_classes = r.classSpec.classes;
    const bool binary = r.classSpec.isBinary();
    m_reliability->setTitle(binary ? tr("Reliability of P(%1)").arg(r.classSpec.classes.value(1))
                                   : tr("Reliability of the confidence"));
    m_reliability->setAxisTitles(binary ? tr("Mean predicted probability") : tr("Mean confidence"),
                                 binary ? tr("Share %1").arg(r.classSpec.classes.value(1)) : tr("Share right"));
    QStringList eces;
    for (size_t m = 0; m < r.models.size(); ++m) {
        if (!r.models[m].classification)
            continue;
        QList<ReliabilityDiagram::Point> points;
        for (const stats::ReliabilityBin &b : r.models[m].classification->reliability)
            points.append({b.meanScore, b.observed, b.rows});
        m_reliability->setCurve(r.models[m].label, points, seriesColor(int(m)));
        if (const auto &ece = r.models[m].classification->figures.ece)
            eces << tr("%1: ECE %2").arg(r.models[m].label, QLocale().toString(*ece, 'f', 4));
    }
    m_reliability->setCaption(
        eces.isEmpty() ? QString()
                       : tr("%1 (%2 labelled rows)").arg(eces.join(QStringLiteral(", ")), QLocale().toString(r.rows)));
    const QSignalBlocker quiet(m_confusionModel);
    for (const stats::ModelSummary &m : r.models) {
        m_confusionModel->addItem(tr("Confusion matrix of %1").arg(m.label));
        m_confusions.push_back(m.classification ? m.classification->figures.confusion : std::vector<qint64>{});
    }
    m_confusionModel->setCurrentIndex(0);
    showConfusion(0);
}

void ReportCharts::showConfusion(int model)
{
    if (model < 0 || size_t(model) >= m_confusions.size() || m_confusions[size_t(model)].empty()) {
        m_confusion->clear();
        return;
    }
    m_confusion->setTitle(tr("Rows: true class; columns: served class"));
    m_confusion->setMatrix(m_classes, m_confusions[size_t(model)]);
}

void ReportCharts::showRegression(const stats::ComparisonReport &r)
{
    const size_t n = r.actual.size();
    if (n == 0 || r.predictions.empty())
        return;
    // Decimation: every k-th row, the same rows for every model so the clouds stay comparable.
    const size_t step = std::max<size_t>(1, (n + kMaxScatterPoints - 1) / kMaxScatterPoints);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t m = 0; m < r.predictions.size(); ++m) {
        QList<QPointF> points;
        for (size_t i = 0; i < n; i += step) {
            points.append(QPointF(r.actual[i], r.predictions[m][i]));
            lo = std::min({lo, r.actual[i], r.predictions[m][i]});
            hi = std::max({hi, r.actual[i], r.predictions[m][i]});
        }
        m_scatterPoints = std::max(m_scatterPoints, int(points.size()));
        QColor color = seriesColor(int(m));
        color.setAlpha(160); // overlapping clouds stay readable
        m_scatter->setSeries(r.models[m].label, points, color, XYChart::Style::Points, 4);
    }
    m_scatter->setSeries(tr("Perfect"), {QPointF(lo, lo), QPointF(hi, hi)}, themeColor(Palette::Muted),
                         XYChart::Style::Dashed, 1);
    m_scatter->setXRange(lo, hi);
    m_scatter->setYRange(lo, hi);

    // Residual histograms on shared bins (1st-99th percentile of all residuals, 30 bins).
    std::vector<double> all;
    all.reserve(n * r.predictions.size());
    for (const auto &p : r.predictions)
        for (size_t i = 0; i < n; ++i)
            all.push_back(p[i] - r.actual[i]);
    std::sort(all.begin(), all.end());
    const double rlo = all[size_t(0.01 * double(all.size() - 1))];
    const double rhi = all[size_t(0.99 * double(all.size() - 1))];
    const int bins = 30;
    const double width = std::max(1e-9, (rhi - rlo) / bins);
    QList<BarChart::Set> sets;
    for (size_t m = 0; m < r.predictions.size(); ++m) {
        QList<double> counts(bins, 0);
        for (size_t i = 0; i < n; ++i) {
            const double e = r.predictions[m][i] - r.actual[i];
            counts[std::clamp(int((e - rlo) / width), 0, bins - 1)] += 1;
        }
        sets.append({r.models[m].label, counts, seriesColor(int(m))});
    }
    QStringList categories;
    for (int b = 0; b < bins; ++b)
        categories << (b % 5 == 0 ? QString::number(rlo + b * width, 'f', 1) : QString(b, QLatin1Char(' ')));
    m_residuals->setBars(categories, sets, 0.05, 1, true);
}

} // namespace mldeck::ui
