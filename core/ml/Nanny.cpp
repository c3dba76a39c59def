// The console's side of the nanny model: builds its input, hands it to a model worker, reads the answer.
// The network itself is core/ml/torch/TorchNanny.cpp, in the worker.
#include "core/ml/Nanny.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/ModelWorker.h"
#include "core/ml/WorkerProtocol.h"

#include <QCryptographicHash>
#include <QJsonValue>

#include <cmath>

namespace mldeck {

namespace {

// The nanny's input table: the encoded features, then the standardised prediction.
Status buildTable(const InputEncoder &encoder, const std::vector<FeatureRow> &rows,
                  const std::vector<double> &predictions, double mean, double sd, std::vector<float> &table)
{
    const int encoded = encoder.width();
    const int width = encoded + 1;
    const auto n = qint64(rows.size());
    std::vector<float> features(static_cast<size_t>(n) * static_cast<size_t>(encoded));
    if (const Status ok = encoder.encode(rows, features.data()); !ok)
        return ok;
    table.resize(size_t(n) * size_t(width));
    for (qint64 i = 0; i < n; ++i) {
        const double p = predictions[size_t(i)];
        if (!std::isfinite(p))
            return Error{MlText::tr("Row %1 has a prediction that is not a finite number.").arg(i + 1)};
        std::copy_n(features.data() + i * encoded, encoded, table.data() + i * width);
        table[size_t(i * width + encoded)] = float((p - mean) / sd);
    }
    return {};
}

} // namespace

void NannyTrainingParams::write(worker::WireWriter &w) const
{
    w.i32(hidden1);
    w.i32(hidden2);
    w.i32(maxEpochs);
    w.i32(batchSize);
    w.f64(learningRate);
    w.i32(patience);
    w.f64(validationShare);
    w.i64(qint64(seed));
    w.i32(threads);
    w.f64(maxSeconds);
}

NannyTrainingParams NannyTrainingParams::read(worker::WireReader &r)
{
    NannyTrainingParams p;
    p.hidden1 = r.i32();
    p.hidden2 = r.i32();
    p.maxEpochs = r.i32();
    p.batchSize = r.i32();
    p.learningRate = r.f64();
    p.patience = r.i32();
    p.validationShare = r.f64();
    p.seed = quint64(r.i64());
    p.threads = r.i32();
    p.maxSeconds = r.f64();
    return p;
}

QJsonObject NannyMeta::toJson() const
{
    return QJsonObject{{QStringLiteral("model_name"), modelName},
                       {QStringLiteral("model_version"), modelVersion},
                       {QStringLiteral("model_sha256"), QString::fromLatin1(modelSha256)},
                       {QStringLiteral("model_metadata"), QString::fromUtf8(modelMetadata)},
                       {QStringLiteral("encoded_width"), encodedWidth},
                       {QStringLiteral("prediction_mean"), predictionMean},
                       {QStringLiteral("prediction_sd"), predictionSd},
                       {QStringLiteral("error_scale"), errorScale},
                       {QStringLiteral("train_rows"), trainRows},
                       {QStringLiteral("validation_rows"), validationRows},
                       {QStringLiteral("epochs"), epochs},
                       {QStringLiteral("best_epoch"), bestEpoch},
                       {QStringLiteral("validation_mae"), validationMae},
                       {QStringLiteral("validation_estimated_mae"), validationEstimatedMae},
                       {QStringLiteral("validation_realised_mae"), validationRealisedMae},
                       {QStringLiteral("seed"), QString::number(seed)}};
}

Result<NannyMeta> NannyMeta::fromJson(const QJsonObject &o)
{
    NannyMeta m;
    m.modelName = o.value(QStringLiteral("model_name")).toString();
    m.modelVersion = o.value(QStringLiteral("model_version")).toString();
    m.modelSha256 = o.value(QStringLiteral("model_sha256")).toString().toLatin1();
    m.modelMetadata = o.value(QStringLiteral("model_metadata")).toString().toUtf8();
    m.encodedWidth = o.value(QStringLiteral("encoded_width")).toInt();
    m.predictionMean = o.value(QStringLiteral("prediction_mean")).toDouble();
    m.predictionSd = o.value(QStringLiteral("prediction_sd")).toDouble();
    m.errorScale = o.value(QStringLiteral("error_scale")).toDouble();
    m.trainRows = o.value(QStringLiteral("train_rows")).toInteger();
    m.validationRows = o.value(QStringLiteral("validation_rows")).toInteger();
    m.epochs = o.value(QStringLiteral("epochs")).toInt();
    m.bestEpoch = o.value(QStringLiteral("best_epoch")).toInt();
    m.validationMae = o.value(QStringLiteral("validation_mae")).toDouble();
    m.validationEstimatedMae = o.value(QStringLiteral("validation_estimated_mae")).toDouble();
    m.validationRealisedMae = o.value(QStringLiteral("validation_realised_mae")).toDouble();
    m.seed = o.value(QStringLiteral("seed")).toString().toULongLong();
    if (m.encodedWidth <= 0 || !(m.predictionSd > 0) || !(m.errorScale > 0) || !std::isfinite(m.predictionMean))
        return Error{MlText::tr("The nanny's metadata is incomplete or invalid.")};
    return m;
}

QByteArray NannyModel::sha256() const
{
    return QCryptographicHash::hash(weights, QCryptographicHash::Sha256).toHex();
}

Result<NannyModel> trainNanny(ModelRunner &champion, const std::vector<FeatureRow> &rows,
                              const std::vector<double> &actual, const NannyTrainingParams &params,
                              const std::atomic<bool> *cancel)
{
    const ModelInfo &info = champion.info();
    if (info.task == QLatin1String("classification"))
        return Error{MlText::tr("Model %1 is a classifier: the nanny estimates the error of a regression model.")
                         .arg(info.name)};
    if (!info.hasMetadata)
        return Error{
            MlText::tr("Model %1 has no metadata: the nanny needs its feature layout and scaler.").arg(info.name)};
    if (rows.size() != actual.size())
        return Error{MlText::tr("The nanny needs one outcome per row (%1 rows, %2 outcomes).")
                         .arg(rows.size())
                         .arg(actual.size())};
    if (qint64(rows.size()) < kNannyMinRows)
        return Error{MlText::tr("Only %1 reference rows have an outcome; the nanny needs at least %2.")
                         .arg(rows.size())
                         .arg(kNannyMinRows)};
    if (params.hidden1 < 1 || params.hidden2 < 1 || params.maxEpochs < 1 || params.batchSize < 1 ||
        !(params.learningRate > 0) || params.patience < 1 || !(params.validationShare > 0) ||
        !(params.validationShare < 0.5))
        return Error{MlText::tr("The nanny's training parameters are out of range.")};
    for (size_t i = 0; i < actual.size(); ++i)
        if (!std::isfinite(actual[i]))
            return Error{MlText::tr("Reference row %1 has an outcome that is not a finite number.").arg(i + 1)};

    auto predicted = champion.predict(rows, cancel);
    if (!predicted)
        return predicted.error();
    const auto n = qint64(rows.size());
    double sum = 0, sum2 = 0, errSum = 0;
    std::vector<float> target(static_cast<size_t>(n));
    for (qint64 i = 0; i < n; ++i) {
        const double p = (*predicted)[size_t(i)];
        sum += p;
        sum2 += p * p;
        const double e = std::abs(p - actual[size_t(i)]);
        errSum += e;
        target[size_t(i)] = float(e);
    }
    NannyModel nanny;
    NannyMeta &meta = nanny.meta;
    meta.modelName = info.name;
    meta.modelVersion = info.version;
    meta.modelSha256 = info.sha256;
    meta.modelMetadata = info.metadataJson;
    meta.seed = params.seed;
    meta.predictionMean = sum / double(n);
    const double var = sum2 / double(n) - meta.predictionMean * meta.predictionMean;
    meta.predictionSd = var > 1e-12 ? std::sqrt(var) : 1.0;
    meta.errorScale = errSum / double(n);
    if (!(meta.errorScale > 1e-12))
        return Error{
            MlText::tr("Model %1 predicts every reference row exactly: there is no error to estimate.").arg(info.name)};
    for (float &t : target)
        t = float(t / meta.errorScale);

    const InputEncoder encoder(info);
    meta.encodedWidth = encoder.width();
    std::vector<float> table;
    if (const Status built = buildTable(encoder, rows, *predicted, meta.predictionMean, meta.predictionSd, table);
        !built)
        return built.error();

    QByteArray payload;
    worker::WireWriter w(payload);
    w.i64(n);
    w.i32(meta.encodedWidth + 1);
    w.floats(table.data(), table.size());
    w.floats(target.data(), target.size());
    params.write(w);
    ModelWorker worker;
    ModelWorker::RequestOptions options;
    options.cancel = cancel;
    const auto reply = worker.request(worker::MessageType::NannyTrain, payload, options);
    if (!reply)
        return reply.error();
    worker::WireReader r(reply->payload);
    NannyFit fit;
    fit.weights = r.bytes();
    fit.epochs = r.i32();
    fit.bestEpoch = r.i32();
    fit.trainRows = r.i64();
    fit.validationRows = r.i64();
    fit.validationLoss = r.f64();
    fit.validationMae = r.f64();
    fit.validationMeanEstimate = r.f64();
    fit.validationMeanTarget = r.f64();
    if (reply->type != worker::MessageType::NannyTrained || r.failed() || fit.weights.isEmpty())
        return Error{MlText::tr("The model worker sent a malformed nanny training result.")};
    nanny.weights = fit.weights;
    meta.trainRows = fit.trainRows;
    meta.validationRows = fit.validationRows;
    meta.epochs = fit.epochs;
    meta.bestEpoch = fit.bestEpoch;
    meta.validationMae = fit.validationMae * meta.errorScale;
    meta.validationEstimatedMae = fit.validationMeanEstimate * meta.errorScale;
    meta.validationRealisedMae = fit.validationMeanTarget * meta.errorScale;
    return nanny;
}

Result<std::unique_ptr<NannyScorer>> NannyScorer::create(NannyModel nanny)
{
    return create(std::move(nanny), WorkerLimits::defaults());
}

Result<std::unique_ptr<NannyScorer>> NannyScorer::create(NannyModel nanny, const WorkerLimits &limits)
{
    ModelInfo champion;
    if (const Status parsed = parseModelMetadata(nanny.meta.modelMetadata, champion); !parsed)
        return Error{MlText::tr("The nanny of model %1 %2 keeps unreadable model metadata: %3")
                         .arg(nanny.meta.modelName, nanny.meta.modelVersion, parsed.errorMessage())};
    champion.hasMetadata = true;
    champion.sha256 = nanny.meta.modelSha256;
    if (champion.inputWidth != nanny.meta.encodedWidth)
        return Error{MlText::tr("The nanny of model %1 %2 was trained for an input of %3 values; the model's "
                                "metadata gives %4.")
                         .arg(nanny.meta.modelName, nanny.meta.modelVersion)
                         .arg(nanny.meta.encodedWidth)
                         .arg(champion.inputWidth)};
    return std::unique_ptr<NannyScorer>(new NannyScorer(std::move(nanny), std::move(champion), limits));
}

NannyScorer::NannyScorer(NannyModel nanny, ModelInfo champion, const WorkerLimits &limits)
    : m_nanny(std::move(nanny)), m_champion(std::move(champion)), m_encoder(m_champion),
      m_worker(std::make_unique<ModelWorker>(limits))
{
}

NannyScorer::~NannyScorer() = default;

qint64 NannyScorer::workerPid() const
{
    return m_worker->pid();
}

Result<std::vector<double>> NannyScorer::score(const std::vector<FeatureRow> &rows,
                                               const std::vector<double> &predictions, const std::atomic<bool> *cancel)
{
    if (rows.size() != predictions.size())
        return Error{MlText::tr("The nanny needs one prediction per row (%1 rows, %2 predictions).")
                         .arg(rows.size())
                         .arg(predictions.size())};
    if (rows.empty())
        return std::vector<double>{};
    std::vector<float> table;
    if (const Status built =
            buildTable(m_encoder, rows, predictions, m_nanny.meta.predictionMean, m_nanny.meta.predictionSd, table);
        !built)
        return built.error();
    QByteArray payload;
    payload.reserve(qsizetype(table.size() * sizeof(float) + size_t(m_nanny.weights.size())) + 64);
    worker::WireWriter w(payload);
    w.bytes(m_nanny.weights);
    w.i32(m_threads);
    w.i64(qint64(rows.size()));
    w.i32(m_nanny.meta.encodedWidth + 1);
    w.floats(table.data(), table.size());
    ModelWorker::RequestOptions options;
    options.cancel = cancel;
    const auto reply = m_worker->request(worker::MessageType::NannyScore, payload, options);
    if (!reply)
        return reply.error();
    worker::WireReader r(reply->payload);
    const int columns = r.i32();
    std::vector<double> scores = r.doubles();
    if (reply->type != worker::MessageType::Predictions || r.failed() || columns != 1 || scores.size() != rows.size())
        return Error{MlText::tr("The model worker sent a malformed nanny answer.")};
    for (double &s : scores)
        s *= m_nanny.meta.errorScale;
    return scores;
}

} // namespace mldeck
