#include "ui/reports/KpiReportPages.h"

#include "ui/charts/ChartColors.h"
#include "ui/reports/ReportChart.h"

#include <QFontMetricsF>
#include <QLocale>
#include <QPainter>

#include <cmath>

namespace mldeck::ui {

namespace {

constexpr double kMargin = 42;  // points
constexpr double kRowHeight = 14;

const QColor kInk(0x1b, 0x24, 0x30);
const QColor kMuted(0x5b, 0x66, 0x75);
const QColor kRule(0xdd, 0xe2, 0xe8);
const QColor kShade(0xf1, 0xf4, 0xf8);

QString utc(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

// How a figure prints.
enum class Format { Count, Share, Percent, Millis, Decimal3, PerSecond };

QString formatValue(double v, Format f)
{
    const QLocale l;
    switch (f) {
    case Format::Count: return l.toString(qint64(std::llround(v)));
    case Format::Share: return l.toString(v * 100, 'f', 1) + QStringLiteral(" %");
    case Format::Percent: return l.toString(v, 'f', 1) + QStringLiteral(" %");
    case Format::Millis: return l.toString(v, 'f', 1);
    case Format::Decimal3: return l.toString(v, 'f', 3);
    case Format::PerSecond: return l.toString(v, 'g', 3); // a quiet day is well under 1 per second
    }
    return {};
}

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

} // namespace

KpiReportPages::KpiReportPages(const KpiReportData &data, QPainter &painter, const QRectF &pageRect, double dpi,
                               std::function<bool()> newPage)
    : m_data(data), m_painter(painter), m_pageRect(pageRect), m_unit(dpi / 72.0), m_newPage(std::move(newPage))
{
}

QRectF KpiReportPages::textRect() const
{
    return m_pageRect.adjusted(pt(kMargin), pt(kMargin), -pt(kMargin), -pt(kMargin));
}

void KpiReportPages::setFont(double points, bool bold)
{
    QFont f = m_painter.font();
    f.setPointSizeF(points);
    f.setBold(bold);
    m_painter.setFont(f);
}

bool KpiReportPages::paint()
{
    m_painter.setRenderHint(QPainter::TextAntialiasing, true);
    m_y = textRect().top();
    title();
    summaryTable();
    versionsTable();
    footer();
    if (!breakPage() || !charts())
        return false;
    footer();
    if (!breakPage())
        return false;
    QList<QList<Cell>> alertRows;
    for (const Alert &a : m_data.alerts) {
        const QString state = a.displayState(m_data.generatedAt);
        alertRows.append({{utc(a.raisedAt)}, {utc(a.resolvedAt)}, {a.severity, a.severity == QLatin1String("critical") ? -1 : 0},
                          {a.kind}, {a.title}, {state, state == QLatin1String("firing") ? -1 : 0}});
    }
    const QString alertsNote = m_data.alertsTruncated
        ? tr("Only the first %1 alerts are listed; the CSV export has the same limit.").arg(KpiReportData::kMaxRows)
        : QString();
    if (!table(tr("Alerts of the period"),
               {{tr("Raised (UTC)"), 0.16}, {tr("Resolved (UTC)"), 0.16}, {tr("Severity"), 0.10}, {tr("Kind"), 0.13},
                {tr("Title"), 0.33}, {tr("State"), 0.12}},
               alertRows, tr("No alert was active during this period."), alertsNote))
        return false;
    m_y += pt(14);
    QList<QList<Cell>> changeRows;
    for (const KpiReportChange &c : m_data.changes) {
        QString who = c.actorOs.isEmpty() ? c.actorDb : c.actorOs;
        if (!c.host.isEmpty() && !who.contains(QLatin1Char('@')))
            who += QLatin1Char('@') + c.host;
        QString what = kpiReportChangeSummary(c);
        if (!c.reason.isEmpty())
            what = what.isEmpty() ? c.reason : what + QStringLiteral(" \u2014 ") + c.reason;
        changeRows.append({{utc(c.at)}, {c.action}, {who}, {what}});
    }
    const QString changesNote = m_data.changesTruncated
        ? tr("Only the first %1 changes are listed; the CSV export has the same limit.").arg(KpiReportData::kMaxRows)
        : QString();
    if (!table(tr("Changes of the period"),
               {{tr("Time (UTC)"), 0.16}, {tr("Action"), 0.16}, {tr("Who"), 0.18}, {tr("What"), 0.50}}, changeRows,
               tr("No change was made during this period."), changesNote))
        return false;
    footer();
    return true;
}

bool KpiReportPages::breakPage()
{
    if (!m_newPage())
        return false;
    ++m_page;
    m_y = textRect().top();
    return true;
}

bool KpiReportPages::ensureRoom(double height)
{
    if (m_y + height <= textRect().bottom())
        return true;
    footer();
    return breakPage();
}

void KpiReportPages::footer()
{
    const QRectF r = textRect();
    setFont(7);
    m_painter.setPen(kMuted);
    const QRectF line(r.left(), r.bottom() + pt(10), r.width(), pt(10));
    m_painter.drawText(line, Qt::AlignLeft | Qt::AlignVCenter,
                       tr("MLDeck KPI report \u00b7 %1 \u00b7 generated %2 UTC")
                           .arg(m_data.deployment, utc(m_data.generatedAt)));
    m_painter.drawText(line, Qt::AlignRight | Qt::AlignVCenter, tr("Page %1").arg(m_page));
}

void KpiReportPages::title()
{
    const QRectF r = textRect();
    setFont(18, true);
    m_painter.setPen(kInk);
    const double h1 = QFontMetricsF(m_painter.font(), m_painter.device()).height();
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h1), Qt::AlignLeft | Qt::AlignVCenter,
                       tr("KPI report: %1").arg(m_data.deployment));
    m_y += h1 + pt(2);
    setFont(10);
    m_painter.setPen(kMuted);
    const QString period = m_data.period == QLatin1String("week") ? tr("Week") : tr("Day");
    const double h2 = QFontMetricsF(m_painter.font(), m_painter.device()).height();
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h2), Qt::AlignLeft | Qt::AlignVCenter,
                       tr("%1 from %2 to %3 (UTC)").arg(period, utc(m_data.from), utc(m_data.to)));
    m_y += h2;
    const int alerts = int(m_data.alerts.size()), changes = int(m_data.changes.size());
    const QString alertsText = tr("%n alert(s)", nullptr, alerts);
    const QString changesText = tr("%n change(s)", nullptr, changes);
    const QString bucket = tr("charts in buckets of %1 min").arg(m_data.snapshot.bucketSeconds / 60);
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h2), Qt::AlignLeft | Qt::AlignVCenter,
                       QStringLiteral("%1 \u00b7 %2 \u00b7 %3").arg(alertsText, changesText, bucket));
    m_y += h2 + pt(8);
    m_painter.setPen(QPen(kRule, pt(1)));
    m_painter.drawLine(QPointF(r.left(), m_y), QPointF(r.right(), m_y));
    m_y += pt(12);
}

