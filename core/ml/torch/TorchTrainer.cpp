// Training with LibTorch, inside the model worker: the second translation unit that includes torch.
// How it works, and why: resources/contract/training.md.
#include "core/ml/torch/TorchTrainer.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/torch/TorchModel.h"
#include "core/ml/torch/TrainingParts.h"

#include <QElapsedTimer>

#include <torch/optim/adam.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <random>

namespace mldeck {

using namespace training;

namespace {

constexpr qint64 kEncodeChunk = 8192;     // rows turned into FeatureRows at a time (bounded memory)
constexpr qint64 kValidationBatch = 4096; // evaluation batch: no gradients, larger is fine

struct Encoded
{
    std::vector<float> table;
    std::vector<float> target;
    std::vector<int64_t> label;
    qint64 rows = 0;
};

Result<Encoded> encodeDataset(const Dataset &data, const ModelInfo &info, const InputEncoder &encoder,
                              const QString &what)
{
    const Task task(info);
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
            return Error{TorchTrainer::tr("%1 data: row %2 has a target that is not a finite float number.")
                             .arg(what)
                             .arg(i + 1)};
        out.target.push_back(float(y));
        if (task.classifier) {
            if (y != std::floor(y) || y < 0 || y >= task.classes)
                return Error{TorchTrainer::tr("%1 data: row %2 has the label %3, which is not a class index of model "
                                              "%4 (0 to %5).")
                                 .arg(what)
                                 .arg(i + 1)
                                 .arg(y)
                                 .arg(info.name)
                                 .arg(task.classes - 1)};
            out.label.push_back(int64_t(y));
        }
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

struct Validation
{
    double loss = 0;
    double mae = 0;
    std::optional<double> accuracy;
    bool cancelled = false;
};

// A classifier's validation: the class-weighted cross-entropy (the training objective) and the accuracy.
Result<Validation> validateClassifier(torch::jit::Module &module, const at::Tensor &table,
                                      const std::vector<int64_t> &labels, int sequenceLength, const Task &task,
                                      const at::Tensor &classWeights, const std::atomic<bool> *cancel)
{
    torch::NoGradGuard noGrad;
    module.eval();
    Validation v;
    const auto n = qint64(labels.size());
    double lossSum = 0, weightSum = 0;
    qint64 hits = 0;
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
        auto out = forwardBatch(module, batchInput(table, rows, sequenceLength), end - begin, task.width());
        if (!out)
            return out.error();
        const at::Tensor label =
            torch::from_blob(const_cast<int64_t *>(labels.data()) + begin, {end - begin}, torch::kInt64);
        const at::Tensor w = classWeights.index_select(0, label);
        lossSum -= (trueClassLogProbability(out.value(), label, task).to(torch::kFloat64) * w.to(torch::kFloat64))
                       .sum()
                       .item<double>();
        weightSum += w.to(torch::kFloat64).sum().item<double>();
        const std::vector<int> decided = decidedClasses(out.value(), task);
        for (qint64 i = begin; i < end; ++i)
            hits += decided[size_t(i - begin)] == labels[size_t(i)] ? 1 : 0;
    }
    v.loss = lossSum / weightSum;
    v.accuracy = double(hits) / double(n);
    return v;
}

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

// The training run, in the order execute() takes its steps: load the base model, encode the data, set
// the seed and the optimiser, train epoch by epoch keeping the best weights, write the model. A step
// that sees the cancel flag marks the result cancelled and the run stops there. Exceptions escape to
// TorchTrainer::train, which turns them into Errors.
class Run final
{
public:
    Run(const TrainingParams &params, const TrainingOptions &options) : m_params(params), m_options(options) {}
    Q_DISABLE_COPY_MOVE(Run)

    Result<TrainingResult> execute(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                   const Dataset &validation, const QString &newVersion, const QString &outputPath);

private:
    bool cancelled() const { return m_options.cancel && m_options.cancel->load(); }
    bool stopIfCancelled()
    {
        m_result.cancelled = m_result.cancelled || cancelled();
        return m_result.cancelled;
    }

