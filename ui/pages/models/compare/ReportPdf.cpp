#include "ui/pages/models/compare/ReportPdf.h"

#include <QCoreApplication>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>

namespace mldeck::ui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("mldeck::ui::ReportPdf", text);
}

QString cell(const QString &text)
{
    return QStringLiteral("<td>%1</td>").arg(text.toHtmlEscaped());
}

QString n(double v, int digits = 4)
{
    return QString::number(v, 'f', digits);
}

} // namespace

QString reportHtml(const stats::ComparisonReport &r)
{
    QString html = QStringLiteral("<h1>%1</h1><p>%2</p>")
                       .arg(tr("Model comparison").toHtmlEscaped(),
                            tr("%1 rows from %2, bootstrap %3 resamples, seed %4")
                                .arg(r.rows)
                                .arg(r.data)
                                .arg(r.resamples)
                                .arg(r.seed)
                                .toHtmlEscaped());
    for (const QString &v : r.verdicts)
        html += QStringLiteral("<h2>%1</h2>").arg(v.toHtmlEscaped());
    html += QStringLiteral("<h3>%1</h3><table border=1 cellpadding=3><tr>").arg(tr("Metrics").toHtmlEscaped());
    for (const QString &h : {tr("Model"), QStringLiteral("MAE"), QStringLiteral("RMSE"), QStringLiteral("R²"),
                             QStringLiteral("MAPE %"), tr("Rows/s"), tr("p50 ms"), tr("p99 ms")})
        html += QStringLiteral("<th>%1</th>").arg(h.toHtmlEscaped());
    html += QStringLiteral("</tr>");
    for (const auto &m : r.models)
        html += QStringLiteral("<tr>") + cell(m.label) + cell(n(m.regression.mae)) + cell(n(m.regression.rmse)) +
                cell(n(m.regression.r2)) + cell(m.regression.mape ? n(*m.regression.mape, 2) : QString()) +
                cell(n(m.rowsPerSecond, 0)) + cell(n(m.latencyP50Ms, 3)) + cell(n(m.latencyP99Ms, 3)) +
                QStringLiteral("</tr>");
    html += QStringLiteral("</table><h3>%1</h3><table border=1 cellpadding=3><tr>").arg(tr("Differences").toHtmlEscaped());
    for (const QString &h : {tr("Challenger"), tr("Metric"), tr("Difference"), tr("95 % CI"), tr("Relative")})
        html += QStringLiteral("<th>%1</th>").arg(h.toHtmlEscaped());
    html += QStringLiteral("</tr>");
    for (const auto &d : r.deltas)
        html += QStringLiteral("<tr>") + cell(r.models[size_t(d.challenger)].label) + cell(d.metric) +
                cell(n(d.interval.difference)) + cell(n(d.interval.low) + QStringLiteral(" … ") + n(d.interval.high)) +
                cell(n(100 * d.interval.relative, 1) + QStringLiteral(" %")) + QStringLiteral("</tr>");
    html += QStringLiteral("</table><h3>%1</h3><table border=1 cellpadding=3><tr><th>%2</th><th>%3</th><th>%4</th>")
                .arg(tr("Segments (%1)").arg(r.segmentMetric).toHtmlEscaped(), tr("Segment").toHtmlEscaped(),
                     tr("Value").toHtmlEscaped(), tr("Rows").toHtmlEscaped());
    for (const auto &m : r.models)
        html += QStringLiteral("<th>%1</th>").arg(m.label.toHtmlEscaped());
    html += QStringLiteral("</tr>");
    for (const auto &s : r.segments) {
        html += QStringLiteral("<tr>") + cell(s.segment) + cell(s.value) + cell(QString::number(s.rows));
        for (double v : s.metric)
            html += cell(n(v));
        html += QStringLiteral("</tr>");
    }
    html += QStringLiteral("</table>");
    for (const QString &note : r.notes)
        html += QStringLiteral("<p><i>%1</i></p>").arg(note.toHtmlEscaped());
    return html;
}

Status writeReportPdf(const stats::ComparisonReport &report, const QString &path)
{
    // Written beside the target and renamed on commit(): a failed export never leaves a torn file,
    // and an older file at the path is not mistaken for success.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{tr("Cannot write %1.").arg(path)};
    {
        QPdfWriter writer(&file);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setTitle(tr("MLDeck model comparison"));
        QTextDocument doc;
        doc.setHtml(reportHtml(report));
        doc.print(&writer);
    }
    if (!file.commit())
        return Error{tr("Cannot write %1.").arg(path)};
    return {};
}

} // namespace mldeck::ui
