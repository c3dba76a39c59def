#include "core/stats/drift/DriftReport.h"
#include "core/Text.h"
#include "core/io/CsvReader.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <cmath>

namespace mldeck::drift {

namespace {

QJsonValue finite(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue();
}

} // namespace

QJsonObject toJson(const DatasetDrift &result)
{
    QJsonArray features;
    for (const FeatureDrift &f : result.features) {
        QJsonObject o{
            {QStringLiteral("name"), f.name},
            {QStringLiteral("type"),
             f.kind == FeatureKind::Numeric ? QStringLiteral("numeric") : QStringLiteral("categorical")},
            {QStringLiteral("test"), testKey(f.test)},
            {QStringLiteral("statistic"), finite(f.statistic)},
            {QStringLiteral("threshold"), f.threshold},
            {QStringLiteral("drift"), f.drift},
            {QStringLiteral("effect_size"), finite(f.effectSize)},
            {QStringLiteral("effect_size_kind"), f.effectSizeName},
            {QStringLiteral("psi"), finite(f.psi)},
            {QStringLiteral("enough_samples"), f.enoughSamples},
            {QStringLiteral("reference_rows"), f.referenceCount},
            {QStringLiteral("current_rows"), f.currentCount},
        };
        if (f.pValue)
            o.insert(QStringLiteral("p_value"), finite(*f.pValue));
        if (const auto &b = f.sketch) { // computed from sketches: the interval holding the exact figure
            QJsonObject sketch{{QStringLiteral("rank_error"), b->rankError},
                               {QStringLiteral("statistic_low"), finite(b->statisticLow)},
                               {QStringLiteral("statistic_high"), finite(b->statisticHigh)},
                               {QStringLiteral("decided"), b->decided}};
            if (b->pValueLow && b->pValueHigh) {
                sketch.insert(QStringLiteral("p_value_low"), finite(*b->pValueLow));
                sketch.insert(QStringLiteral("p_value_high"), finite(*b->pValueHigh));
            }
            o.insert(QStringLiteral("sketch"), sketch);
        }
        features.append(o);
    }
    return {{QStringLiteral("features"), features},
            {QStringLiteral("dataset"), QJsonObject{{QStringLiteral("drift"), result.datasetDrift},
                                                    {QStringLiteral("drifted"), result.drifted},
                                                    {QStringLiteral("considered"), result.considered},
                                                    {QStringLiteral("share"), result.share},
                                                    {QStringLiteral("share_threshold"), result.shareThreshold},
                                                    {QStringLiteral("undecided"), result.datasetUndecided}}}};
}

QJsonObject toJson(const MultivariateDrift &result)
{
    QJsonObject o{{QStringLiteral("value"), finite(result.value)},
                  {QStringLiteral("drift"), result.drift},
                  {QStringLiteral("enough_samples"), result.enoughSamples},
                  {QStringLiteral("components"), result.components},
                  {QStringLiteral("inputs"), result.inputs},
                  {QStringLiteral("variance_share"), result.varianceShare},
                  {QStringLiteral("explained_share"), finite(result.explainedShare)},
                  {QStringLiteral("chunk_rows"), result.chunkRows},
                  {QStringLiteral("reference_chunks"), result.referenceChunks},
                  {QStringLiteral("reference_rows"), result.referenceRows},
                  {QStringLiteral("current_rows"), result.currentRows}};
    if (result.enoughSamples) {
        o.insert(QStringLiteral("band_low"), finite(result.lower));
        o.insert(QStringLiteral("band_high"), finite(result.upper));
    } else {
        o.insert(QStringLiteral("problem"), result.problem);
    }
    return o;
}

QString toTextLine(const MultivariateDrift &result)
{
    const QString label = multivariateLabel(result.components, result.varianceShare);
    if (!result.enoughSamples)
        return StatsText::tr("%1: no verdict, %2").arg(label, result.problem);
    return StatsText::tr("%1: mean reconstruction error %2, band %3 to %4: %5")
        .arg(label)
        .arg(result.value, 0, 'g', 4)
        .arg(result.lower, 0, 'g', 4)
        .arg(result.upper, 0, 'g', 4)
        .arg(result.drift ? StatsText::tr("DRIFT") : StatsText::tr("ok"));
}

QString sketchBoundText(const SketchBound &b)
{
    const auto g = [](double v) { return std::isfinite(v) ? QString::number(v, 'g', 3) : QStringLiteral("∞"); };
    QString text = StatsText::tr("from sketches: score in [%1, %2]").arg(g(b.statisticLow), g(b.statisticHigh));
    if (b.pValueLow && b.pValueHigh)
        text += StatsText::tr(", p-value in [%1, %2]").arg(g(*b.pValueLow), g(*b.pValueHigh));
    return text + StatsText::tr(" (CDF error at most %1 %)").arg(b.rankError * 100, 0, 'g', 2);
}

QStringList toTextLines(const DatasetDrift &result)
{
    QStringList lines;
    lines << StatsText::tr("%1 %2 %3 %4 %5 %6 %7")
                 .arg(StatsText::tr("feature"), -22)
                 .arg(StatsText::tr("test"), -14)
                 .arg(StatsText::tr("score"), 10)
                 .arg(StatsText::tr("p-value"), 10)
                 .arg(StatsText::tr("threshold"), 10)
                 .arg(StatsText::tr("effect"), 14)
                 .arg(StatsText::tr("verdict"));
    for (const FeatureDrift &f : result.features) {
        const bool undecided = f.sketch && !f.sketch->decided;
        const QString verdict = undecided          ? StatsText::tr("undecided (bound straddles the threshold)")
                                : !f.enoughSamples ? StatsText::tr("too few rows")
                                                   : (f.drift ? StatsText::tr("DRIFT") : StatsText::tr("ok"));
        lines << QStringLiteral("%1 %2 %3 %4 %5 %6 %7")
                     .arg(f.name, -22)
                     .arg(testKey(f.test), -14)
                     .arg(QString::number(f.statistic, 'g', 4), 10)
                     .arg(f.pValue ? QString::number(*f.pValue, 'g', 3) : QStringLiteral("-"), 10)
                     .arg(QString::number(f.threshold, 'g', 3), 10)
                     .arg(f.effectSizeName.isEmpty()
                              ? QStringLiteral("-")
                              : QStringLiteral("%1=%2").arg(f.effectSizeName, QString::number(f.effectSize, 'f', 2)),
                          14)
                     .arg(verdict);
        if (const auto &b = f.sketch)
            lines << sketchBoundText(*b).prepend(QStringLiteral("  "));
    }
    lines << (result.datasetDrift ? StatsText::tr("Dataset drift: %1 of %2 features drift (threshold %3 %).")
              : result.datasetUndecided
                  ? StatsText::tr("Dataset drift undecided: %1 of %2 features drift, undecided ones may tip it "
                                  "(threshold %3 %).")
                  : StatsText::tr("No dataset drift: %1 of %2 features drift (threshold %3 %)."))
                 .arg(result.drifted)
                 .arg(result.considered)
                 .arg(result.shareThreshold * 100, 0, 'g', 3);
    return lines;
}

Result<Dataset> readCsvDataset(const QString &path, const QStringList &ignore)
{
    QStringList names;
    std::vector<QStringList> cells;
    CsvHandlers handlers;
    handlers.header = [&](const QStringList &header) -> Status {
        names = header;
        cells.resize(size_t(header.size()));
        return {};
    };
    handlers.record = [&](const CsvRecord &record) -> Status {
        for (size_t c = 0; c < record.fields.size(); ++c)
            cells[c] << QString::fromUtf8(record.fields[c]).trimmed();
        return {};
    };
    const Status read = CsvReader::read(path, handlers);
    if (!read)
        return read.error();
    Dataset data;
    for (qsizetype c = 0; c < names.size(); ++c) {
        Column col;
        col.name = names[c];
        if (col.name.isEmpty() || ignore.contains(col.name))
            continue;
        bool numeric = true;
        std::vector<double> values;
        values.reserve(cells[c].size());
        for (const QString &s : cells[c]) {
            if (s.isEmpty()) {
                values.push_back(std::nan(""));
                continue;
            }
            bool ok = false;
            const double v = s.toDouble(&ok);
            if (!ok) {
                numeric = false;
                break;
            }
            values.push_back(v);
        }
        if (numeric) {
            col.kind = FeatureKind::Numeric;
            col.numeric = std::move(values);
        } else {
            col.kind = FeatureKind::Categorical;
            for (const QString &s : cells[c])
                col.categorical << (s.isEmpty() ? QString() : s);
        }
        data.columns.push_back(std::move(col));
    }
    if (data.columns.empty())
        return Error{StatsText::tr("%1 has no columns to compare.").arg(path)};
    return data;
}

} // namespace mldeck::drift