    Status loadBase(const QByteArray &baseBytes, const QString &basePath);
    Status encode(const Dataset &train, const Dataset &validation);
    Status prepare();
    Status trainEpochs();
    Status trainBatches(int epoch, double &lossSum);
    Status validateEpoch(int epoch, double lossSum, qint64 epochNs, bool &stopEarly);
    Status write(const Dataset &validation, const QString &newVersion, const QString &outputPath);

    const TrainingParams &m_params;
    const TrainingOptions &m_options;
    TrainingResult m_result;
    QElapsedTimer m_clock;

    // The base model: a private copy (every load is one); its metadata is the schema and scaler we train with.
    torch::jit::Module m_module;
    ModelInfo m_base;
    std::optional<InputEncoder> m_encoder;
    std::optional<Task> m_task;

    // The data, encoded once; the tensors view the vectors' memory.
    Encoded m_train;
    Encoded m_valid;
    at::Tensor m_trainTable;
    at::Tensor m_trainTarget;
    at::Tensor m_validTable;
    at::Tensor m_trainLabel;            // a classifier's: class indices
    std::vector<double> m_classWeights; // a classifier's: per class
    at::Tensor m_classWeightTensor;     // the same, float32

    // The optimisation.
    std::unique_ptr<torch::optim::Adam> m_optimizer;
    std::optional<Schedule> m_schedule;
    double m_scale = 1;
    std::mt19937_64 m_shuffler;
    std::vector<int64_t> m_order;
    std::vector<int64_t> m_rows; // the rows of the batch at hand
    qint64 m_batch = 0;
    qint64 m_batches = 0;

