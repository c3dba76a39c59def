// Training with LibTorch, inside the model worker: the second translation unit that includes torch.
// How it works, and why: resources/contract/training.md.
#include "core/ml/torch/TorchTrainer.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/torch/TorchMessage.h"
#include "core/ml/torch/TorchModel.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <ATen/Parallel.h>
#include <torch/nn/init.h>
#include <torch/optim/adam.h>
#include <torch/script.h>
#include <torch/utils.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <random>
#include <sstream>
#include <unistd.h>

namespace mldeck {

namespace {

constexpr qint64 kEncodeChunk = 8192;     // rows turned into FeatureRows at a time (bounded memory)
constexpr qint64 kValidationBatch = 4096; // evaluation batch: no gradients, larger is fine
const std::string kAbsent("\0absent", 7); // "no such extra file" (see TorchModel.cpp)

Error outOfMemory()
{
    return Error{TorchTrainer::tr("Training ran out of memory; try a smaller batch size or fewer training rows.")};
}

// Restores the process-wide torch thread count when training ends (the worker may predict afterwards).
class ThreadsGuard final
{
public:
    explicit ThreadsGuard(int threads) : m_before(at::get_num_threads())
    {
        if (threads > 0)
            at::set_num_threads(threads);
    }
    ~ThreadsGuard() { at::set_num_threads(m_before); }
    Q_DISABLE_COPY_MOVE(ThreadsGuard)

private:
    int m_before;
};

// Removes the temporary output unless the rename consumed it: nothing half-written survives.
class TempFile final
{
public:
    explicit TempFile(QString path) : m_path(std::move(path)) {}
    ~TempFile()
    {
        if (!m_path.isEmpty())
            QFile::remove(m_path);
    }
    Q_DISABLE_COPY_MOVE(TempFile)
    const QString &path() const { return m_path; }
    void release() { m_path.clear(); }

private:
    QString m_path;
};

// A dataset as model input: the encoded [N, D] table (models.md §2) and the targets.
struct Encoded
{
    std::vector<float> table;
    std::vector<float> target;
    qint64 rows = 0;
};

Result<Encoded> encodeDataset(const Dataset &data, const ModelInfo &info, const InputEncoder &encoder,
                              const QString &what)
{
    const QStringList numeric = info.schema.numericNames();
    const QStringList categorical = info.schema.categoricalNames();
    for (const QString &name : numeric)
        if (!data.numeric.contains(name))
            return Error{TorchTrainer::tr("The %1 data has no numeric column \"%2\", which model %3 needs.")
                             .arg(what, name, info.name)};
    for (const QString &name : categorical)
        if (!data.categorical.contains(name))
            return Error{TorchTrainer::tr("The %1 data has no categorical column \"%2\", which model %3 needs.")
                             .arg(what, name, info.name)};
    Encoded out;
    out.rows = data.rowCount();
    out.table.resize(size_t(out.rows) * size_t(encoder.width()));
    out.target.reserve(size_t(out.rows));
    for (qint64 begin = 0; begin < out.rows; begin += kEncodeChunk) {
        const qint64 end = std::min(out.rows, begin + kEncodeChunk);
        const std::vector<FeatureRow> rows = data.featureRows(numeric, categorical, begin, end);
        const Status encoded =
            encoder.encode(rows, out.table.data() + size_t(begin) * size_t(encoder.width()), nullptr, begin);
        if (!encoded)
            return Error{TorchTrainer::tr("%1 data: %2").arg(what, encoded.errorMessage())};
    }
    for (qint64 i = 0; i < out.rows; ++i) {
        const double y = data.target[size_t(i)];
        if (!std::isfinite(float(y))) // the model computes in float32
            return Error{TorchTrainer::tr("%1 data: row %2 has a target that is not a finite float number.").arg(what).arg(i + 1)};
        out.target.push_back(float(y));
    }
    return out;
}

// The model input for the rows `index` of an encoded table: [B, D], or [B, L, D] windows for a sequence model.
at::Tensor batchInput(const at::Tensor &table, const std::vector<int64_t> &rows, int sequenceLength)
{
    const auto b = int64_t(rows.size());
    if (sequenceLength <= 1) {
        const at::Tensor idx = torch::from_blob(const_cast<int64_t *>(rows.data()), {b}, torch::kInt64);
        return table.index_select(0, idx); // a copy: idx may go
    }
    std::vector<int64_t> windows;
    windows.reserve(rows.size() * size_t(sequenceLength));
    for (int64_t r : rows)
        InputEncoder::appendWindow(r, sequenceLength, windows);
    const at::Tensor idx = torch::from_blob(windows.data(), {b * sequenceLength}, torch::kInt64);
    return table.index_select(0, idx).view({b, sequenceLength, table.size(1)});
}

Result<at::Tensor> forwardBatch(torch::jit::Module &module, const at::Tensor &input, int64_t expected)
{
    const c10::IValue result = module.forward({input});
    if (!result.isTensor())
        return Error{TorchTrainer::tr("the model returned %1, not a tensor.").arg(QString::fromStdString(result.tagKind()))};
    at::Tensor out = result.toTensor();
    if (out.numel() != expected || (out.dim() == 2 && out.size(1) != 1) || out.dim() > 2)
        return Error{TorchTrainer::tr("the model returned a tensor of shape %1, expected one value per row [%2].")
                         .arg(QString::fromStdString(c10::str(out.sizes())))
                         .arg(expected)};
    return out.reshape({expected}).to(torch::kFloat32);
}

// The scale of the loss: the model's own target scaler when it has one (the demo models de-normalise
// with a y_std buffer), else the standard deviation of the training target. The loss is then a mean
// squared error in scaled units (1.0 = predicting the mean), comparable across models and targets.
double targetScale(torch::jit::Module &module, const std::vector<float> &target)
{
    if (module.hasattr("y_std")) {
        const c10::IValue v = module.attr("y_std");
        if (v.isTensor() && v.toTensor().numel() == 1) {
            const double s = v.toTensor().item<double>();
            if (std::isfinite(s) && s > 0)
                return s;
        }
    }
    double sum = 0, sum2 = 0;
    for (float y : target) {
        sum += y;
        sum2 += double(y) * y;
    }
    const double n = double(target.size());
    const double var = sum2 / n - (sum / n) * (sum / n);
    return var > 1e-12 ? std::sqrt(var) : 1.0;
}

// Re-initialisation (startFromBase = false): weights of dim >= 2 Xavier-uniform, biases zero, 1-D
// weights (normalisation layers) one; buffers (e.g. the target scaler) are kept: they are part of the
// architecture's contract, not learned. Seeded by torch::manual_seed beforehand.
void reinitialise(torch::jit::Module &module)
{
    torch::NoGradGuard noGrad;
    for (const auto &p : module.named_parameters(true)) {
        at::Tensor t = p.value;
        const bool isWeight = QString::fromStdString(p.name).endsWith(QLatin1String("weight"));
        if (t.dim() >= 2)
            torch::nn::init::xavier_uniform_(t);
        else if (isWeight)
            torch::nn::init::ones_(t);
        else
            torch::nn::init::zeros_(t);
    }
}

std::vector<at::Tensor> snapshot(torch::jit::Module &module)
{
    std::vector<at::Tensor> copy;
    for (const at::Tensor &p : module.parameters(true))
        copy.push_back(p.detach().clone());
    for (const at::Tensor &b : module.buffers(true))
        copy.push_back(b.detach().clone());
    return copy;
}

void restore(torch::jit::Module &module, const std::vector<at::Tensor> &copy)
{
    torch::NoGradGuard noGrad;
    size_t i = 0;
    for (at::Tensor p : module.parameters(true))
        p.copy_(copy[i++]);
    for (at::Tensor b : module.buffers(true))
        b.copy_(copy[i++]);
}

struct Validation
{
    double loss = 0;
    double mae = 0;
    bool cancelled = false;
};

Result<Validation> validate(torch::jit::Module &module, const at::Tensor &table, const std::vector<float> &target,
                            int sequenceLength, double scale, const std::atomic<bool> *cancel)
{
    torch::NoGradGuard noGrad;
    module.eval();
    Validation v;
    const auto n = qint64(target.size());
    double sq = 0, abs = 0;
    std::vector<int64_t> rows;
    for (qint64 begin = 0; begin < n; begin += kValidationBatch) {
        if (cancel && cancel->load()) {
            v.cancelled = true;
            return v;
        }
        const qint64 end = std::min(n, begin + kValidationBatch);
        rows.clear();
        for (qint64 i = begin; i < end; ++i)
            rows.push_back(i);
        auto out = forwardBatch(module, batchInput(table, rows, sequenceLength), end - begin);
        if (!out)
            return out.error();
        const at::Tensor pred = out.value().to(torch::kFloat64).contiguous();
        const double *p = pred.data_ptr<double>();
        for (qint64 i = begin; i < end; ++i) {
            const double err = p[i - begin] - double(target[size_t(i)]);
            sq += err * err;
            abs += std::abs(err);
        }
    }
    v.loss = sq / double(n) / (scale * scale);
    v.mae = abs / double(n);
    return v;
}

QString lossKind(double loss)
{
    return std::isnan(loss) ? QStringLiteral("NaN") : QStringLiteral("infinite");
}

QJsonObject updatedMetadata(const ModelInfo &base, const QString &newVersion, qint64 trainRows,
                            qint64 validationRows, const TrainingParams &params, const TrainingResult &result)
{
    QJsonObject root = QJsonDocument::fromJson(base.metadataJson).object();
    QJsonObject model = root.value(QLatin1String("model")).toObject();
    model.insert(QStringLiteral("version"), newVersion);
    root.insert(QStringLiteral("model"), model);
    const EpochReport &best = result.history.at(size_t(result.bestEpoch - 1));
    // The base model's training block describes other data: replaced, holdout figures left to the caller.
    QJsonObject training;
    training.insert(QStringLiteral("rows"), double(trainRows));
    training.insert(QStringLiteral("validation_rows"), double(validationRows));
    training.insert(QStringLiteral("base_version"), base.version);
    training.insert(QStringLiteral("params"), params.toJson());
    training.insert(QStringLiteral("epochs_run"), int(result.history.size()));
    training.insert(QStringLiteral("best_epoch"), result.bestEpoch);
    training.insert(QStringLiteral("validation_loss"), best.validationLoss);
    training.insert(QStringLiteral("validation_mae"), best.validationMae);
    training.insert(QStringLiteral("trained_at"),
                    QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    training.insert(QStringLiteral("script"), QStringLiteral("MLDeck core/ml/Trainer.cpp"));
    root.insert(QStringLiteral("training"), training);
    return root;
}

// The training run itself; exceptions escape to trainModel, which turns them into Errors.
class Run final
{
public:
    Run(const TrainingParams &params, const TrainingOptions &options) : m_params(params), m_options(options) {}
    Q_DISABLE_COPY_MOVE(Run)

    Result<TrainingResult> execute(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                   const Dataset &validation, const QString &newVersion, const QString &outputPath);

private:
    bool cancelled() const { return m_options.cancel && m_options.cancel->load(); }

    const TrainingParams &m_params;
    const TrainingOptions &m_options;
};

Result<TrainingResult> Run::execute(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                    const Dataset &validation, const QString &newVersion, const QString &outputPath)
{
    TrainingResult result;
    QElapsedTimer clock;
    clock.start();

    // The base: a private copy (every load is one), its metadata is the schema and scaler we train with.
    torch::jit::ExtraFilesMap extra{{"mldeck.json", kAbsent}};
    torch::jit::Module module;
    try {
        std::istringstream stream(baseBytes.toStdString());
        module = torch::jit::load(stream, torch::kCPU, extra);
    } catch (const c10::Error &e) {
        return Error{TorchTrainer::tr("%1 is not a TorchScript model file: %2").arg(basePath, torchMessage(e))};
    }
    ModelInfo base;
    if (extra["mldeck.json"] == kAbsent)
        return Error{TorchTrainer::tr("Model %1 has no mldeck.json metadata: MLDeck needs its feature schema and scaler to "
                        "train it.")
                         .arg(basePath)};
    if (const Status parsed = parseModelMetadata(QByteArray::fromStdString(extra["mldeck.json"]), base); !parsed)
        return Error{TorchTrainer::tr("%1: %2").arg(basePath, parsed.errorMessage())};
    base.path = basePath;

    const InputEncoder encoder(base);
    auto trainData = encodeDataset(train, base, encoder, TorchTrainer::tr("training"));
    if (!trainData)
        return trainData.error();
    auto validData = encodeDataset(validation, base, encoder, TorchTrainer::tr("validation"));
    if (!validData)
        return validData.error();
    if (cancelled()) {
        result.cancelled = true;
        return result;
    }

    const int width = encoder.width();
    const int length = base.sequenceLength;
    const qint64 n = trainData->rows;
    const at::Tensor trainTable = torch::from_blob(trainData.value().table.data(), {n, width}, torch::kFloat32);
    const at::Tensor trainTarget = torch::from_blob(trainData.value().target.data(), {n}, torch::kFloat32);
    const at::Tensor validTable =
        torch::from_blob(validData.value().table.data(), {validData->rows, width}, torch::kFloat32);

    // One seed drives everything random: the re-initialisation, dropout (torch's global generator) and
    // the shuffling (our own generator, so the order does not depend on what torch drew before).
    torch::manual_seed(m_params.seed);
    if (!m_params.startFromBase)
        reinitialise(module);
    std::vector<at::Tensor> parameters;
    for (at::Tensor p : module.parameters(true)) {
        p.requires_grad_(true);
        parameters.push_back(p);
    }
    if (parameters.empty())
        return Error{TorchTrainer::tr("Model %1 has no trainable parameters.").arg(base.name)};
    const double scale = targetScale(module, trainData->target);
    const float invScale = float(1.0 / scale);

    double learningRate = m_params.learningRate;
    torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(learningRate));
    std::mt19937_64 shuffler(m_params.seed);
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (qint64 i = 0; i < n; ++i)
        order[size_t(i)] = i;

    const qint64 batch = std::min<qint64>(m_params.batchSize, n);
    const qint64 batches = (n + batch - 1) / batch;
    const int epochs = m_params.epochs;
    double bestLoss = std::numeric_limits<double>::infinity();
    std::vector<at::Tensor> bestWeights;
    int sinceImprovement = 0;
    int sincePlateauStep = 0;
    qint64 trainedSamples = 0;
    qint64 trainingNs = 0;
    std::vector<int64_t> rows;

    for (int epoch = 1; epoch <= epochs; ++epoch) {
        module.train(true);
        std::shuffle(order.begin(), order.end(), shuffler);
        double lossSum = 0;
        QElapsedTimer epochClock;
        epochClock.start();
        for (qint64 b = 0; b < batches; ++b) {
            if (cancelled()) {
                result.cancelled = true;
                return result;
            }
            const qint64 begin = b * batch;
            const qint64 end = std::min(n, begin + batch);
            rows.assign(order.begin() + begin, order.begin() + end);
            const at::Tensor input = batchInput(trainTable, rows, length);
            const at::Tensor idx = torch::from_blob(rows.data(), {end - begin}, torch::kInt64);
            const at::Tensor y = trainTarget.index_select(0, idx);

            optimizer.zero_grad();
            auto out = forwardBatch(module, input, end - begin);
            if (!out)
                return Error{TorchTrainer::tr("Model %1: %2").arg(base.name, out.errorMessage())};
            const at::Tensor loss = ((out.value() - y) * invScale).pow(2).mean();
            const double value = loss.item<double>();
            if (!std::isfinite(value))
                return Error{TorchTrainer::tr("training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate")
                                 .arg(lossKind(value))
                                 .arg(epoch)
                                 .arg(b + 1)};
            loss.backward();
            optimizer.step();
            lossSum += value * double(end - begin);
            trainedSamples += end - begin;
            if (m_options.progress)
                m_options.progress((double(epoch - 1) + double(b + 1) / double(batches)) / double(epochs));
        }
        const qint64 epochNs = epochClock.nsecsElapsed();
        trainingNs += epochNs;

        auto checked = validate(module, validTable, validData->target, length, scale, m_options.cancel);
        if (!checked)
            return Error{TorchTrainer::tr("Model %1 (validation): %2").arg(base.name, checked.errorMessage())};
        if (checked->cancelled) {
            result.cancelled = true;
            return result;
        }
        if (!std::isfinite(checked->loss))
            return Error{TorchTrainer::tr("training diverged: validation loss is %1 after epoch %2; try a lower learning rate")
                             .arg(lossKind(checked->loss))
                             .arg(epoch)};

        EpochReport report;
        report.epoch = epoch;
        report.epochs = epochs;
        report.trainLoss = lossSum / double(n);
        report.validationLoss = checked->loss;
        report.validationMae = checked->mae;
        report.learningRate = learningRate;
        report.elapsedSeconds = double(clock.nsecsElapsed()) / 1e9;
        report.secondsLeft = report.elapsedSeconds / epoch * (epochs - epoch);
        report.samplesPerSecond = epochNs > 0 ? double(n) * 1e9 / double(epochNs) : 0;
        result.history.push_back(report);

        if (checked->loss < bestLoss) {
            bestLoss = checked->loss;
            result.bestEpoch = epoch;
            bestWeights = snapshot(module);
            sinceImprovement = 0;
            sincePlateauStep = 0;
        } else {
            ++sinceImprovement;
            ++sincePlateauStep;
        }
        const bool stopEarly = m_params.earlyStoppingPatience > 0 && sinceImprovement >= m_params.earlyStoppingPatience;
        if (stopEarly)
            report.secondsLeft = 0;
        if (m_options.epochDone)
            m_options.epochDone(report);
        if (stopEarly)
            break;
        // Plateau: like torch's ReduceLROnPlateau(mode="min"), the count restarts after each reduction.
        if (m_params.plateauPatience > 0 && sincePlateauStep >= m_params.plateauPatience) {
            learningRate *= m_params.plateauFactor;
            for (auto &group : optimizer.param_groups())
                static_cast<torch::optim::AdamOptions &>(group.options()).lr(learningRate);
            sincePlateauStep = 0;
        }
    }
    if (cancelled()) {
        result.cancelled = true;
        return result;
    }
    restore(module, bestWeights);
    module.eval();
    result.samplesPerSecond = trainingNs > 0 ? double(trainedSamples) * 1e9 / double(trainingNs) : 0;

    // Write: temporary file next to the target, flushed, checked by loading it as MLDeck will, renamed.
    const QJsonObject meta = updatedMetadata(base, newVersion, n, validData->rows, m_params, result);
    const QByteArray metaJson = QJsonDocument(meta).toJson(QJsonDocument::Indented);
    const QString suffix = QString::number(QRandomGenerator::global()->generate64() & 0xffffffffffffULL, 16);
    TempFile temp(outputPath + QStringLiteral(".tmp-") + suffix);
    module.save(QFile::encodeName(temp.path()).toStdString(),
                torch::jit::ExtraFilesMap{{"mldeck.json", metaJson.toStdString()}});
    {
        QFile written(temp.path());
        if (!written.open(QIODevice::ReadWrite) || ::fsync(written.handle()) != 0)
            return Error{TorchTrainer::tr("Cannot write the trained model to %1: %2").arg(temp.path(), written.errorString())};
    }
    QFile back(temp.path());
    if (!back.open(QIODevice::ReadOnly))
        return Error{TorchTrainer::tr("The trained model does not load back: %1").arg(back.errorString())};
    const QByteArray written = back.readAll();
    auto check = TorchModel::load(written, temp.path());
    if (!check)
        return Error{TorchTrainer::tr("The trained model does not load back: %1").arg(check.errorMessage())};
    const qint64 probeRows = std::min<qint64>(validation.rowCount(), std::max(8, length + 1));
    std::vector<float> probe(size_t(probeRows) * size_t(width));
    if (const Status encoded = encoder.encode(validation.featureRows(base.schema.numericNames(),
                                                                     base.schema.categoricalNames(), 0, probeRows),
                                              probe.data());
        !encoded)
        return Error{TorchTrainer::tr("The trained model does not predict: %1").arg(encoded.errorMessage())};
    auto predicted = check.value()->predict(probe.data(), probeRows, width);
    if (!predicted)
        return Error{TorchTrainer::tr("The trained model does not predict: %1").arg(predicted.errorMessage())};
    if (cancelled()) {
        result.cancelled = true;
        return result;
    }
    if (::rename(QFile::encodeName(temp.path()).constData(), QFile::encodeName(outputPath).constData()) != 0)
        return Error{TorchTrainer::tr("Cannot move the trained model to %1: %2")
                         .arg(outputPath, QString::fromLocal8Bit(std::strerror(errno)))};
    temp.release();
    result.info = check.value()->info();
    result.info.path = outputPath;
    result.info.sha256 = QCryptographicHash::hash(written, QCryptographicHash::Sha256).toHex();
    return result;
}

} // namespace

Result<TrainingResult> TorchTrainer::train(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                           const Dataset &validation, const TrainingParams &params,
                                           const QString &newVersion, const QString &outputPath,
                                           const TrainingOptions &options)
{
    const ThreadsGuard threads(params.threads);
    Run run(params, options);
    try {
        return run.execute(baseBytes, basePath, train, validation, newVersion, outputPath);
    } catch (const std::bad_alloc &) {
        return outOfMemory();
    } catch (const std::exception &e) {
        const QString message = torchMessage(e);
        if (looksLikeOutOfMemory(message))
            return outOfMemory();
        return Error{TorchTrainer::tr("Training failed: %1").arg(message)};
    } catch (...) {
        return Error{TorchTrainer::tr("Training failed with an unknown error.")};
    }
}

} // namespace mldeck
