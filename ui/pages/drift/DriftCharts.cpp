#include "ui/pages/drift/DriftCharts.h"

#include "ui/Theme.h"
#include "ui/charts/BarChart.h"
#include "ui/charts/XYChart.h"

#include <QDateTime>
#include <QHBoxLayout>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

DriftCharts::DriftCharts(QWidget *parent) : QWidget(parent)
{
    m_histogram = new BarChart(this);
    m_histogram->setBarWidth(0.9);
    m_series = new XYChart(XYChart::XAxis::Time, this);
    m_series->setXLabelFormat(QStringLiteral("HH:mm"));
    for (QWidget *w : {static_cast<QWidget *>(m_histogram), static_cast<QWidget *>(m_series)})
        w->setMinimumHeight(220);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_histogram, 3);
    layout->addWidget(m_series, 2);
    clear();
}

QString DriftCharts::histogramTitle() const
{
    return m_histogram->title();
}

void DriftCharts::clear()
{
    m_histogram->clear();
    m_histogram->setAxisTitles(QString(), QString());
    m_series->clear();
    m_histogram->setTitle(tr("Select a feature to compare its distributions"));
    m_series->setTitle(tr("Score over time"));
}

void DriftCharts::showFeature(const drift::FeatureDrift &feature, const QList<DriftScorePoint> &history)
{
    clear();
    const QString label = driftFeatureLabel(feature.name);
    // Histograms: bars side by side per bin, reference and current shares in percent.
    m_histogram->setTitle(tr("%1: reference vs current").arg(label));
    QColor refColor = themeColor(Palette::Ml), curColor = themeColor(Palette::Heuristic);
    refColor.setAlpha(170);
    curColor.setAlpha(170);
    BarChart::Set ref{tr("Reference"), {}, refColor};
    BarChart::Set cur{tr("Current"), {}, curColor};
    for (std::size_t k = 0; k < feature.histogram.referenceShares.size(); ++k) {
        ref.values << 100 * feature.histogram.referenceShares[k];
        cur.values << (k < feature.histogram.currentShares.size() ? 100 * feature.histogram.currentShares[k] : 0);
    }
    m_histogram->setCategoryLabelStyle(feature.histogram.labels.size() > 8 ? -90 : 0);
    m_histogram->setAxisTitles(QString(), tr("% of rows"));
    m_histogram->setBars(feature.histogram.labels, {ref, cur}, 0.1, 1, true);

    // The score's history with its threshold.
    m_series->setTitle(history.isEmpty() ? tr("%1: no history yet (the guard records a score every check)").arg(label)
                                         : tr("%1: %2 over time").arg(label, drift::testKey(feature.test)));
    QList<QPointF> scores, thresholds;
    double hi = 0;
    qint64 first = 0, last = 0;
    for (const DriftScorePoint &p : history) {
        if (!std::isfinite(p.score))
            continue;
        scores.append(QPointF(double(p.windowEndMs), p.score));
        thresholds.append(QPointF(double(p.windowEndMs), p.threshold));
        hi = std::max({hi, p.score, p.threshold});
        first = first == 0 ? p.windowEndMs : first;
        last = p.windowEndMs;
    }
    m_series->setSeries(tr("Score"), scores, themeColor(Palette::Ml));
    m_series->setSeries(tr("Threshold"), thresholds, themeColor(Palette::Bad), XYChart::Style::Dashed, 1);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_series->setXRange(double(first ? first : now - 3'600'000),
                        double(last > first ? last : (first ? first + 60'000 : now)));
    m_series->setYRange(0, hi > 0 ? hi * 1.15 : 1.0);
}

void DriftCharts::showMultivariate(const drift::MultivariateDrift &m, const QList<DriftScorePoint> &history)
{
    clear();
    const QString label = drift::multivariateLabel(m.components, m.varianceShare);
    // Left: this window against the band (no histogram: the line sums every feature up).
    m_histogram->setTitle(m.enoughSamples ? tr("%1: this window against the reference band").arg(label)
                                          : tr("%1: no verdict, %2").arg(label, m.problem));
    if (m.enoughSamples) {
        BarChart::Set band{tr("Reference"), {m.lower, m.referenceMean, m.upper, 0}, themeColor(Palette::Ml)};
        BarChart::Set current{
            tr("Current"), {0, 0, 0, m.value}, themeColor(m.drift ? Palette::Bad : Palette::Heuristic)};
        m_histogram->setAxisTitles(QString(), tr("error"));
        m_histogram->setBars({tr("band low"), tr("reference mean"), tr("band high"), tr("current")}, {band, current},
                             0.1, 0.001, false);
    }

    // Right: the recorded means with the band of each check.
    const QString shortLabel = driftFeatureLabel(kDriftMultivariateFeature); // the full label does not fit
    m_series->setTitle(history.isEmpty()
                           ? tr("%1: no history yet (the guard records a score every check)").arg(shortLabel)
                           : tr("%1: mean reconstruction error over time").arg(shortLabel));
    QList<QPointF> scores, lows, highs;
    double hi = 0;
    qint64 first = 0, last = 0;
    for (const DriftScorePoint &p : history) {
        if (!std::isfinite(p.score))
            continue;
        scores.append(QPointF(double(p.windowEndMs), p.score));
        hi = std::max(hi, p.score);
        if (p.bandLow && p.bandHigh) {
            lows.append(QPointF(double(p.windowEndMs), *p.bandLow));
            highs.append(QPointF(double(p.windowEndMs), *p.bandHigh));
            hi = std::max(hi, *p.bandHigh);
        }
        first = first == 0 ? p.windowEndMs : first;
        last = p.windowEndMs;
    }
    m_series->setSeries(tr("Mean reconstruction error"), scores, themeColor(Palette::Ml),
                        XYChart::Style::LineWithPoints);
    m_series->setSeries(tr("Band high"), highs, themeColor(Palette::Bad), XYChart::Style::Dashed, 1);
    m_series->setSeries(tr("Band low"), lows, themeColor(Palette::Bad), XYChart::Style::Dashed, 1);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_series->setXRange(double(first ? first : now - 3'600'000),
                        double(last > first ? last : (first ? first + 60'000 : now)));
    m_series->setYRange(0, hi > 0 ? hi * 1.15 : 1.0);
}

} // namespace mldeck::ui
