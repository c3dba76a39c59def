#include "ui/pages/models/compare/ReportCharts.h"

#include "ui/Theme.h"
#include "ui/charts/BarChart.h"
#include "ui/charts/XYChart.h"

#include <QHBoxLayout>

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
    clear();
}

void ReportCharts::clear()
{
    m_scatter->clear();
    m_residuals->clear();
    m_scatter->setTitle(tr("Predicted vs actual"));
    m_residuals->setTitle(tr("Residuals (predicted − actual)"));
    m_scatterPoints = 0;
}

void ReportCharts::setReport(const stats::ComparisonReport &r)
{
    clear();
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
