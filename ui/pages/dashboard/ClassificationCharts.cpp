#include "ui/pages/dashboard/ClassificationCharts.h"

#include "ui/Theme.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/dashboard/DashboardCharts.h"

#include <QGridLayout>

namespace mldeck::ui {

namespace {

using Class = stats::ClassificationFigures;
using Getter = DashboardCharts::Getter;

// The classification figure of a point (empty on a bucket without classification rows).
Getter classFigure(std::function<std::optional<double>(const Class &)> get)
{
    return [get = std::move(get)](const stats::KpiFigures &f) {
        return f.classification ? get(*f.classification) : std::nullopt;
    };
}

// A chart of percentages (0 to 100) unless a unit is given.
TimeSeriesChart *newChart(QWidget *parent, const char *name, const QString &title, const QString &unit = {})
{
    const bool percent = unit.isEmpty();
    auto *chart = new TimeSeriesChart(parent);
    chart->setObjectName(QLatin1String(name));
    chart->setTitle(title);
    chart->setValueFormat(percent ? ClassificationCharts::tr("%1 %") : unit, percent ? 1 : 0);
    chart->setValueFloor(0.0);
    if (percent)
        chart->setValueCeiling(100.0);
    chart->setMinimumHeight(240);
    return chart;
}

} // namespace

ClassificationCharts::ClassificationCharts(QWidget *parent) : QWidget(parent)
{
    m_accuracy = newChart(this, "chart_accuracy", tr("Accuracy (%)"));
    m_estimated = newChart(this, "chart_estimatedAccuracy", tr("Realised vs estimated accuracy (%)"));
    m_confidence = newChart(this, "chart_confidence", tr("Mean confidence (%)"));
    m_positiveRate = newChart(this, "chart_positiveRate", tr("Positive rate (%)"));
    m_latency = newChart(this, "chart_latency", tr("Latency of ML (ms)"), tr("%1 ms"));
    m_errorRate = newChart(this, "chart_errorRate", tr("Error rate (%)"));

    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(8);
    const QList<TimeSeriesChart *> charts = all();
    for (int i = 0; i < charts.size(); ++i)
        grid->addWidget(charts.at(i), i / 3, i % 3);
}

void ClassificationCharts::clear()
{
    for (TimeSeriesChart *c : all()) {
        c->clearSeries();
        c->clearHorizontalLines();
        c->setMarkers({});
        c->setShadedSpans({});
    }
}

QList<std::pair<double, double>> ClassificationCharts::untrustedSpans(const KpiSnapshot &s, const QString &path)
{
    QList<std::pair<double, double>> spans;
    for (const KpiPoint &p : s.seriesByPath.value(path)) {
        const auto &c = p.figures.classification;
        if (!c || c->predictions == 0 || c->estimateUntrusted.isEmpty())
            continue;
        const double from = double(p.startSecs) * 1000.0, to = from + double(p.seconds) * 1000.0;
        if (!spans.isEmpty() && spans.last().second >= from)
            spans.last().second = to;
        else
            spans.append({from, to});
    }
    return spans;
}

void ClassificationCharts::showSnapshot(const KpiSnapshot &s)
{
    const QDateTime from = QDateTime::fromSecsSinceEpoch(s.query.fromSecs, Qt::UTC);
    const QDateTime to = QDateTime::fromSecsSinceEpoch(s.query.toSecs, Qt::UTC);
    const QList<TimeSeriesChart::Marker> markers = DashboardCharts::markersOf(s);
    for (TimeSeriesChart *c : all()) {
        c->setTimeRange(from, to);
        c->setMarkers(markers);
    }
    const QString ml = tr("ML"), heuristic = tr("Heuristic"), fallback = tr("Fallback");
    const QString mlKey = QStringLiteral("ml"), heurKey = QStringLiteral("heuristic"),
                  fbKey = QStringLiteral("fallback");
    const KpiTargets &t = s.targets;
    const auto points = [&s](const QString &path, const Getter &get, double scale = 100.0) {
        return DashboardCharts::pointsOf(s, path, get, scale);
    };

    const Getter accuracy = classFigure([](const Class &c) { return c.accuracy; });
    m_accuracy->setSeries(ml, points(mlKey, accuracy), themeColor(Palette::Ml));
    m_accuracy->setSeries(heuristic, points(heurKey, accuracy), themeColor(Palette::Heuristic));
    m_accuracy->setHorizontalLine(tr("Target"), t.accuracyMin * 100.0, TimeSeriesChart::LineKind::Target);
    m_accuracy->setHorizontalLine(tr("Stretch"), t.stretchAccuracy * 100.0, TimeSeriesChart::LineKind::Stretch);

    m_estimated->setSeries(tr("Realised"), points(mlKey, accuracy), themeColor(Palette::Ml));
    m_estimated->setSeries(tr("Estimated"),
                           points(mlKey, classFigure([](const Class &c) { return c.estimatedAccuracy; })),
                           themeColor(Palette::AllPaths));
    m_estimated->setHorizontalLine(tr("Target"), t.accuracyMin * 100.0, TimeSeriesChart::LineKind::Target);
    m_estimated->setShadedSpans(untrustedSpans(s, mlKey), tr("Estimate not trusted"));

    const Getter confidence = classFigure([](const Class &c) { return c.meanConfidence; });
    m_confidence->setSeries(ml, points(mlKey, confidence), themeColor(Palette::Ml));
    m_confidence->setSeries(heuristic, points(heurKey, confidence), themeColor(Palette::Heuristic));

    m_positiveRate->clearSeries(); // its series are the classes of the deployment shown
    if (s.classSpec.isBinary()) {
        m_positiveRate->setTitle(tr("Positive rate: served as \"%1\" (%)").arg(s.classSpec.classes.at(1)));
        const Getter rate = classFigure([](const Class &c) { return c.positiveRate; });
        m_positiveRate->setSeries(ml, points(mlKey, rate), themeColor(Palette::Ml));
        m_positiveRate->setSeries(heuristic, points(heurKey, rate), themeColor(Palette::Heuristic));
    } else {
        // Multi-class: the share served as each class, all paths (a prior shift shows here).
        m_positiveRate->setTitle(tr("Share served as each class (%)"));
        for (int k = 0; k < s.classSpec.count(); ++k) {
            const Getter shareOf = classFigure([k](const Class &c) {
                return k < int(c.predictedShare.size()) ? c.predictedShare[size_t(k)] : std::nullopt;
            });
            m_positiveRate->setSeries(s.classSpec.classes.at(k), points(QStringLiteral("all"), shareOf),
                                      seriesColor(k));
        }
    }

    m_latency->setSeries(tr("p50"),
                         points(
                             mlKey, [](const auto &f) { return f.latencyP50Ms; }, 1.0),
                         seriesColor(0));
    m_latency->setSeries(tr("p95"),
                         points(
                             mlKey, [](const auto &f) { return f.latencyP95Ms; }, 1.0),
                         seriesColor(1));
    m_latency->setSeries(tr("p99"),
                         points(
                             mlKey, [](const auto &f) { return f.latencyP99Ms; }, 1.0),
                         seriesColor(2));
    m_latency->setHorizontalLine(tr("Target"), t.latencyMaxMs, TimeSeriesChart::LineKind::Target);

    const Getter failure = [](const stats::KpiFigures &f) { return f.failureRate; };
    for (const auto &[name, key] : {std::pair{ml, mlKey}, std::pair{heuristic, heurKey}, std::pair{fallback, fbKey}})
        m_errorRate->setSeries(name, points(key, failure), pathColor(key));
    m_errorRate->setHorizontalLine(tr("Target"), t.errorRateMax * 100.0, TimeSeriesChart::LineKind::Target);
}

} // namespace mldeck::ui
