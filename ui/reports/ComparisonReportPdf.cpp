#include "ui/reports/ComparisonReportPdf.h"

#include "core/domain/Figure.h"
#include "ui/reports/ReportLayout.h"

#include <QLocale>

#include <algorithm>

namespace mldeck::ui {

namespace {

using Cell = ReportLayout::Cell;
using Column = ReportLayout::Column;

// What a comparison prints (the context keeps the strings' existing translations).
class ComparisonReportPages final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::ReportPdf)

public:
    ComparisonReportPages(const stats::ComparisonReport &report, ReportLayout &layout) : m_r(report), m_layout(layout)
    {
    }

    bool paint()
    {
        m_layout.title(tr("Model comparison"), {tr("%1 rows from %2, bootstrap %3 resamples, seed %4")
                                                    .arg(m_r.rows)
                                                    .arg(m_r.data)
                                                    .arg(m_r.resamples)
                                                    .arg(m_r.seed)});
        for (const QString &v : m_r.verdicts)
            m_layout.paragraph(v, 11, true);
        m_layout.space(8);
        return metrics() && differences() && segments() && notes();
    }

    static QString footer() { return tr("MLDeck model comparison"); }

private:
    static QString n(double v, int digits = 4) { return QLocale().toString(v, 'f', digits); }

    bool metrics()
    {
        const QList<Column> columns{{tr("Model"), 0.23},
                                    {QStringLiteral("MAE"), 0.11, Qt::AlignRight},
                                    {QStringLiteral("RMSE"), 0.11, Qt::AlignRight},
                                    {QStringLiteral("R²"), 0.11, Qt::AlignRight},
                                    {QStringLiteral("MAPE %"), 0.11, Qt::AlignRight},
                                    {tr("Rows/s"), 0.11, Qt::AlignRight},
                                    {tr("p50 ms"), 0.11, Qt::AlignRight},
                                    {tr("p99 ms"), 0.11, Qt::AlignRight}};
        QList<QList<Cell>> rows;
        for (const auto &m : m_r.models)
            rows.append({{m.label},
                         {n(m.regression.mae)},
                         {n(m.regression.rmse)},
                         {n(m.regression.r2)},
                         {figureText(m.regression.mape, [](double v) { return n(v, 2); })},
                         {n(m.rowsPerSecond, 0)},
                         {n(m.latencyP50Ms, 3)},
                         {n(m.latencyP99Ms, 3)}});
        const bool ok = m_layout.table(tr("Metrics"), columns, rows, {}, {});
        m_layout.space(14);
        return ok;
    }

    bool differences()
    {
        const QList<Column> columns{{tr("Challenger"), 0.25},
                                    {tr("Metric"), 0.15},
                                    {tr("Difference"), 0.17, Qt::AlignRight},
                                    {tr("95 % CI"), 0.26, Qt::AlignRight},
                                    {tr("Relative"), 0.17, Qt::AlignRight}};
        QList<QList<Cell>> rows;
        for (const auto &d : m_r.deltas)
            rows.append({{m_r.models[size_t(d.challenger)].label},
                         {d.metric},
                         {n(d.interval.difference)},
                         {n(d.interval.low) + QStringLiteral(" \u2026 ") + n(d.interval.high)},
                         {n(100 * d.interval.relative, 1) + QStringLiteral(" %")}});
        const bool ok = m_layout.table(tr("Differences"), columns, rows, {}, {});
        m_layout.space(14);
        return ok;
    }

    bool segments()
    {
        // Segment, value and rows, then one column per model sharing the rest of the width.
        const double modelWidth = 0.55 / double(std::max<size_t>(1, m_r.models.size()));
        QList<Column> columns{{tr("Segment"), 0.18}, {tr("Value"), 0.17}, {tr("Rows"), 0.10, Qt::AlignRight}};
        for (const auto &m : m_r.models)
            columns.append({m.label, modelWidth, Qt::AlignRight});
        QList<QList<Cell>> rows;
        for (const auto &s : m_r.segments) {
            QList<Cell> row{{s.segment}, {s.value}, {QLocale().toString(s.rows)}};
            for (double v : s.metric)
                row.append({n(v)});
            rows.append(row);
        }
        const bool ok = m_layout.table(tr("Segments (%1)").arg(m_r.segmentMetric), columns, rows, {}, {});
        m_layout.space(14);
        return ok;
    }

    bool notes()
    {
        for (const QString &note : m_r.notes)
            m_layout.paragraph(note, 9, false, true);
        return true;
    }

    const stats::ComparisonReport &m_r;
    ReportLayout &m_layout;
};

} // namespace

Status writeComparisonReportPdf(const stats::ComparisonReport &report, const QString &path)
{
    return writeReportPdf(path, ComparisonReportPages::footer(), ComparisonReportPages::footer(),
                          [&report](ReportLayout &layout) { return ComparisonReportPages(report, layout).paint(); });
}

QList<QImage> renderComparisonReportImages(const stats::ComparisonReport &report, double dpi)
{
    return renderReportImages(dpi, ComparisonReportPages::footer(), [&report](ReportLayout &layout) {
        return ComparisonReportPages(report, layout).paint();
    });
}

} // namespace mldeck::ui