void KpiReportPages::tableRow(const QList<Column> &columns, const QList<Cell> &cells, bool header, bool shaded)
{
    const QRectF r = textRect();
    const double h = pt(kRowHeight);
    if (header || shaded)
        m_painter.fillRect(QRectF(r.left(), m_y, r.width(), h), header ? QColor(0xe4, 0xe9, 0xef) : kShade);
    setFont(header ? 7.5 : 8, header);
    const QFontMetricsF fm(m_painter.font(), m_painter.device());
    double x = r.left();
    for (qsizetype i = 0; i < columns.size(); ++i) {
        const double w = columns.at(i).width * r.width();
        const QRectF cell(x + pt(3), m_y, w - pt(6), h);
        const Cell c = header ? Cell{columns.at(i).title} : cells.value(i);
        QColor color = header ? kInk : kInk;
        if (c.verdict != 0) {
            color = c.verdict > 0 ? ChartColors::good() : ChartColors::bad();
            QColor tint = color;
            tint.setAlpha(28);
            m_painter.fillRect(QRectF(x + pt(1), m_y + pt(1), w - pt(2), h - pt(2)), tint);
        }
        m_painter.setPen(color);
        QFont f = m_painter.font();
        f.setBold(header || c.verdict != 0);
        m_painter.setFont(f);
        const QFontMetricsF cellMetrics(f, m_painter.device());
        m_painter.drawText(cell, int(columns.at(i).align | Qt::AlignVCenter),
                           cellMetrics.elidedText(c.text, Qt::ElideRight, cell.width()));
        x += w;
    }
    m_y += h;
    m_painter.setPen(QPen(kRule, pt(0.5)));
    m_painter.drawLine(QPointF(r.left(), m_y), QPointF(r.right(), m_y));
}

