#include "core/ml/Evaluator.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/stats/Percentile.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

bool isClassifier(const ModelInfo &info)
{
    return info.hasMetadata && info.task == QLatin1String("classification");
}

// Runs the model on rows and appends the answers for rows [skip, end) to out (predictions, and a
// classifier's probabilities).
Status infer(ModelRunner &model, const std::vector<FeatureRow> &rows, qint64 skip, const std::atomic<bool> *cancel,
             EvaluationResult *out)
{
    if (!isClassifier(model.info())) {
        auto predicted = model.predict(rows, cancel);
        if (!predicted)
            return predicted.error();
        if (out)
            out->predictions.insert(out->predictions.end(), predicted->begin() + skip, predicted->end());
        return {};
    }
    auto predicted = model.predictProbabilities(rows, cancel);
    if (!predicted)
        return predicted.error();
    if (!out)
        return {};
    const ClassProbabilities &p = predicted.value();
    const ClassSpec &spec = model.info().classSpec;
    out->probabilities.classes = p.classes;
    out->probabilities.values.insert(out->probabilities.values.end(), p.values.begin() + skip * p.classes,
                                     p.values.end());
    for (size_t i = size_t(skip); i < p.rows(); ++i)
        out->predictions.push_back(spec.isBinary() ? p.row(i)[1] : p.row(i)[size_t(spec.decide(p.row(i)))]);
    return {};
}

} // namespace

Result<ModelInputs> modelInputs(const ModelInfo &info, const QStringList &header, const DatasetColumns &columns,
                                const QStringList &features)
{
    ModelInputs in;
    if (info.hasMetadata) {
        in.numeric = info.schema.numericNames();
        in.categorical = info.schema.categoricalNames();
        const QStringList all = in.numeric + in.categorical;
        if (!features.isEmpty()) {
            QStringList a = features, b = all;
            a.sort();
            b.sort();
            if (a != b)
                return Error{MlText::tr("--features (%1) does not match the features model %2 was trained on (%3).")
                                 .arg(features.join(QStringLiteral(",")), info.name, all.join(QStringLiteral(",")))};
        }
        for (const QString &name : all)
            if (!header.contains(name))
                return Error{MlText::tr("The data has no column \"%1\", which model %2 needs.").arg(name, info.name)};
        return in;
    }
    if (!features.isEmpty()) {
        for (const QString &name : features) {
            if (!header.contains(name))
                return Error{MlText::tr("The data has no column \"%1\" (named by --features).").arg(name)};
            if (name == columns.target)
                return Error{
                    MlText::tr("--features names the target \"%1\": a model cannot read its own answer.").arg(name)};
        }
        in.numeric = features;
        return in;
    }
    for (const QString &name : header)
        if (name != columns.target && name != columns.timestamp)
            in.numeric << name;
    if (in.numeric.isEmpty())
        return Error{MlText::tr("The data has no input column besides the target \"%1\".").arg(columns.target)};
    return in;
}

Result<EvaluationResult> evaluateModel(ModelRunner &model, const Dataset &data, const ModelInputs &inputs,
                                       const EvaluationOptions &options)
{
    EvaluationResult out;
    const qint64 n = data.rowCount();
    if (n == 0)
        return Error{MlText::tr("No rows to evaluate.")};
    if (options.threads > 0)
        model.setThreads(options.threads);
    const qint64 context = std::max(0, model.info().sequenceLength - 1);
    const qint64 batch = std::max(1, options.batchSize);
    out.predictions.reserve(size_t(n));

    const qint64 unknownBefore = model.unknownCategoryValues();
    QElapsedTimer timer;
    timer.start();
    qint64 inferenceNs = 0;
    for (qint64 begin = 0; begin < n; begin += batch) {
        if (options.cancel && options.cancel->load()) {
            out.cancelled = true;
            return out;
        }
        const qint64 end = std::min(n, begin + batch);
        const qint64 from = std::max<qint64>(0, begin - context); // the rows the first windows look back on
        const std::vector<FeatureRow> rows = data.featureRows(inputs.numeric, inputs.categorical, from, end);
        QElapsedTimer t;
        t.start();
        const Status predicted = infer(model, rows, begin - from, options.cancel, &out);
        inferenceNs += t.nsecsElapsed();
        if (!predicted && options.cancel && options.cancel->load()) {
            out.cancelled = true;
            return out;
        }
        if (!predicted)
            return Error{MlText::tr("Rows %1–%2: %3").arg(begin + 1).arg(end).arg(predicted.errorMessage())};
        if (options.progress)
            options.progress(end, n);
    }
    // Rows/s counts the whole batch path (building inputs + inference), as a user experiences it.
    out.seconds = double(timer.nsecsElapsed()) / 1e9;
    out.rowsPerSecond = out.seconds > 0 ? double(n) / out.seconds : 0;
    Q_UNUSED(inferenceNs);
    // Counted on the batch pass only: the latency calls below see some rows a second time.
    out.unknownCategoryValues = model.unknownCategoryValues() - unknownBefore;

    if (options.latencySamples > 0) {
        const qint64 samples = std::min<qint64>(options.latencySamples, n);
        std::vector<double> ms;
        ms.reserve(size_t(samples));
        for (qint64 s = 0; s < samples; ++s) {
            if (options.cancel && options.cancel->load()) {
                out.cancelled = true;
                return out;
            }
            const qint64 row = samples > 1 ? s * (n - 1) / (samples - 1) : 0;
            const qint64 from = std::max<qint64>(0, row - context);
            const std::vector<FeatureRow> rows = data.featureRows(inputs.numeric, inputs.categorical, from, row + 1);
            QElapsedTimer t;
            t.start();
            const Status predicted = infer(model, rows, 0, options.cancel, nullptr);
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
            if (!predicted && options.cancel && options.cancel->load()) {
                out.cancelled = true;
                return out;
            }
            if (!predicted)
                return Error{MlText::tr("Row %1: %2").arg(row + 1).arg(predicted.errorMessage())};
        }
        out.latencyP50Ms = stats::percentile(ms, 0.50);
        out.latencyP99Ms = stats::percentile(ms, 0.99);
    }
    return out;
}

} // namespace mldeck
