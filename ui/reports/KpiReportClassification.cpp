#include "ui/reports/KpiReportClassification.h"

#include "core/domain/Figure.h"
#include "core/stats/Metrics.h"
#include "ui/Theme.h"
#include "ui/reports/KpiReportFormat.h"
#include "ui/reports/ReportChart.h"

#include <QLocale>

#include <cmath>
#include <limits>

namespace mldeck::ui {

namespace {

using Cell = ReportLayout::Cell;
using Column = ReportLayout::Column;
using kpireport::FigureOf;
using kpireport::Format;
using kpireport::formatValue;
using stats::ClassificationFigures;
using stats::KpiFigures;

// A classification figure of the period; absent when the period has no counted row.
FigureOf classFigure(std::optional<double> ClassificationFigures::*member)
{
    return [member](const KpiFigures &f) { return f.classification ? (*f.classification).*member : std::nullopt; };
}

// The headline precision, recall and F1: the positive class's on a binary deployment, the macro
// averages on a multi-class one.
FigureOf headline(std::optional<double> ClassificationFigures::*binary,
                  std::optional<double> ClassificationFigures::*multiClass)
{
    return [binary, multiClass](const KpiFigures &f) {
        if (!f.classification)
            return std::optional<double>();
        return f.classification->classes == 2 ? (*f.classification).*binary : (*f.classification).*multiClass;
    };
}

Cell cell(const std::optional<double> &v, Format format, int verdict = 0)
{
    return v && std::isfinite(*v) ? Cell{formatValue(*v, format), verdict} : Cell{noDataText()};
}

std::optional<double> perClass(const std::vector<std::optional<double>> &figures, int k)
{
    return k < int(figures.size()) ? figures[size_t(k)] : std::nullopt;
}

// The confusion matrix is printed up to this many classes; the CSV has it whatever the count.
constexpr int kMaxPrintedClasses = 10;

} // namespace

KpiReportClassification::KpiReportClassification(const KpiReportData &data, ReportLayout &layout)
    : m_data(data), m_layout(layout)
{
}

bool KpiReportClassification::tables()
{
    if (!summaryTable())
        return false;
    m_layout.space(14);
    if (!classesTable())
        return false;
    m_layout.space(14);
    if (!confusionTable())
        return false;
    m_layout.space(14);
    if (!reliabilityTable())
        return false;
    m_layout.space(14);
    return versionsTable();
}

bool KpiReportClassification::summaryTable()
{
    const KpiSnapshot &s = m_data.snapshot;
    const KpiTargets &t = s.targets;
    struct Metric
    {
        QString label;
        FigureOf value;
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
    const bool binary = m_data.snapshot.classSpec.isBinary();
    const QString positive = binary ? m_data.className(1) : QString();
    const QString latencyTarget = tr("\u2264 %1 ms").arg(l.toString(t.latencyMaxMs, 'f', 0));
    QList<Metric> metrics{
        {tr("Predictions"),
         [](const KpiFigures &f) { return std::optional<double>(double(f.predictions)); },
         Format::Count,
         {},
         {}},
        {tr("With a label"),
         [](const KpiFigures &f) { return std::optional<double>(double(f.labelled)); },
         Format::Count,
         {},
         {}},
        {tr("Label coverage"), classFigure(&ClassificationFigures::labelCoverage), Format::Share, {}, {}},
        {tr("Accuracy"), classFigure(&ClassificationFigures::accuracy), Format::Share, atLeast(t.accuracyMin),
         tr("\u2265 %1 % (stretch %2 %)")
             .arg(l.toString(t.accuracyMin * 100, 'f', 0), l.toString(t.stretchAccuracy * 100, 'f', 0))},
        {tr("Balanced accuracy"), classFigure(&ClassificationFigures::balancedAccuracy), Format::Share, {}, {}},
        {binary ? tr("Precision (%1)").arg(positive) : tr("Precision (macro)"),
         headline(&ClassificationFigures::precisionPositive, &ClassificationFigures::macroPrecision),
         Format::Share,
         {},
         {}},
        {binary ? tr("Recall (%1)").arg(positive) : tr("Recall (macro)"),
         headline(&ClassificationFigures::recallPositive, &ClassificationFigures::macroRecall),
         Format::Share,
         {},
         {}},
        {binary ? tr("F1 (%1)").arg(positive) : tr("F1 (macro)"),
         headline(&ClassificationFigures::f1Positive, &ClassificationFigures::macroF1), Format::Decimal3,
         atLeast(t.f1Min), tr("\u2265 %1").arg(l.toString(t.f1Min, 'f', 2))},
        {tr("ROC AUC"), classFigure(&ClassificationFigures::rocAuc), Format::Decimal3, atLeast(t.rocAucMin),
         tr("\u2265 %1").arg(l.toString(t.rocAucMin, 'f', 2))},
        {tr("Log-loss"), classFigure(&ClassificationFigures::logLoss), Format::Decimal3, atMost(t.logLossMax),
         tr("\u2264 %1").arg(l.toString(t.logLossMax, 'f', 2))},
        {tr("Brier score"), classFigure(&ClassificationFigures::brier), Format::Decimal3, {}, {}},
        {tr("Calibration error (ECE)"), classFigure(&ClassificationFigures::ece), Format::Decimal3, atMost(t.eceMax),
         tr("\u2264 %1").arg(l.toString(t.eceMax, 'f', 2))},
        {tr("Mean confidence"), classFigure(&ClassificationFigures::meanConfidence), Format::Share, {}, {}},
    };
    if (binary)
        metrics.append({tr("Served as %1").arg(positive),
                        classFigure(&ClassificationFigures::positiveRate),
                        Format::Share,
                        {},
                        {}});
    metrics.append({tr("Estimated accuracy"), classFigure(&ClassificationFigures::estimatedAccuracy), Format::Share,
                    atLeast(t.accuracyMin), tr("\u2265 %1 %").arg(l.toString(t.accuracyMin * 100, 'f', 0))});
    if (binary) {
        metrics.append({tr("Estimated precision"),
                        classFigure(&ClassificationFigures::estimatedPrecision),
                        Format::Share,
                        {},
                        {}});
        metrics.append(
            {tr("Estimated recall"), classFigure(&ClassificationFigures::estimatedRecall), Format::Share, {}, {}});
        metrics.append(
            {tr("Estimated F1"), classFigure(&ClassificationFigures::estimatedF1), Format::Decimal3, {}, {}});
    }
    metrics += QList<Metric>{
        {tr("Latency p50 (ms)"), [](const KpiFigures &f) { return f.latencyP50Ms; }, Format::Millis,
         atMost(t.latencyMaxMs), latencyTarget},
        {tr("Latency p95 (ms)"), [](const KpiFigures &f) { return f.latencyP95Ms; }, Format::Millis,
         atMost(t.latencyMaxMs), latencyTarget},
        {tr("Latency p99 (ms)"), [](const KpiFigures &f) { return f.latencyP99Ms; }, Format::Millis,
         atMost(t.latencyMaxMs), latencyTarget},
        {tr("Failure rate"), [](const KpiFigures &f) { return f.failureRate; }, Format::Share, atMost(t.errorRateMax),
         tr("\u2264 %1 %").arg(l.toString(t.errorRateMax * 100, 'f', 0))},
        {tr("Fallback share"), [](const KpiFigures &f) { return f.fallbackShare; }, Format::Share, {}, {}},
        {tr("Feedback satisfaction"), [](const KpiFigures &f) { return f.satisfaction; }, Format::Share, {}, {}},
        {tr("ML uptime"), [](const KpiFigures &f) { return f.mlUptime; }, Format::Share, atLeast(t.uptimeMin),
         tr("\u2265 %1 %").arg(l.toString(t.uptimeMin * 100, 'f', 1))},
        {tr("ML vs heuristic (accuracy points)"),
         [](const KpiFigures &f) { return f.accuracyGainPoints; },
         Format::Points,
         {},
         {}},
    };
    const QList<Column> columns{{tr("Figure"), 0.30},
                                {tr("All"), 0.12, Qt::AlignRight},
                                {tr("ML"), 0.12, Qt::AlignRight},
                                {tr("Heuristic"), 0.12, Qt::AlignRight},
                                {tr("Fallback"), 0.12, Qt::AlignRight},
                                {tr("Target"), 0.22, Qt::AlignRight}};
    const QList<KpiFigures> figures{s.overall, s.byPath.value(QStringLiteral("ml")),
                                    s.byPath.value(QStringLiteral("heuristic")),
                                    s.byPath.value(QStringLiteral("fallback"))};
    QList<QList<Cell>> rows;
    for (const Metric &m : metrics) {
        QList<Cell> row{{m.label}};
        for (const KpiFigures &f : figures) {
            const auto v = m.value(f);
            row.append(v && std::isfinite(*v) ? Cell{formatValue(*v, m.format), m.verdict ? m.verdict(*v) : 0}
                                              : Cell{noDataText()});
        }
        row.append({m.target});
        rows.append(row);
    }
    if (!m_layout.table(tr("Summary per path"), columns, rows, {},
                        tr("Green meets the deployment's target, red misses it; \u201c%1\u201d: no traffic, labels "
                           "or feedback yet.")
                            .arg(noDataText())))
        return false;
    // What the figures rest on, in a paragraph of its own (the table's note is one line).
    QString note = tr("Estimated figures are expected from the model's calibrated probabilities, before labels "
                      "arrive.");
    if (s.overall.classification) {
        const ClassificationFigures &c = *s.overall.classification;
        if (c.rocAucBound)
            note += QLatin1Char(' ') + tr("ROC AUC comes from a score histogram, within %1 of the exact value.")
                                           .arg(l.toString(*c.rocAucBound, 'f', 4));
        if (c.estimatedAccuracy && !c.estimateUntrusted.isEmpty())
            note += QLatin1Char(' ') +
                    tr("The estimates of this period are not to be trusted: %1").arg(c.estimateUntrusted);
    }
    m_layout.space(3);
    m_layout.paragraph(note, 8, false, true);
    return true;
}

bool KpiReportClassification::classesTable()
{
    const auto c = m_data.snapshot.overall.classification.value_or(ClassificationFigures{});
    QList<QList<Cell>> rows;
    const int classes = std::max(c.classes, m_data.snapshot.classSpec.count());
    for (int k = 0; k < classes && c.predictions > 0; ++k)
        rows.append({{m_data.className(k)},
                     cell(perClass(c.predictedShare, k), Format::Share),
                     cell(perClass(c.precision, k), Format::Share),
                     cell(perClass(c.recall, k), Format::Share),
                     cell(perClass(c.f1, k), Format::Decimal3)});
    return m_layout.table(tr("Per class, all paths"),
                          {{tr("Class"), 0.32},
                           {tr("Served as"), 0.17, Qt::AlignRight},
                           {tr("Precision"), 0.17, Qt::AlignRight},
                           {tr("Recall"), 0.17, Qt::AlignRight},
                           {tr("F1"), 0.17, Qt::AlignRight}},
                          rows, tr("No prediction in this period."), {});
}

bool KpiReportClassification::confusionTable()
{
    const auto c = m_data.snapshot.overall.classification.value_or(ClassificationFigures{});
    const int k = c.classes;
    const QString heading = tr("Confusion matrix, all paths (rows: true class, columns: served class)");
    if (k > kMaxPrintedClasses) {
        m_layout.heading(heading);
        m_layout.paragraph(tr("%n classes: too many to print; the CSV export has the whole matrix.", nullptr, k), 9,
                           false, true);
        return true;
    }
    QList<Column> columns{{tr("True class"), 0.25}};
    for (int p = 0; p < k; ++p)
        columns.append({m_data.className(p), 0.75 / k, Qt::AlignRight});
    QList<QList<Cell>> rows;
    if (c.labelled > 0 && c.confusion.size() == size_t(k) * size_t(k)) {
        for (int a = 0; a < k; ++a) {
            QList<Cell> row{{m_data.className(a)}};
            for (int p = 0; p < k; ++p)
                row.append({formatValue(double(c.confusion[size_t(a * k + p)]), Format::Count), a == p ? 1 : 0});
            rows.append(row);
        }
    }
    if (k == 0)
        columns.append({tr("Served class"), 0.75, Qt::AlignRight});
    return m_layout.table(heading, columns, rows, tr("No labelled prediction in this period."), {});
}

bool KpiReportClassification::reliabilityTable()
{
    const bool binary = m_data.snapshot.classSpec.isBinary();
    QList<QList<Cell>> rows;
    const auto ml = m_data.snapshot.classSumsByPath.value(QStringLiteral("ml"));
    for (const stats::ReliabilityBin &b : stats::reliabilityDiagram(ml)) // bins with labelled rows
        rows.append(
            {{QStringLiteral("%1\u2013%2").arg(formatValue(b.low, Format::Share), formatValue(b.high, Format::Share))},
             {formatValue(double(b.rows), Format::Count)},
             cell(b.meanScore, Format::Share),
             cell(b.observed, Format::Share),
             cell(b.observed - b.meanScore, Format::Share)});
    return m_layout.table(tr("Reliability of the ML path (labelled predictions by score)"),
                          {{binary ? tr("P(%1)").arg(m_data.className(1)) : tr("Confidence"), 0.28},
                           {tr("Labelled"), 0.18, Qt::AlignRight},
                           {tr("Mean score"), 0.18, Qt::AlignRight},
                           {binary ? tr("Share %1").arg(m_data.className(1)) : tr("Share right"), 0.18, Qt::AlignRight},
                           {tr("Gap"), 0.18, Qt::AlignRight}},
                          rows, tr("No labelled prediction of the model in this period."),
                          tr("A calibrated model's share observed equals its mean score in every bin."));
}

bool KpiReportClassification::versionsTable()
{
    const auto &versions = m_data.snapshot.byVersion;
    const KpiTargets &t = m_data.snapshot.targets;
    QList<QList<Cell>> rows;
    for (auto it = versions.cbegin(); it != versions.cend(); ++it) {
        const KpiFigures &f = it.value();
        const auto accuracy = classFigure(&ClassificationFigures::accuracy)(f);
        const auto logLoss = classFigure(&ClassificationFigures::logLoss)(f);
        const auto ece = classFigure(&ClassificationFigures::ece)(f);
        rows.append(
            {{it.key().isEmpty() ? tr("(none: heuristic)") : it.key()},
             {formatValue(double(f.predictions), Format::Count)},
             cell(accuracy, Format::Share, accuracy ? (*accuracy >= t.accuracyMin ? 1 : -1) : 0),
             cell(logLoss, Format::Decimal3, logLoss ? (*logLoss <= t.logLossMax ? 1 : -1) : 0),
             cell(ece, Format::Decimal3, ece ? (*ece <= t.eceMax ? 1 : -1) : 0),
             cell(f.latencyP95Ms, Format::Millis, f.latencyP95Ms ? (*f.latencyP95Ms <= t.latencyMaxMs ? 1 : -1) : 0),
             cell(f.failureRate, Format::Share, f.failureRate ? (*f.failureRate <= t.errorRateMax ? 1 : -1) : 0)});
    }
    return m_layout.table(tr("Per model version"),
                          {{tr("Model version"), 0.22},
                           {tr("Predictions"), 0.13, Qt::AlignRight},
                           {tr("Accuracy"), 0.12, Qt::AlignRight},
                           {tr("Log-loss"), 0.11, Qt::AlignRight},
                           {tr("ECE"), 0.10, Qt::AlignRight},
                           {tr("Latency p95 (ms)"), 0.18, Qt::AlignRight},
                           {tr("Failure rate"), 0.14, Qt::AlignRight}},
                          rows, tr("No prediction in this period."), {});
}

bool KpiReportClassification::charts()
{
    const KpiSnapshot &s = m_data.snapshot;
    m_layout.heading(tr("Charts"));
    m_layout.paragraph(tr("Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions). "
                          "Estimated accuracy is drawn grey where it is not to be trusted (calibration off or too "
                          "few rows)."),
                       8, false, true);
    m_layout.space(4);
    auto series = [&s](const QString &path, const FigureOf &value, double scale = 1) {
        return kpireport::seriesPoints(s, path, value, scale);
    };
    auto spec = [this](const QString &title) {
        return kpireport::chartSpec(m_data, title, tr("No data in this period"));
    };
    // The estimate of the ML path split in two lines: trusted buckets and the others.
    auto estimated = [&series](bool trusted) {
        return series(
            QStringLiteral("ml"),
            [trusted](const KpiFigures &f) {
                const auto &c = f.classification;
                return c && c->estimatedAccuracy && c->estimateUntrusted.isEmpty() == trusted ? c->estimatedAccuracy
                                                                                              : std::nullopt;
            },
            100);
    };
    const QString ml = tr("ML"), heuristic = tr("Heuristic"), all = tr("All paths");
    const FigureOf accuracy = classFigure(&ClassificationFigures::accuracy);
    QList<ReportChartSpec> charts;
    {
        ReportChartSpec c = spec(tr("Accuracy (%): ML vs heuristic"));
        c.lines = {{ml, themeColor(Palette::Ml), series(QStringLiteral("ml"), accuracy, 100)},
                   {heuristic, themeColor(Palette::Heuristic), series(QStringLiteral("heuristic"), accuracy, 100)}};
        c.target = s.targets.accuracyMin * 100;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("ML accuracy (%): realised vs estimated"));
        c.lines = {{tr("realised"), themeColor(Palette::Ml), series(QStringLiteral("ml"), accuracy, 100)},
                   {tr("estimated"), themeColor(Palette::Stretch), estimated(true)},
                   {tr("estimated, not trusted"), themeColor(Palette::Faint), estimated(false)}};
        c.target = s.targets.accuracyMin * 100;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Calibration error (ECE) and Brier score, ML"));
        c.lines = {
            {tr("ECE"), seriesColor(0), series(QStringLiteral("ml"), classFigure(&ClassificationFigures::ece))},
            {tr("Brier"), seriesColor(1), series(QStringLiteral("ml"), classFigure(&ClassificationFigures::brier))}};
        c.target = s.targets.eceMax;
        c.targetLabel = tr("ECE target");
        charts.append(c);
    }
    {
        ReportChartSpec c =
            spec(m_data.snapshot.classSpec.isBinary()
                     ? tr("Mean confidence and share served as %1 (%), all paths").arg(m_data.className(1))
                     : tr("Mean confidence (%), all paths"));
        c.lines = {{tr("confidence"), seriesColor(0),
                    series(QStringLiteral("all"), classFigure(&ClassificationFigures::meanConfidence), 100)}};
        if (m_data.snapshot.classSpec.isBinary())
            c.lines.append({m_data.className(1), seriesColor(1),
                            series(QStringLiteral("all"), classFigure(&ClassificationFigures::positiveRate), 100)});
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Latency (ms), all paths"));
        c.lines = {{tr("p50"), seriesColor(0),
                    series(QStringLiteral("all"), [](const KpiFigures &f) { return f.latencyP50Ms; })},
                   {tr("p95"), seriesColor(1),
                    series(QStringLiteral("all"), [](const KpiFigures &f) { return f.latencyP95Ms; })},
                   {tr("p99"), seriesColor(2),
                    series(QStringLiteral("all"), [](const KpiFigures &f) { return f.latencyP99Ms; })}};
        c.target = s.targets.latencyMaxMs;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    {
        ReportChartSpec c = spec(tr("Error rate (%)"));
        const FigureOf failure = [](const KpiFigures &f) { return f.failureRate; };
        c.lines = {{ml, themeColor(Palette::Ml), series(QStringLiteral("ml"), failure, 100)},
                   {heuristic, themeColor(Palette::Heuristic), series(QStringLiteral("heuristic"), failure, 100)},
                   {all, themeColor(Palette::AllPaths), series(QStringLiteral("all"), failure, 100)}};
        c.target = s.targets.errorRateMax * 100;
        c.targetLabel = tr("target");
        charts.append(c);
    }
    m_layout.chartsToBottom(charts, 10);
    return true;
}

} // namespace mldeck::ui