bool KpiReportPages::table(const QString &heading, const QList<Column> &columns, const QList<QList<Cell>> &rows,
                           const QString &emptyText, const QString &note)
{
    const QRectF r = textRect();
    auto drawHeading = [&](bool continued) {
        setFont(12, true);
        m_painter.setPen(kInk);
        const double h = QFontMetricsF(m_painter.font(), m_painter.device()).height();
        m_painter.drawText(QRectF(r.left(), m_y, r.width(), h), Qt::AlignLeft | Qt::AlignVCenter,
                           continued ? tr("%1 (continued)").arg(heading) : heading);
        m_y += h + pt(4);
    };
    if (!ensureRoom(pt(24 + 3 * kRowHeight)))
        return false;
    drawHeading(false);
    if (!note.isEmpty()) {
        setFont(8);
        m_painter.setPen(kMuted);
        m_painter.drawText(QRectF(r.left(), m_y, r.width(), pt(12)), Qt::AlignLeft | Qt::AlignVCenter, note);
        m_y += pt(12);
    }
    if (rows.isEmpty()) {
        setFont(9);
        m_painter.setPen(kMuted);
        m_painter.drawText(QRectF(r.left(), m_y, r.width(), pt(kRowHeight)), Qt::AlignLeft | Qt::AlignVCenter, emptyText);
        m_y += pt(kRowHeight);
        return true;
    }
    tableRow(columns, {}, true, false);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        if (m_y + pt(kRowHeight) > r.bottom()) {
            footer();
            if (!breakPage())
                return false;
            drawHeading(true);
            tableRow(columns, {}, true, false);
        }
        tableRow(columns, rows.at(i), false, i % 2 == 1);
    }
    return true;
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
    auto atMost = [](double limit) { return std::function<int(double)>([limit](double v) { return v <= limit ? 1 : -1; }); };
    auto atLeast = [](double limit) { return std::function<int(double)>([limit](double v) { return v >= limit ? 1 : -1; }); };
    const QString latencyTarget = tr("\u2264 %1 ms").arg(l.toString(t.latencyMaxMs, 'f', 0));
    const QList<Metric> metrics{
        {tr("Predictions"), [](const F &f) { return std::optional<double>(double(f.predictions)); }, Format::Count, {}, {}},
        {tr("Throughput (per s)"), [](const F &f) { return f.throughputPerSecond; }, Format::PerSecond, {}, {}},
        {tr("MAE (min)"), [](const F &f) { return f.mae; }, Format::Decimal3, atMost(t.maeMax),
         tr("\u2264 %1 (stretch %2)").arg(l.toString(t.maeMax, 'f', 2), l.toString(t.stretchMae, 'f', 2))},
        {tr("RMSE (min)"), [](const F &f) { return f.rmse; }, Format::Decimal3, {}, {}},
        {tr("R\u00b2"), [](const F &f) { return f.r2; }, Format::Decimal3, atLeast(t.r2Min),
         tr("\u2265 %1 (stretch %2)").arg(l.toString(t.r2Min, 'f', 2), l.toString(t.stretchR2, 'f', 2))},
        {tr("MAPE"), [](const F &f) { return f.mape; }, Format::Percent, {}, {}},
        {tr("Latency p50 (ms)"), [](const F &f) { return f.latencyP50Ms; }, Format::Millis, atMost(t.latencyMaxMs), latencyTarget},
        {tr("Latency p95 (ms)"), [](const F &f) { return f.latencyP95Ms; }, Format::Millis, atMost(t.latencyMaxMs), latencyTarget},
        {tr("Latency p99 (ms)"), [](const F &f) { return f.latencyP99Ms; }, Format::Millis, atMost(t.latencyMaxMs), latencyTarget},
        {tr("Failure rate"), [](const F &f) { return f.failureRate; }, Format::Share, atMost(t.errorRateMax),
         tr("\u2264 %1 %").arg(l.toString(t.errorRateMax * 100, 'f', 0))},
        {tr("Fallback share"), [](const F &f) { return f.fallbackShare; }, Format::Share, {}, {}},
        {tr("Delays anticipated (\u2265 %1 min)").arg(t.anticipationMinutes), [](const F &f) { return f.anticipatedShare; },
         Format::Share, {}, {}},
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
            const auto v = f.predictions > 0 ? m.value(f) : std::nullopt;
            if (!v || !std::isfinite(*v))
                row.append({QStringLiteral("\u2013")});
            else
                row.append({formatValue(*v, m.format), m.verdict ? m.verdict(*v) : 0});
        }
        row.append({m.target});
        rows.append(row);
    }
    table(tr("Summary per path"), columns, rows, {},
          tr("Green meets the deployment's target, red misses it; \u2013 means no data (no traffic or no outcomes yet)."));
    m_y += pt(14);
}

