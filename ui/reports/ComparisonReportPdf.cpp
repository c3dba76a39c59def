#include "ui/reports/ComparisonReportPdf.h"

#include "core/domain/Figure.h"
#include "ui/reports/ReportLayout.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

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
        if (m_r.task == QLatin1String("classification"))
            return classifierMetrics() && differences() && reliability() && confusion() && segments() && notes();
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

    static QString n(const std::optional<double> &v, int digits = 4)
    {
        return figureText(v, [digits](double x) { return n(x, digits); });
    }

    bool classifierMetrics()
    {
        const QList<Column> columns{{tr("Model"), 0.19},
                                    {tr("Accuracy"), 0.09, Qt::AlignRight},
                                    {tr("Precision"), 0.09, Qt::AlignRight},
                                    {tr("Recall"), 0.09, Qt::AlignRight},
                                    {QStringLiteral("F1"), 0.09, Qt::AlignRight},
                                    {QStringLiteral("ROC AUC"), 0.09, Qt::AlignRight},
                                    {QStringLiteral("PR AUC"), 0.09, Qt::AlignRight},
                                    {tr("Log-loss"), 0.09, Qt::AlignRight},
                                    {QStringLiteral("Brier"), 0.09, Qt::AlignRight},
                                    {QStringLiteral("ECE"), 0.09, Qt::AlignRight}};
        QList<QList<Cell>> rows;
        for (const auto &m : m_r.models) {
            if (!m.classification)
                continue;
            const auto &f = m.classification->figures;
            const auto h = stats::headline(*m.classification);
            rows.append({{m.label},
                         {n(f.accuracy)},
                         {n(h.precision)},
                         {n(h.recall)},
                         {n(h.f1)},
                         {n(f.rocAuc)},
                         {n(m.classification->prAuc)},
                         {n(f.logLoss)},
                         {n(f.brier)},
                         {n(f.ece)}});
        }
        const QString classes = m_r.classSpec.isBinary()
                                    ? tr("Classes %1; precision, recall and F1 of %2 (threshold %3)")
                                          .arg(m_r.classSpec.classes.join(QStringLiteral(", ")),
                                               m_r.classSpec.classes.value(1), n(m_r.classSpec.decisionThreshold, 2))
                                    : tr("Classes %1; precision, recall and F1 averaged over the classes (macro)")
                                          .arg(m_r.classSpec.classes.join(QStringLiteral(", ")));
        m_layout.paragraph(classes, 9, false, true);
        const bool ok = m_layout.table(tr("Metrics"), columns, rows, {}, {});
        m_layout.space(14);
        return ok;
    }

    // The reliability diagram as a table: per bin of the score, each model's mean score and observed rate.
    bool reliability()
    {
        const double modelWidth = 0.80 / double(std::max<size_t>(1, m_r.models.size()));
        QList<Column> columns{{tr("Score"), 0.20}};
        for (const auto &m : m_r.models)
            columns.append({m.label, modelWidth, Qt::AlignRight});
        QList<QList<Cell>> rows;
        for (int bin = 0; bin < stats::kCalibrationBins; ++bin) {
            const double low = double(bin) / stats::kCalibrationBins;
            QList<Cell> row{{QStringLiteral("%1 \u2013 %2").arg(n(low, 1), n(low + 1.0 / stats::kCalibrationBins, 1))}};
            bool any = false;
            for (const auto &m : m_r.models) {
                QString text = QStringLiteral("\u2013");
                for (const auto &b :
                     m.classification ? m.classification->reliability : std::vector<stats::ReliabilityBin>{})
                    if (std::abs(b.low - low) < 1e-9) {
                        text = tr("%1 \u2192 %2 (%3 rows)")
                                   .arg(n(b.meanScore, 3), n(b.observed, 3), QLocale().toString(b.rows));
                        any = true;
                    }
                row.append({text});
            }
            if (any)
                rows.append(row);
        }
        const QString title =
            m_r.classSpec.isBinary()
                ? tr("Reliability: mean P(%1) \u2192 share of %1, by score").arg(m_r.classSpec.classes.value(1))
                : tr("Reliability: mean confidence \u2192 share right, by confidence");
        const bool ok = m_layout.table(title, columns, rows, {}, {});
        m_layout.space(14);
        return ok;
    }

    // One confusion matrix per model (rows: true class, columns: served class), up to 8 classes.
    bool confusion()
    {
        const int k = m_r.classSpec.count();
        if (k > 8)
            return true;
        for (const auto &m : m_r.models) {
            if (!m.classification || m.classification->figures.confusion.size() != size_t(k * k))
                continue;
            QList<Column> columns{{tr("True \\ served"), 0.28}};
            for (const QString &c : m_r.classSpec.classes)
                columns.append({c, 0.72 / k, Qt::AlignRight});
            QList<QList<Cell>> rows;
            for (int a = 0; a < k; ++a) {
                QList<Cell> row{{m_r.classSpec.classes[a]}};
                for (int p = 0; p < k; ++p)
                    row.append(
                        {QLocale().toString(m.classification->figures.confusion[size_t(a * k + p)]), a == p ? 1 : 0});
                rows.append(row);
            }
            if (!m_layout.table(tr("Confusion matrix of %1").arg(m.label), columns, rows, {}, {}))
                return false;
            m_layout.space(10);
        }
        return true;
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
                         {stats::metricTitle(d.metric)},
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
