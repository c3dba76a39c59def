#include "ui/pages/drift/DriftCharts.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

DriftCharts::DriftCharts(QWidget *parent) : QWidget(parent)
{
    m_histogram = new QChartView(new QChart, this);
    m_series = new QChartView(new QChart, this);
    for (QChartView *v : {m_histogram, m_series}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(220);
        v->chart()->legend()->setAlignment(Qt::AlignBottom);
    }
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_histogram, 3);
    layout->addWidget(m_series, 2);
    clear();
}

QString DriftCharts::histogramTitle() const { return m_histogram->chart()->title(); }

void DriftCharts::clear()
{
    for (QChartView *v : {m_histogram, m_series}) {
        v->chart()->removeAllSeries();
        for (QAbstractAxis *a : v->chart()->axes())
            v->chart()->removeAxis(a);
    }
    m_histogram->chart()->setTitle(tr("Select a feature to compare its distributions"));
    m_series->chart()->setTitle(tr("Score over time"));
}

void DriftCharts::showFeature(const drift::FeatureDrift &feature, const QList<DriftScorePoint> &history)
{
    clear();
    const QString label = driftFeatureLabel(feature.name);
    // Histograms: bars side by side per bin, reference and current shares in percent.
    QChart *h = m_histogram->chart();
    h->setTitle(tr("%1: reference vs current").arg(label));
    auto *ref = new QBarSet(tr("Reference"));
    auto *cur = new QBarSet(tr("Current"));
    ref->setColor(QColor(0x2f, 0x6f, 0xb3, 170));
    cur->setColor(QColor(0xe6, 0x7e, 0x22, 170));
    double top = 0;
    for (std::size_t k = 0; k < feature.histogram.referenceShares.size(); ++k) {
        const double r = 100 * feature.histogram.referenceShares[k];
        const double c = k < feature.histogram.currentShares.size() ? 100 * feature.histogram.currentShares[k] : 0;
        *ref << r;
        *cur << c;
        top = std::max({top, r, c});
    }
    auto *bars = new QBarSeries;
    bars->append(ref);
    bars->append(cur);
    bars->setBarWidth(0.9);
    h->addSeries(bars);
    auto *x = new QBarCategoryAxis;
    x->append(feature.histogram.labels);
    x->setLabelsAngle(feature.histogram.labels.size() > 8 ? -90 : 0);
    auto *y = new QValueAxis;
    y->setRange(0, std::max(1.0, top * 1.1));
    y->setTitleText(tr("% of rows"));
    h->addAxis(x, Qt::AlignBottom);
    h->addAxis(y, Qt::AlignLeft);
    bars->attachAxis(x);
    bars->attachAxis(y);

    // The score's history with its threshold.
    QChart *s = m_series->chart();
    s->setTitle(history.isEmpty() ? tr("%1: no history yet (the guard records a score every check)").arg(label)
                                  : tr("%1: %2 over time").arg(label, drift::testKey(feature.test)));
    auto *line = new QLineSeries;
    line->setName(tr("Score"));
    auto *limit = new QLineSeries;
    limit->setName(tr("Threshold"));
    double lo = 0, hi = 0;
    qint64 first = 0, last = 0;
    for (const DriftScorePoint &p : history) {
        if (!std::isfinite(p.score))
            continue;
        line->append(double(p.windowEndMs), p.score);
        limit->append(double(p.windowEndMs), p.threshold);
        hi = std::max({hi, p.score, p.threshold});
        first = first == 0 ? p.windowEndMs : first;
        last = p.windowEndMs;
    }
    s->addSeries(line);
    s->addSeries(limit);
    auto *tx = new QDateTimeAxis;
    tx->setFormat(QStringLiteral("HH:mm"));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    tx->setRange(QDateTime::fromMSecsSinceEpoch(first ? first : now - 3'600'000),
                 QDateTime::fromMSecsSinceEpoch(last > first ? last : (first ? first + 60'000 : now)));
    auto *ty = new QValueAxis;
    ty->setRange(lo, hi > 0 ? hi * 1.15 : 1.0);
    s->addAxis(tx, Qt::AlignBottom);
    s->addAxis(ty, Qt::AlignLeft);
    for (QLineSeries *ls : {line, limit}) {
        ls->attachAxis(tx);
        ls->attachAxis(ty);
    }
    limit->setPen(QPen(QColor(0xc0, 0x39, 0x2b), 1, Qt::DashLine));
}

} // namespace mldeck::ui