    // Progress: the weights of the best epoch so far.
    std::vector<at::Tensor> m_bestWeights;
    qint64 m_trainedSamples = 0;
    qint64 m_trainingNs = 0;
};

Result<TrainingResult> Run::execute(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                    const Dataset &validation, const QString &newVersion, const QString &outputPath)
{
    m_clock.start();
    if (const Status loaded = loadBase(baseBytes, basePath); !loaded)
        return loaded.error();
    if (const Status encoded = encode(train, validation); !encoded)
        return encoded.error();
    if (stopIfCancelled())
        return m_result;
    if (const Status prepared = prepare(); !prepared)
        return prepared.error();
    if (const Status trained = trainEpochs(); !trained)
        return trained.error();
    if (stopIfCancelled())
        return m_result;
    restore(m_module, m_bestWeights);
    m_module.eval();
    m_result.samplesPerSecond = m_trainingNs > 0 ? double(m_trainedSamples) * 1e9 / double(m_trainingNs) : 0;
    if (const Status written = write(validation, newVersion, outputPath); !written)
        return written.error();
    return m_result;
}

Status Run::loadBase(const QByteArray &baseBytes, const QString &basePath)
{
    auto module = training::loadBase(baseBytes, basePath, m_base);
    if (!module)
        return module.error();
    m_module = std::move(module).value();
    m_encoder.emplace(m_base);
    m_task.emplace(m_base);
    if (!m_task->classifier && (m_params.balancedClassWeights || !m_params.classWeights.empty()))
        return Error{TorchTrainer::tr("Class weights apply to a classifier only; model %1 is a %2 model.")
                         .arg(m_base.name, m_base.task)};
    return {};
}

Status Run::encode(const Dataset &train, const Dataset &validation)
{
    auto trainData = encodeDataset(train, m_base, *m_encoder, TorchTrainer::tr("training"));
    if (!trainData)
        return trainData.error();
    auto validData = encodeDataset(validation, m_base, *m_encoder, TorchTrainer::tr("validation"));
    if (!validData)
        return validData.error();
    m_train = std::move(trainData).value();
    m_valid = std::move(validData).value();
    const int width = m_encoder->width();
    m_trainTable = torch::from_blob(m_train.table.data(), {m_train.rows, width}, torch::kFloat32);
    m_trainTarget = torch::from_blob(m_train.target.data(), {m_train.rows}, torch::kFloat32);
    m_validTable = torch::from_blob(m_valid.table.data(), {m_valid.rows, width}, torch::kFloat32);
    if (m_task->classifier) {
        m_trainLabel = torch::from_blob(m_train.label.data(), {m_train.rows}, torch::kInt64);
        std::vector<qint64> counts(size_t(m_task->classes), 0);
        for (int64_t c : m_train.label)
            ++counts[size_t(c)];
        auto weights = classWeightsFor(m_params, *m_task, counts);
        if (!weights)
            return weights.error();
        m_classWeights = std::move(weights).value();
        m_classWeightTensor = torch::tensor(std::vector<float>(m_classWeights.begin(), m_classWeights.end()));
    }
    return {};
}

Status Run::prepare()
{
    // One seed drives everything random: the re-initialisation, dropout (torch's global generator) and
    // the shuffling (our own generator, so the order does not depend on what torch drew before).
    torch::manual_seed(m_params.seed);
    if (!m_params.startFromBase)
        reinitialise(m_module);
    auto parameters = trainableParameters(m_module, m_base.name);
    if (!parameters)
        return parameters.error();
    if (!m_task->classifier)
        m_scale = targetScale(m_module, m_train.target);
    m_schedule.emplace(m_params);
    m_optimizer =
        std::make_unique<torch::optim::Adam>(parameters.value(), torch::optim::AdamOptions(m_params.learningRate));
    m_shuffler.seed(m_params.seed);
    m_order.resize(size_t(m_train.rows));
    for (qint64 i = 0; i < m_train.rows; ++i)
        m_order[size_t(i)] = i;
    m_batch = std::min<qint64>(m_params.batchSize, m_train.rows);
    m_batches = (m_train.rows + m_batch - 1) / m_batch;
    return {};
}

Status Run::trainEpochs()
{
    for (int epoch = 1; epoch <= m_params.epochs; ++epoch) {
        QElapsedTimer epochClock;
        epochClock.start();
        double lossSum = 0;
        if (const Status trained = trainBatches(epoch, lossSum); !trained || m_result.cancelled)
            return trained;
        const qint64 epochNs = epochClock.nsecsElapsed();
        m_trainingNs += epochNs;
        bool stopEarly = false;
        if (const Status validated = validateEpoch(epoch, lossSum, epochNs, stopEarly);
            !validated || m_result.cancelled)
            return validated;
        if (stopEarly)
            break;
        m_schedule->reduceOnPlateau(*m_optimizer);
    }
    return {};
}

// One pass over the training rows in a fresh shuffled order; lossSum adds up the loss of every row.
Status Run::trainBatches(int epoch, double &lossSum)
{
    m_module.train(true);
    std::shuffle(m_order.begin(), m_order.end(), m_shuffler);
    const qint64 n = m_train.rows;
    const float invScale = float(1.0 / m_scale);
    for (qint64 b = 0; b < m_batches; ++b) {
        if (stopIfCancelled())
            return {};
        const qint64 begin = b * m_batch;
        const qint64 end = std::min(n, begin + m_batch);
        m_rows.assign(m_order.begin() + begin, m_order.begin() + end);
        const at::Tensor input = batchInput(m_trainTable, m_rows, m_base.sequenceLength);
        const at::Tensor idx = torch::from_blob(m_rows.data(), {end - begin}, torch::kInt64);

        m_optimizer->zero_grad();
        auto out = forwardBatch(m_module, input, end - begin, m_task->width());
        if (!out)
            return Error{TorchTrainer::tr("Model %1: %2").arg(m_base.name, out.errorMessage())};
        at::Tensor loss;
        if (m_task->classifier) {
            // Cross-entropy weighted by class, normalised by the weights (as torch's cross_entropy with weight).
            const at::Tensor label = m_trainLabel.index_select(0, idx);
            const at::Tensor w = m_classWeightTensor.index_select(0, label);
            loss = -(trueClassLogProbability(out.value(), label, *m_task) * w).sum() / w.sum();
        } else {
            const at::Tensor y = m_trainTarget.index_select(0, idx);
            loss = ((out.value() - y) * invScale).pow(2).mean();
        }
        const double value = loss.item<double>();
        if (!std::isfinite(value))
            return Error{
                TorchTrainer::tr("training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate")
                    .arg(lossKind(value))
                    .arg(epoch)
                    .arg(b + 1)};
        loss.backward();
        m_optimizer->step();
        lossSum += value * double(end - begin);
        m_trainedSamples += end - begin;
        if (m_options.progress)
            m_options.progress((double(epoch - 1) + double(b + 1) / double(m_batches)) / double(m_params.epochs));
    }
    return {};
}

// The epoch's validation: its report, the best weights kept, and early stopping (stopEarly).
Status Run::validateEpoch(int epoch, double lossSum, qint64 epochNs, bool &stopEarly)
{
    auto checked = m_task->classifier ? validateClassifier(m_module, m_validTable, m_valid.label, m_base.sequenceLength,
                                                           *m_task, m_classWeightTensor, m_options.cancel)
                                      : validate(m_module, m_validTable, m_valid.target, m_base.sequenceLength, m_scale,
                                                 m_options.cancel);
    if (!checked)
        return Error{TorchTrainer::tr("Model %1 (validation): %2").arg(m_base.name, checked.errorMessage())};
    if (checked->cancelled) {
        m_result.cancelled = true;
        return {};
    }
    if (!std::isfinite(checked->loss))
        return Error{
            TorchTrainer::tr("training diverged: validation loss is %1 after epoch %2; try a lower learning rate")
                .arg(lossKind(checked->loss))
                .arg(epoch)};

    const int epochs = m_params.epochs;
    EpochReport report;
    report.epoch = epoch;
    report.epochs = epochs;
    report.trainLoss = lossSum / double(m_train.rows);
    report.validationLoss = checked->loss;
    report.validationMae = checked->mae;
    report.validationAccuracy = checked->accuracy;
    report.learningRate = m_schedule->learningRate();
    report.elapsedSeconds = double(m_clock.nsecsElapsed()) / 1e9;
    report.secondsLeft = report.elapsedSeconds / epoch * (epochs - epoch);
    report.samplesPerSecond = epochNs > 0 ? double(m_train.rows) * 1e9 / double(epochNs) : 0;
    m_result.history.push_back(report);

    if (m_schedule->improved(checked->loss)) {
        m_result.bestEpoch = epoch;
        m_bestWeights = snapshot(m_module);
    }
    stopEarly = m_schedule->stopEarly();
    if (stopEarly)
        report.secondsLeft = 0;
    if (m_options.epochDone)
        m_options.epochDone(report);
    return {};
}

// Write: the best weights with updated metadata; the probe predicts a few validation rows with the file.
Status Run::write(const Dataset &validation, const QString &newVersion, const QString &outputPath)
{
    const QJsonObject meta =
        updatedMetadata(m_base, newVersion, m_train.rows, m_valid.rows, m_params, m_result, m_classWeights);
    const auto probe = [&](TorchModel &model) -> Status {
        const int width = m_encoder->width();
        const qint64 probeRows = std::min<qint64>(validation.rowCount(), std::max(8, m_base.sequenceLength + 1));
        std::vector<float> table(size_t(probeRows) * size_t(width));
        if (const Status encoded = m_encoder->encode(
                validation.featureRows(m_base.schema.numericNames(), m_base.schema.categoricalNames(), 0, probeRows),
                table.data());
            !encoded)
            return encoded;
        auto predicted = model.predict(table.data(), probeRows, width);
        if (!predicted)
            return predicted.error();
        return {};
    };
    auto written = writeTrainedModel(m_module, meta, outputPath, probe, [this] { return stopIfCancelled(); });
    if (!written)
        return written.error();
    if (written->has_value())
        m_result.info = **written;
    return {};
}

} // namespace

Result<TrainingResult> TorchTrainer::train(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                           const Dataset &validation, const TrainingParams &params,
                                           const QString &newVersion, const QString &outputPath,
                                           const TrainingOptions &options)
{
    const ThreadsGuard threads(params.threads);
    Run run(params, options);
    return guarded([&] { return run.execute(baseBytes, basePath, train, validation, newVersion, outputPath); });
}

} // namespace mldeck