void KpiReportPages::versionsTable()
{
    const auto &versions = m_data.snapshot.byVersion;
    QList<QList<Cell>> rows;
    const KpiTargets &t = m_data.snapshot.targets;
    for (auto it = versions.cbegin(); it != versions.cend(); ++it) {
        const auto &f = it.value();
        auto cell = [](const std::optional<double> &v, Format format, int verdict = 0) {
            return v && std::isfinite(*v) ? Cell{formatValue(*v, format), verdict} : Cell{QStringLiteral("\u2013")};
        };
        rows.append({{it.key().isEmpty() ? tr("(none: heuristic)") : it.key()},
                     {formatValue(double(f.predictions), Format::Count)},
                     cell(f.mae, Format::Decimal3, f.mae ? (*f.mae <= t.maeMax ? 1 : -1) : 0),
                     cell(f.r2, Format::Decimal3, f.r2 ? (*f.r2 >= t.r2Min ? 1 : -1) : 0),
                     cell(f.latencyP95Ms, Format::Millis, f.latencyP95Ms ? (*f.latencyP95Ms <= t.latencyMaxMs ? 1 : -1) : 0),
                     cell(f.failureRate, Format::Share, f.failureRate ? (*f.failureRate <= t.errorRateMax ? 1 : -1) : 0)});
    }
    table(tr("Per model version"),
          {{tr("Model version"), 0.30}, {tr("Predictions"), 0.14, Qt::AlignRight}, {tr("MAE (min)"), 0.14, Qt::AlignRight},
           {tr("R\u00b2"), 0.14, Qt::AlignRight}, {tr("Latency p95 (ms)"), 0.14, Qt::AlignRight},
           {tr("Failure rate"), 0.14, Qt::AlignRight}},
          rows, tr("No prediction in this period."), {});
}

