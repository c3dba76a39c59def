#include "ui/pages/models/compare/ReportCharts.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

ReportCharts::ReportCharts(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_scatter = new QChartView(new QChart, this);
    m_residuals = new QChartView(new QChart, this);
    m_scatter->setObjectName(QStringLiteral("compareScatter"));
    m_residuals->setObjectName(QStringLiteral("compareResiduals"));
    m_scatter->setRenderHint(QPainter::Antialiasing);
    layout->addWidget(m_scatter, 1);
    layout->addWidget(m_residuals, 1);
    clear();
}

void ReportCharts::clear()
{
    m_scatter->chart()->removeAllSeries();
    m_residuals->chart()->removeAllSeries();
    for (QChart *c : {m_scatter->chart(), m_residuals->chart()})
        for (QAbstractAxis *a : c->axes())
            c->removeAxis(a);
    m_scatter->chart()->setTitle(tr("Predicted vs actual"));
    m_residuals->chart()->setTitle(tr("Residuals (predicted − actual)"));
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
    QChart *scatter = m_scatter->chart();
    auto *x = new QValueAxis;
    auto *y = new QValueAxis;
    x->setTitleText(tr("Actual"));
    y->setTitleText(tr("Predicted"));
    scatter->addAxis(x, Qt::AlignBottom);
    scatter->addAxis(y, Qt::AlignLeft);
    for (size_t m = 0; m < r.predictions.size(); ++m) {
        auto *series = new QScatterSeries;
        series->setName(r.models[m].label);
        series->setMarkerSize(4);
        series->setPen(Qt::NoPen);
        QList<QPointF> points;
        for (size_t i = 0; i < n; i += step) {
            points.append(QPointF(r.actual[i], r.predictions[m][i]));
            lo = std::min({lo, r.actual[i], r.predictions[m][i]});
            hi = std::max({hi, r.actual[i], r.predictions[m][i]});
        }
        m_scatterPoints = std::max(m_scatterPoints, int(points.size()));
        series->replace(points);
        scatter->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
    }
    auto *diagonal = new QLineSeries;
    diagonal->setName(tr("Perfect"));
    diagonal->append(lo, lo);
    diagonal->append(hi, hi);
    scatter->addSeries(diagonal);
    diagonal->attachAxis(x);
    diagonal->attachAxis(y);
    x->setRange(lo, hi);
    y->setRange(lo, hi);

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
    auto *bars = new QBarSeries;
    for (size_t m = 0; m < r.predictions.size(); ++m) {
        std::vector<int> counts(bins, 0);
        for (size_t i = 0; i < n; ++i) {
            const double e = r.predictions[m][i] - r.actual[i];
            counts[size_t(std::clamp(int((e - rlo) / width), 0, bins - 1))]++;
        }
        auto *set = new QBarSet(r.models[m].label);
        for (int c : counts)
            set->append(c);
        bars->append(set);
    }
    QStringList categories;
    for (int b = 0; b < bins; ++b)
        categories << (b % 5 == 0 ? QString::number(rlo + b * width, 'f', 1) : QString(b, QLatin1Char(' ')));
    QChart *hist = m_residuals->chart();
    hist->addSeries(bars);
    auto *cats = new QBarCategoryAxis;
    cats->append(categories);
    auto *counts = new QValueAxis;
    counts->setTitleText(tr("Rows"));
    hist->addAxis(cats, Qt::AlignBottom);
    hist->addAxis(counts, Qt::AlignLeft);
    bars->attachAxis(cats);
    bars->attachAxis(counts);
}

} // namespace mldeck::ui
