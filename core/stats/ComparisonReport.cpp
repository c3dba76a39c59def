#include "core/stats/ComparisonReport.h"

#include "core/Text.h"
#include "core/domain/Figure.h"
#include "core/io/CsvWriter.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <cmath>

namespace mldeck::stats {

namespace {

QString percent(double fraction)
{
    return QString::number(100.0 * fraction, 'f', 1);
}

QString num(double v)
{
    return QString::number(v, 'g', 8);
}

QString num(const std::optional<double> &v)
{
    return v ? num(*v) : QString();
}

QJsonArray optionalArray(const std::vector<std::optional<double>> &values)
{
    QJsonArray out;
    for (const auto &v : values)
        out.append(figureJson(v));
    return out;
}

QJsonObject classifierJson(const ClassifierMetrics &m, const ClassSpec &spec)
{
    const ClassificationFigures &f = m.figures;
    const ClassifierHeadline h = headline(m);
    const int k = f.classes;
    QJsonArray matrix;
    for (int a = 0; a < k && f.confusion.size() == size_t(k * k); ++a) {
        QJsonArray row;
        for (int p = 0; p < k; ++p)
            row.append(f.confusion[size_t(a * k + p)]);
        matrix.append(row);
    }
    QJsonArray reliability;
    for (const ReliabilityBin &b : m.reliability)
        reliability.append(QJsonObject{{QStringLiteral("low"), b.low},
                                       {QStringLiteral("high"), b.high},
                                       {QStringLiteral("rows"), b.rows},
                                       {QStringLiteral("mean_score"), b.meanScore},
                                       {QStringLiteral("observed"), b.observed}});
    QJsonObject o{{QStringLiteral("classes"), QJsonArray::fromStringList(spec.classes)},
                  {QStringLiteral("accuracy"), figureJson(f.accuracy)},
                  {QStringLiteral("balanced_accuracy"), figureJson(f.balancedAccuracy)},
                  {QStringLiteral("precision"), figureJson(h.precision)},
                  {QStringLiteral("recall"), figureJson(h.recall)},
                  {QStringLiteral("f1"), figureJson(h.f1)},
                  {QStringLiteral("macro_precision"), figureJson(f.macroPrecision)},
                  {QStringLiteral("macro_recall"), figureJson(f.macroRecall)},
                  {QStringLiteral("macro_f1"), figureJson(f.macroF1)},
                  {QStringLiteral("class_precision"), optionalArray(f.precision)},
                  {QStringLiteral("class_recall"), optionalArray(f.recall)},
                  {QStringLiteral("class_f1"), optionalArray(f.f1)},
                  {QStringLiteral("roc_auc"), figureJson(f.rocAuc)},
                  {QStringLiteral("pr_auc"), figureJson(m.prAuc)},
                  {QStringLiteral("log_loss"), figureJson(f.logLoss)},
                  {QStringLiteral("brier"), figureJson(f.brier)},
                  {QStringLiteral("ece"), figureJson(f.ece)},
                  {QStringLiteral("mean_confidence"), figureJson(f.meanConfidence)},
                  {QStringLiteral("confusion_matrix"), matrix},
                  {QStringLiteral("reliability"), reliability}};
    if (spec.isBinary() && f.confusion.size() == 4) {
        o.insert(QStringLiteral("threshold"), spec.decisionThreshold);
        o.insert(QStringLiteral("confusion"), QJsonObject{{QStringLiteral("tp"), f.confusion[3]},
                                                          {QStringLiteral("fp"), f.confusion[1]},
                                                          {QStringLiteral("tn"), f.confusion[0]},
                                                          {QStringLiteral("fn"), f.confusion[2]}});
    }
    return o;
}

// An image model's wrong rows, by key, for people and scripts that look at the pictures.
QJsonArray misclassifiedJson(const ComparisonReport &r, size_t model)
{
    QJsonArray out;
    const QStringList &classes = r.classSpec.classes;
    for (const MisclassifiedRow &m : misclassified(r, model))
        out.append(QJsonObject{{QStringLiteral("key"), r.images->keys[qsizetype(m.row)]},
                               {QStringLiteral("actual"), classes.value(m.actual)},
                               {QStringLiteral("predicted"), classes.value(m.predicted)},
                               {QStringLiteral("confidence"), m.confidence}});
    return out;
}

QJsonObject imagesJson(const ImageRows &images)
{
    QJsonArray skipped;
    for (const SkippedImage &s : images.skipped)
        skipped.append(QJsonObject{{QStringLiteral("key"), s.key}, {QStringLiteral("reason"), s.reason}});
    return QJsonObject{{QStringLiteral("store"), images.store},
                       {QStringLiteral("evaluated"), images.keys.size()},
                       {QStringLiteral("skipped"), skipped}};
}

} // namespace

std::vector<MisclassifiedRow> misclassified(const ComparisonReport &r, size_t model)
{
    std::vector<MisclassifiedRow> out;
    if (model >= r.probabilities.size() || model >= r.classSpecs.size())
        return out;
    const ClassSpec &spec = r.classSpecs[model];
    const size_t k = size_t(spec.count());
    const std::vector<double> &p = r.probabilities[model];
    for (size_t i = 0; i < r.actual.size() && (i + 1) * k <= p.size(); ++i) {
        const std::span<const double> row(p.data() + i * k, k);
        const int served = spec.decide(row);
        if (served != int(r.actual[i]))
            out.push_back({qint64(i), int(r.actual[i]), served, row[size_t(served)]});
    }
    return out;
}

QString metricTitle(const QString &metric)
{
    if (metric == QLatin1String("mae"))
        return QStringLiteral("MAE");
    if (metric == QLatin1String("rmse"))
        return QStringLiteral("RMSE");
    if (metric == QLatin1String("accuracy"))
        return StatsText::tr("accuracy");
    if (metric == QLatin1String("log_loss"))
        return StatsText::tr("log-loss");
    return metric;
}

ClassifierHeadline headline(const ClassifierMetrics &m)
{
    const ClassificationFigures &f = m.figures;
    if (f.classes == 2)
        return {f.precisionPositive, f.recallPositive, f.f1Positive};
    return {f.macroPrecision, f.macroRecall, f.macroF1};
}

std::vector<SegmentRow> segmentBreakdown(const QString &segment, const std::vector<int> &codes,
                                         const QStringList &levels, const std::vector<std::vector<double>> &rowValues)
{
    const size_t models = rowValues.size();
    std::vector<SegmentRow> rows(size_t(levels.size()));
    std::vector<std::vector<double>> sums(rows.size(), std::vector<double>(models, 0.0));
    for (size_t i = 0; i < codes.size(); ++i) {
        const int c = codes[i];
        if (c < 0 || c >= int(rows.size()))
            continue;
        ++rows[size_t(c)].rows;
        for (size_t m = 0; m < models; ++m)
            sums[size_t(c)][m] += i < rowValues[m].size() ? rowValues[m][i] : 0.0;
    }
    std::vector<SegmentRow> out;
    for (size_t c = 0; c < rows.size(); ++c) {
        if (rows[c].rows == 0)
            continue;
        SegmentRow r = rows[c];
        r.segment = segment;
        r.value = levels[qsizetype(c)];
        for (size_t m = 0; m < models; ++m)
            r.metric.push_back(sums[c][m] / double(r.rows));
        out.push_back(std::move(r));
    }
    return out;
}

QString verdictSentence(const MetricDelta &d, const QString &baselineLabel, const QString &challengerLabel)
{
    const DifferenceInterval &i = d.interval;
    // "Better" is a lower error or a higher accuracy; relative figures are relative to the baseline.
    const double sign = d.lowerIsBetter ? -1.0 : 1.0;
    const double gain = sign * i.relative;
    const double lo = sign * (d.lowerIsBetter ? i.relativeHigh : i.relativeLow);
    const double hi = sign * (d.lowerIsBetter ? i.relativeLow : i.relativeHigh);
    const QString level = QString::number(std::lround(i.level * 100));
    const bool significant = i.low > 0 || i.high < 0;
    if (!significant)
        return StatsText::tr(
                   "No significant difference on %1 between %2 and %3 (%3 better by %4 %, %5 % CI %6 to %7 %).")
            .arg(metricTitle(d.metric), baselineLabel, challengerLabel, percent(gain), level, percent(lo), percent(hi));
    if (gain >= 0)
        return StatsText::tr("%1 is %2 % better than %3 on %4, %5 % CI %6–%7 %.")
            .arg(challengerLabel, percent(gain), baselineLabel, metricTitle(d.metric), level, percent(lo), percent(hi));
    return StatsText::tr("%1 is %2 % worse than %3 on %4, %5 % CI %6–%7 %.")
        .arg(challengerLabel, percent(-gain), baselineLabel, metricTitle(d.metric), level, percent(-hi), percent(-lo));
}

QJsonObject toJson(const ComparisonReport &r)
{
    QJsonArray models;
    for (const ModelSummary &m : r.models) {
        QJsonObject o{{QStringLiteral("label"), m.label},
                      {QStringLiteral("path"), m.path},
                      {QStringLiteral("version"), m.version},
                      {QStringLiteral("rows_per_second"), m.rowsPerSecond},
                      {QStringLiteral("latency_p50_ms"), m.latencyP50Ms},
                      {QStringLiteral("latency_p99_ms"), m.latencyP99Ms},
                      {QStringLiteral("unknown_category_values"), m.unknownCategoryValues}};
        QJsonObject reg{{QStringLiteral("mae"), m.regression.mae},
                        {QStringLiteral("rmse"), m.regression.rmse},
                        {QStringLiteral("r2"), m.regression.r2},
                        {QStringLiteral("mape_percent"), figureJson(m.regression.mape)},
                        {QStringLiteral("mape_skipped_zero_targets"), m.regression.mapeSkippedZeroTargets}};
        o.insert(QStringLiteral("metrics"), reg);
        if (m.classification)
            o.insert(QStringLiteral("metrics"), classifierJson(*m.classification, r.classSpec));
        if (r.images)
            o.insert(QStringLiteral("misclassified"), misclassifiedJson(r, size_t(models.size())));
        models.append(o);
    }
    QJsonArray deltas;
    for (const MetricDelta &d : r.deltas) {
        const DifferenceInterval &i = d.interval;
        deltas.append(QJsonObject{{QStringLiteral("baseline"), r.models[size_t(d.baseline)].label},
                                  {QStringLiteral("challenger"), r.models[size_t(d.challenger)].label},
                                  {QStringLiteral("metric"), d.metric},
                                  {QStringLiteral("lower_is_better"), d.lowerIsBetter},
                                  {QStringLiteral("baseline_value"), i.valueA},
                                  {QStringLiteral("challenger_value"), i.valueB},
                                  {QStringLiteral("difference"), i.difference},
                                  {QStringLiteral("ci_low"), i.low},
                                  {QStringLiteral("ci_high"), i.high},
                                  {QStringLiteral("relative"), i.relative},
                                  {QStringLiteral("relative_ci_low"), i.relativeLow},
                                  {QStringLiteral("relative_ci_high"), i.relativeHigh},
                                  {QStringLiteral("level"), i.level},
                                  {QStringLiteral("significant"), i.low > 0 || i.high < 0}});
    }
    QJsonArray segments;
    for (const SegmentRow &s : r.segments) {
        QJsonArray values;
        for (double v : s.metric)
            values.append(v);
        segments.append(QJsonObject{{QStringLiteral("segment"), s.segment},
                                    {QStringLiteral("value"), s.value},
                                    {QStringLiteral("rows"), s.rows},
                                    {QStringLiteral("metric"), values}});
    }
    QJsonObject out{{QStringLiteral("task"), r.task},
                    {QStringLiteral("data"), r.data},
                    {QStringLiteral("rows"), r.rows},
                    {QStringLiteral("seed"), QString::number(r.seed)},
                    {QStringLiteral("resamples"), r.resamples},
                    {QStringLiteral("models"), models},
                    {QStringLiteral("deltas"), deltas},
                    {QStringLiteral("segment_metric"), r.segmentMetric},
                    {QStringLiteral("segments"), segments},
                    {QStringLiteral("verdict"), QJsonArray::fromStringList(r.verdicts)},
                    {QStringLiteral("notes"), QJsonArray::fromStringList(r.notes)}};
    if (r.images)
        out.insert(QStringLiteral("images"), imagesJson(*r.images));
    return out;
}

QByteArray toCsv(const ComparisonReport &r)
{
    QByteArray out;
    const bool cls = r.task == QLatin1String("classification");
    out += csvRecord({QStringLiteral("model"),
                      QStringLiteral("path"),
                      QStringLiteral("version"),
                      QStringLiteral("rows"),
                      QStringLiteral("mae"),
                      QStringLiteral("rmse"),
                      QStringLiteral("r2"),
                      QStringLiteral("mape_percent"),
                      QStringLiteral("accuracy"),
                      QStringLiteral("precision"),
                      QStringLiteral("recall"),
                      QStringLiteral("f1"),
                      QStringLiteral("roc_auc"),
                      QStringLiteral("log_loss"),
                      QStringLiteral("brier"),
                      QStringLiteral("ece"),
                      QStringLiteral("pr_auc"),
                      QStringLiteral("rows_per_second"),
                      QStringLiteral("latency_p50_ms"),
                      QStringLiteral("latency_p99_ms")});
    for (const ModelSummary &m : r.models) {
        QStringList fields{m.label, m.path, m.version, QString::number(r.rows)};
        if (cls) // a classifier's error on scores is not a regression metric: left empty
            fields << QString() << QString() << QString() << QString();
        else
            fields << num(m.regression.mae) << num(m.regression.rmse) << num(m.regression.r2) << num(m.regression.mape);
        if (cls && m.classification) {
            const ClassificationFigures &f = m.classification->figures;
            const ClassifierHeadline h = headline(*m.classification);
            fields << num(f.accuracy) << num(h.precision) << num(h.recall) << num(h.f1) << num(f.rocAuc)
                   << num(f.logLoss) << num(f.brier) << num(f.ece) << num(m.classification->prAuc);
        } else {
            for (int i = 0; i < 9; ++i)
                fields << QString();
        }
        fields << num(m.rowsPerSecond) << num(m.latencyP50Ms) << num(m.latencyP99Ms);
        out += csvRecord(fields);
    }
    out += "\r\n";
    out +=
        csvRecord({QStringLiteral("baseline"), QStringLiteral("challenger"), QStringLiteral("metric"),
                   QStringLiteral("baseline_value"), QStringLiteral("challenger_value"), QStringLiteral("difference"),
                   QStringLiteral("ci_low"), QStringLiteral("ci_high"), QStringLiteral("relative"),
                   QStringLiteral("relative_ci_low"), QStringLiteral("relative_ci_high")});
    for (const MetricDelta &d : r.deltas) {
        const DifferenceInterval &i = d.interval;
        out += csvRecord({r.models[size_t(d.baseline)].label, r.models[size_t(d.challenger)].label, d.metric,
                          num(i.valueA), num(i.valueB), num(i.difference), num(i.low), num(i.high), num(i.relative),
                          num(i.relativeLow), num(i.relativeHigh)});
    }
    out += "\r\n";
    QStringList header{QStringLiteral("segment"), QStringLiteral("value"), QStringLiteral("rows")};
    for (const ModelSummary &m : r.models)
        header << m.label + QLatin1Char('_') + r.segmentMetric;
    out += csvRecord(header);
    for (const SegmentRow &s : r.segments) {
        QStringList fields{s.segment, s.value, QString::number(s.rows)};
        for (double v : s.metric)
            fields << num(v);
        out += csvRecord(fields);
    }
    out += "\r\n";
    out += csvRecord({QStringLiteral("verdict")});
    for (const QString &v : r.verdicts)
        out += csvRecord({v});
    return out;
}

} // namespace mldeck::stats