bool KpiReportPages::charts()
{
    const KpiSnapshot &s = m_data.snapshot;
    const QRectF r = textRect();
    setFont(12, true);
    m_painter.setPen(kInk);
    const double h = QFontMetricsF(m_painter.font(), m_painter.device()).height();
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h), Qt::AlignLeft | Qt::AlignVCenter, tr("Charts"));
    m_y += h;
    setFont(8);
    m_painter.setPen(kMuted);
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), pt(12)), Qt::AlignLeft | Qt::AlignVCenter,
                       tr("Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions)."));
    m_y += pt(16);

    QList<ReportChartSpec::Marker> markers;
    for (const AuditMarker &m : s.markers)
        markers.append({m.at.toSecsSinceEpoch(), m.summary});
    auto series = [&](const QString &path, const std::function<std::optional<double>(const stats::KpiFigures &)> &value,
                      double scale = 1) {
        QVector<QPointF> points;
        for (const KpiPoint &p : s.seriesByPath.value(path)) {
            const auto v = p.figures.predictions > 0 ? value(p.figures) : std::nullopt;
            points.append(QPointF(double(p.startSecs) + p.seconds / 2.0, v ? *v * scale : nan()));
        }
        return points;
    };
    auto spec = [&](const QString &title) {
        ReportChartSpec c;
        c.title = title;
        c.fromSecs = m_data.from.toSecsSinceEpoch();
        c.toSecs = m_data.to.toSecsSinceEpoch();
        c.markers = markers;
        c.emptyText = tr("No data in this period");
        c.yMinFloor = 0;
        return c;
    };
    const QString ml = tr("ML"), heuristic = tr("Heuristic"), all = tr("All paths");
    QList<ReportChartSpec> charts;
    {
        ReportChartSpec c = spec(tr("MAE (min): ML vs heuristic"));
        c.lines = {{ml, ChartColors::ml(), series(QStringLiteral("ml"), [](const auto &f) { return f.mae; })},
                   {heuristic, ChartColors::heuristic(), series(QStringLiteral("heuristic"), [](const auto &f) { return f.mae; })}};
        c.target = s.targets.maeMax;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("R\u00b2: ML vs heuristic"));
        c.yMinFloor.reset();
        c.lines = {{ml, ChartColors::ml(), series(QStringLiteral("ml"), [](const auto &f) { return f.r2; })},
                   {heuristic, ChartColors::heuristic(), series(QStringLiteral("heuristic"), [](const auto &f) { return f.r2; })}};
        c.target = s.targets.r2Min;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Latency (ms), all paths"));
        c.lines = {{tr("p50"), QColor(0x27, 0xae, 0x60), series(QStringLiteral("all"), [](const auto &f) { return f.latencyP50Ms; })},
                   {tr("p95"), QColor(0xe6, 0x7e, 0x22), series(QStringLiteral("all"), [](const auto &f) { return f.latencyP95Ms; })},
                   {tr("p99"), QColor(0xc0, 0x39, 0x2b), series(QStringLiteral("all"), [](const auto &f) { return f.latencyP99Ms; })}};
        c.target = s.targets.latencyMaxMs;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Error rate (%)"));
        c.lines = {{ml, ChartColors::ml(), series(QStringLiteral("ml"), [](const auto &f) { return f.failureRate; }, 100)},
                   {heuristic, ChartColors::heuristic(),
                    series(QStringLiteral("heuristic"), [](const auto &f) { return f.failureRate; }, 100)},
                   {all, ChartColors::all(), series(QStringLiteral("all"), [](const auto &f) { return f.failureRate; }, 100)}};
        c.target = s.targets.errorRateMax * 100;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Throughput (predictions per second)"));
        c.lines = {{ml, ChartColors::ml(), series(QStringLiteral("ml"), [](const auto &f) { return f.throughputPerSecond; })},
                   {heuristic, ChartColors::heuristic(),
                    series(QStringLiteral("heuristic"), [](const auto &f) { return f.throughputPerSecond; })},
                   {all, ChartColors::all(), series(QStringLiteral("all"), [](const auto &f) { return f.throughputPerSecond; })}};
        charts.append(c);
    }
    const double gap = pt(12);
    const double chartH = (r.bottom() - m_y - gap * (charts.size() - 1)) / charts.size();
    for (const ReportChartSpec &c : charts) {
        drawReportChart(m_painter, QRectF(r.left(), m_y, r.width(), chartH), c, m_unit);
        m_y += chartH + gap;
    }
    return true;
}

} // namespace mldeck::ui
