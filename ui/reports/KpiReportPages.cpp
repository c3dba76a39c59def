#include "ui/reports/KpiReportPages.h"

#include "core/domain/Figure.h"
#include "ui/Theme.h"
#include "ui/reports/KpiReportClassification.h"
#include "ui/reports/KpiReportFormat.h"
#include "ui/reports/ReportChart.h"

#include <QLocale>

#include <cmath>

namespace mldeck::ui {

namespace {

using Cell = ReportLayout::Cell;
using Column = ReportLayout::Column;
using kpireport::Format;
using kpireport::formatValue;
using kpireport::utc;

} // namespace

KpiReportPages::KpiReportPages(const KpiReportData &data, ReportLayout &layout) : m_data(data), m_layout(layout) {}

QString KpiReportPages::footer(const KpiReportData &data)
{
    return tr("MLDeck KPI report \u00b7 %1 \u00b7 generated %2 UTC").arg(data.deployment, utc(data.generatedAt));
}

bool KpiReportPages::paint()
{
    title();
    if (m_data.snapshot.isClassification()) {
        KpiReportClassification classifier(m_data, m_layout);
        if (!classifier.tables() || !m_layout.breakPage() || !classifier.charts() || !m_layout.breakPage())
            return false;
    } else {
        summaryTable();
        versionsTable();
        if (!m_layout.breakPage() || !charts() || !m_layout.breakPage())
            return false;
    }
    QList<QList<Cell>> alertRows;
    for (const Alert &a : m_data.alerts) {
        const QString state = a.displayState(m_data.generatedAt);
        alertRows.append({{utc(a.raisedAt)},
                          {utc(a.resolvedAt)},
                          {a.severity, a.severity == QLatin1String("critical") ? -1 : 0},
                          {a.kind},
                          {a.title},
                          {state, state == QLatin1String("firing") ? -1 : 0}});
    }
    const QString alertsNote =
        m_data.alertsTruncated
            ? tr("Only the first %1 alerts are listed; the CSV export has the same limit.").arg(KpiReportData::kMaxRows)
            : QString();
    if (!m_layout.table(tr("Alerts of the period"),
                        {{tr("Raised (UTC)"), 0.16},
                         {tr("Resolved (UTC)"), 0.16},
                         {tr("Severity"), 0.10},
                         {tr("Kind"), 0.13},
                         {tr("Title"), 0.33},
                         {tr("State"), 0.12}},
                        alertRows, tr("No alert was active during this period."), alertsNote))
        return false;
    m_layout.space(14);
    QList<QList<Cell>> changeRows;
    for (const AuditEntry &c : m_data.changes) {
        QString who = c.actorOs.isEmpty() ? c.actorDb : c.actorOs;
        if (!c.host.isEmpty() && !who.contains(QLatin1Char('@')))
            who += QLatin1Char('@') + c.host;
        QString what = kpiReportChangeSummary(c);
        if (!c.reason.isEmpty())
            what = what.isEmpty() ? c.reason : what + QStringLiteral(" \u2014 ") + c.reason;
        changeRows.append({{utc(c.at)}, {c.action}, {who}, {what}});
    }
    const QString changesNote = m_data.changesTruncated
                                    ? tr("Only the first %1 changes are listed; the CSV export has the same limit.")
                                          .arg(KpiReportData::kMaxRows)
                                    : QString();
    if (!m_layout.table(tr("Changes of the period"),
                        {{tr("Time (UTC)"), 0.16}, {tr("Action"), 0.16}, {tr("Who"), 0.18}, {tr("What"), 0.50}},
                        changeRows, tr("No change was made during this period."), changesNote))
        return false;
    return true;
}

void KpiReportPages::title()
{
    const QString period = m_data.period == QLatin1String("week") ? tr("Week") : tr("Day");
    const int alerts = int(m_data.alerts.size()), changes = int(m_data.changes.size());
    const QString alertsText = tr("%n alert(s)", nullptr, alerts);
    const QString changesText = tr("%n change(s)", nullptr, changes);
    const QString bucket = tr("charts in buckets of %1 min").arg(m_data.snapshot.bucketSeconds / 60);
    m_layout.title(tr("KPI report: %1").arg(m_data.deployment),
                   {tr("%1 from %2 to %3 (UTC)").arg(period, utc(m_data.from), utc(m_data.to)),
                    QStringLiteral("%1 \u00b7 %2 \u00b7 %3").arg(alertsText, changesText, bucket)});
}

void KpiReportPages::summaryTable()
{
    const KpiSnapshot &s = m_data.snapshot;
    const KpiTargets &t = s.targets;
    using F = stats::KpiFigures;
    struct Metric
    {
        QString label;
        std::function<std::optional<double>(const F &)> value;
        Format format;
        std::function<int(double)> verdict; // null: no target
        QString target;
    };
    const QLocale l;
    auto atMost = [](double limit) {
        return std::function<int(double)>([limit](double v) { return v <= limit ? 1 : -1; });
    };
    auto atLeast = [](double limit) {
        return std::function<int(double)>([limit](double v) { return v >= limit ? 1 : -1; });
    };
    const QString latencyTarget = tr("\u2264 %1 ms").arg(l.toString(t.latencyMaxMs, 'f', 0));
    const QList<Metric> metrics{
        {tr("Predictions"),
         [](const F &f) { return std::optional<double>(double(f.predictions)); },
         Format::Count,
         {},
         {}},
        {tr("Throughput (per s)"), [](const F &f) { return f.throughputPerSecond; }, Format::PerSecond, {}, {}},
        {tr("MAE (min)"), [](const F &f) { return f.mae; }, Format::Decimal3, atMost(t.maeMax),
         tr("\u2264 %1 (stretch %2)").arg(l.toString(t.maeMax, 'f', 2), l.toString(t.stretchMae, 'f', 2))},
        {tr("RMSE (min)"), [](const F &f) { return f.rmse; }, Format::Decimal3, {}, {}},
        {tr("R\u00b2"), [](const F &f) { return f.r2; }, Format::Decimal3, atLeast(t.r2Min),
         tr("\u2265 %1 (stretch %2)").arg(l.toString(t.r2Min, 'f', 2), l.toString(t.stretchR2, 'f', 2))},
        {tr("MAPE"), [](const F &f) { return f.mape; }, Format::Percent, {}, {}},
        {tr("Latency p50 (ms)"), [](const F &f) { return f.latencyP50Ms; }, Format::Millis, atMost(t.latencyMaxMs),
         latencyTarget},
        {tr("Latency p95 (ms)"), [](const F &f) { return f.latencyP95Ms; }, Format::Millis, atMost(t.latencyMaxMs),
         latencyTarget},
        {tr("Latency p99 (ms)"), [](const F &f) { return f.latencyP99Ms; }, Format::Millis, atMost(t.latencyMaxMs),
         latencyTarget},
        {tr("Failure rate"), [](const F &f) { return f.failureRate; }, Format::Share, atMost(t.errorRateMax),
         tr("\u2264 %1 %").arg(l.toString(t.errorRateMax * 100, 'f', 0))},
        {tr("Fallback share"), [](const F &f) { return f.fallbackShare; }, Format::Share, {}, {}},
        {tr("Delays anticipated (\u2265 %1 min)").arg(t.anticipationMinutes),
         [](const F &f) { return f.anticipatedShare; },
         Format::Share,
         {},
         {}},
        {tr("Feedback satisfaction"), [](const F &f) { return f.satisfaction; }, Format::Share, {}, {}},
        {tr("ML uptime"), [](const F &f) { return f.mlUptime; }, Format::Share, atLeast(t.uptimeMin),
         tr("\u2265 %1 %").arg(l.toString(t.uptimeMin * 100, 'f', 1))},
        {tr("ML vs heuristic"), [](const F &f) { return f.improvementPercent; }, Format::Percent, {}, {}},
    };
    const QList<Column> columns{{tr("Figure"), 0.26},
                                {tr("All"), 0.13, Qt::AlignRight},
                                {tr("ML"), 0.13, Qt::AlignRight},
                                {tr("Heuristic"), 0.13, Qt::AlignRight},
                                {tr("Fallback"), 0.13, Qt::AlignRight},
                                {tr("Target"), 0.22, Qt::AlignRight}};
    const QList<F> figures{s.overall, s.byPath.value(QStringLiteral("ml")), s.byPath.value(QStringLiteral("heuristic")),
                           s.byPath.value(QStringLiteral("fallback"))};
    QList<QList<Cell>> rows;
    for (const Metric &m : metrics) {
        QList<Cell> row{{m.label}};
        for (const F &f : figures) {
            // A figure over nothing is absent already; the counts (and the rate) of an empty period are 0.
            const auto v = m.value(f);
            if (!v || !std::isfinite(*v))
                row.append({noDataText()});
            else
                row.append({formatValue(*v, m.format), m.verdict ? m.verdict(*v) : 0});
        }
        row.append({m.target});
        rows.append(row);
    }
    m_layout.table(tr("Summary per path"), columns, rows, {},
                   tr("Green meets the deployment's target, red misses it; \u201c%1\u201d: no traffic, outcomes or "
                      "feedback yet.")
                       .arg(noDataText()));
    m_layout.space(14);
}

void KpiReportPages::versionsTable()
{
    const auto &versions = m_data.snapshot.byVersion;
    QList<QList<Cell>> rows;
    const KpiTargets &t = m_data.snapshot.targets;
    for (auto it = versions.cbegin(); it != versions.cend(); ++it) {
        const auto &f = it.value();
        auto cell = [](const std::optional<double> &v, Format format, int verdict = 0) {
            return v && std::isfinite(*v) ? Cell{formatValue(*v, format), verdict} : Cell{noDataText()};
        };
        rows.append(
            {{it.key().isEmpty() ? tr("(none: heuristic)") : it.key()},
             {formatValue(double(f.predictions), Format::Count)},
             cell(f.mae, Format::Decimal3, f.mae ? (*f.mae <= t.maeMax ? 1 : -1) : 0),
             cell(f.r2, Format::Decimal3, f.r2 ? (*f.r2 >= t.r2Min ? 1 : -1) : 0),
             cell(f.latencyP95Ms, Format::Millis, f.latencyP95Ms ? (*f.latencyP95Ms <= t.latencyMaxMs ? 1 : -1) : 0),
             cell(f.failureRate, Format::Share, f.failureRate ? (*f.failureRate <= t.errorRateMax ? 1 : -1) : 0)});
    }
    m_layout.table(tr("Per model version"),
                   {{tr("Model version"), 0.30},
                    {tr("Predictions"), 0.14, Qt::AlignRight},
                    {tr("MAE (min)"), 0.14, Qt::AlignRight},
                    {tr("R\u00b2"), 0.14, Qt::AlignRight},
                    {tr("Latency p95 (ms)"), 0.14, Qt::AlignRight},
                    {tr("Failure rate"), 0.14, Qt::AlignRight}},
                   rows, tr("No prediction in this period."), {});
}

bool KpiReportPages::charts()
{
    const KpiSnapshot &s = m_data.snapshot;
    m_layout.heading(tr("Charts"));
    m_layout.paragraph(tr("Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions)."), 8,
                       false, true);
    m_layout.space(4);

    auto series = [&s](const QString &path, const kpireport::FigureOf &value, double scale = 1) {
        return kpireport::seriesPoints(s, path, value, scale);
    };
    auto spec = [this](const QString &title) {
        return kpireport::chartSpec(m_data, title, tr("No data in this period"));
    };
    const QString ml = tr("ML"), heuristic = tr("Heuristic"), all = tr("All paths");
    QList<ReportChartSpec> charts;
    {
        ReportChartSpec c = spec(tr("MAE (min): ML vs heuristic"));
        c.lines = {{ml, themeColor(Palette::Ml), series(QStringLiteral("ml"), [](const auto &f) { return f.mae; })},
                   {heuristic, themeColor(Palette::Heuristic),
                    series(QStringLiteral("heuristic"), [](const auto &f) { return f.mae; })}};
        c.target = s.targets.maeMax;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("R\u00b2: ML vs heuristic"));
        c.yMinFloor.reset();
        c.lines = {{ml, themeColor(Palette::Ml), series(QStringLiteral("ml"), [](const auto &f) { return f.r2; })},
                   {heuristic, themeColor(Palette::Heuristic),
                    series(QStringLiteral("heuristic"), [](const auto &f) { return f.r2; })}};
        c.target = s.targets.r2Min;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Latency (ms), all paths"));
        c.lines = {
            {tr("p50"), seriesColor(0), series(QStringLiteral("all"), [](const auto &f) { return f.latencyP50Ms; })},
            {tr("p95"), seriesColor(1), series(QStringLiteral("all"), [](const auto &f) { return f.latencyP95Ms; })},
            {tr("p99"), seriesColor(2), series(QStringLiteral("all"), [](const auto &f) { return f.latencyP99Ms; })}};
        c.target = s.targets.latencyMaxMs;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Error rate (%)"));
        c.lines = {{ml, themeColor(Palette::Ml),
                    series(
                        QStringLiteral("ml"), [](const auto &f) { return f.failureRate; }, 100)},
                   {heuristic, themeColor(Palette::Heuristic),
                    series(
                        QStringLiteral("heuristic"), [](const auto &f) { return f.failureRate; }, 100)},
                   {all, themeColor(Palette::AllPaths),
                    series(
                        QStringLiteral("all"), [](const auto &f) { return f.failureRate; }, 100)}};
        c.target = s.targets.errorRateMax * 100;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Throughput (predictions per second)"));
        c.lines = {{ml, themeColor(Palette::Ml),
                    series(QStringLiteral("ml"), [](const auto &f) { return f.throughputPerSecond; })},
                   {heuristic, themeColor(Palette::Heuristic),
                    series(QStringLiteral("heuristic"), [](const auto &f) { return f.throughputPerSecond; })},
                   {all, themeColor(Palette::AllPaths),
                    series(QStringLiteral("all"), [](const auto &f) { return f.throughputPerSecond; })}};
        charts.append(c);
    }
    m_layout.chartsToBottom(charts, 12);
    return true;
}

} // namespace mldeck::ui
