// The parts both trainers share: loading the base, the classifier's loss and decisions, class
// weights, the best-epoch snapshot, the learning-rate schedule and writing the trained file.
#include "core/ml/torch/TrainingParts.h"

#include "core/ml/torch/TorchMessage.h"
#include "core/ml/torch/TorchModel.h"
#include "core/ml/torch/TorchTrainer.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <ATen/Parallel.h>
#include <torch/nn/init.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <unistd.h>

namespace mldeck::training {

namespace {

const std::string kAbsent("\0absent", 7); // "no such extra file" (see TorchModel.cpp)

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

} // namespace

Error outOfMemory()
{
    return Error{TorchTrainer::tr("Training ran out of memory; try a smaller batch size or fewer training rows.")};
}

Error failure(const std::exception &e)
{
    const QString message = torchMessage(e);
    if (looksLikeOutOfMemory(message))
        return outOfMemory();
    return Error{TorchTrainer::tr("Training failed: %1").arg(message)};
}

Error failure()
{
    return Error{TorchTrainer::tr("Training failed with an unknown error.")};
}

ThreadsGuard::ThreadsGuard(int threads) : m_before(at::get_num_threads())
{
    if (threads > 0)
        at::set_num_threads(threads);
}

ThreadsGuard::~ThreadsGuard()
{
    at::set_num_threads(m_before);
}

Task::Task(const ModelInfo &info)
    : classifier(info.task == QLatin1String("classification")), classes(info.classSpec.count()),
      logits(info.outputsLogits), spec(info.classSpec)
{
}

Result<torch::jit::Module> loadBase(const QByteArray &baseBytes, const QString &basePath, ModelInfo &info)
{
    torch::jit::ExtraFilesMap extra{{"mldeck.json", kAbsent}};
    torch::jit::Module module;
    try {
        std::istringstream stream(baseBytes.toStdString());
        module = torch::jit::load(stream, torch::kCPU, extra);
    } catch (const c10::Error &e) {
        return Error{TorchTrainer::tr("%1 is not a TorchScript model file: %2").arg(basePath, torchMessage(e))};
    }
    if (extra["mldeck.json"] == kAbsent)
        return Error{
            TorchTrainer::tr("Model %1 has no mldeck.json metadata: MLDeck needs its feature schema and scaler to "
                             "train it.")
                .arg(basePath)};
    if (const Status parsed = parseModelMetadata(QByteArray::fromStdString(extra["mldeck.json"]), info); !parsed)
        return Error{TorchTrainer::tr("%1: %2").arg(basePath, parsed.errorMessage())};
    info.path = basePath;
    return module;
}

Result<at::Tensor> forwardBatch(torch::jit::Module &module, const at::Tensor &input, int64_t expected, int width)
{
    const c10::IValue result = module.forward({input});
    if (!result.isTensor())
        return Error{
            TorchTrainer::tr("the model returned %1, not a tensor.").arg(QString::fromStdString(result.tagKind()))};
    at::Tensor out = result.toTensor();
    if (width > 1) {
        if (out.dim() != 2 || out.size(0) != expected || out.size(1) != width)
            return Error{
                TorchTrainer::tr("the model returned a tensor of shape %1, expected one score per class [%2, %3].")
                    .arg(QString::fromStdString(c10::str(out.sizes())))
                    .arg(expected)
                    .arg(width)};
        return out.to(torch::kFloat32);
    }
    if (out.numel() != expected || (out.dim() == 2 && out.size(1) != 1) || out.dim() > 2)
        return Error{TorchTrainer::tr("the model returned a tensor of shape %1, expected one value per row [%2].")
                         .arg(QString::fromStdString(c10::str(out.sizes())))
                         .arg(expected)};
    return out.reshape({expected}).to(torch::kFloat32);
}

at::Tensor trueClassLogProbability(const at::Tensor &out, const at::Tensor &label, const Task &task)
{
    if (task.classes == 2) {
        at::Tensor logPositive, logNegative;
        if (task.logits) {
            logPositive = torch::log_sigmoid(out);
            logNegative = torch::log_sigmoid(-out);
        } else {
            const at::Tensor p = out.clamp(kProbabilityFloor, 1.0 - kProbabilityFloor);
            logPositive = p.log();
            logNegative = (-p).log1p();
        }
        return torch::where(label == 1, logPositive, logNegative);
    }
    const at::Tensor logP = task.logits ? torch::log_softmax(out, 1) : out.clamp(kProbabilityFloor, 1.0).log();
    return logP.gather(1, label.unsqueeze(1)).squeeze(1);
}

std::vector<int> decidedClasses(const at::Tensor &out, const Task &task)
{
    at::Tensor p;
    if (task.classes == 2) {
        const at::Tensor positive = task.logits ? torch::sigmoid(out) : out;
        p = torch::stack({1.0 - positive, positive}, 1);
    } else {
        p = task.logits ? torch::softmax(out, 1) : out;
    }
    p = p.to(torch::kFloat32).contiguous();
    const float *data = p.data_ptr<float>();
    std::vector<int> decided(size_t(p.size(0)));
    for (int64_t i = 0; i < p.size(0); ++i)
        decided[size_t(i)] = task.spec.decide(std::span<const float>(data + i * task.classes, size_t(task.classes)));
    return decided;
}

Result<std::vector<double>> classWeightsFor(const TrainingParams &params, const Task &task,
                                            const std::vector<qint64> &counts)
{
    std::vector<double> weights(size_t(task.classes), 1.0);
    if (params.balancedClassWeights) {
        qint64 total = 0;
        for (qint64 c : counts)
            total += c;
        for (int c = 0; c < task.classes; ++c)
            if (counts[size_t(c)] > 0) // an absent class never enters the loss: its weight does not matter
                weights[size_t(c)] = double(total) / (double(task.classes) * double(counts[size_t(c)]));
    } else if (!params.classWeights.empty()) {
        if (int(params.classWeights.size()) != task.classes)
            return Error{TorchTrainer::tr("%n class weight(s) given for a model with %1 classes.", nullptr,
                                          int(params.classWeights.size()))
                             .arg(task.classes)};
        weights = params.classWeights;
    }
    return weights;
}

// Weights of dim >= 2 Xavier-uniform, biases zero, 1-D weights (normalisation layers) one; buffers (e.g.
// the target scaler) are kept: they are part of the architecture's contract, not learned.
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

Result<std::vector<at::Tensor>> trainableParameters(torch::jit::Module &module, const QString &modelName)
{
    std::vector<at::Tensor> parameters;
    for (at::Tensor p : module.parameters(true)) {
        p.requires_grad_(true);
        parameters.push_back(p);
    }
    if (parameters.empty())
        return Error{TorchTrainer::tr("Model %1 has no trainable parameters.").arg(modelName)};
    return parameters;
}

QString lossKind(double loss)
{
    return std::isnan(loss) ? QStringLiteral("NaN") : QStringLiteral("infinite");
}

bool Schedule::improved(double validationLoss)
{
    if (validationLoss < m_bestLoss) {
        m_bestLoss = validationLoss;
        m_sinceImprovement = 0;
        m_sincePlateauStep = 0;
        return true;
    }
    ++m_sinceImprovement;
    ++m_sincePlateauStep;
    return false;
}

bool Schedule::stopEarly() const
{
    return m_params.earlyStoppingPatience > 0 && m_sinceImprovement >= m_params.earlyStoppingPatience;
}

void Schedule::reduceOnPlateau(torch::optim::Optimizer &optimizer)
{
    if (m_params.plateauPatience <= 0 || m_sincePlateauStep < m_params.plateauPatience)
        return;
    m_learningRate *= m_params.plateauFactor;
    for (auto &group : optimizer.param_groups())
        static_cast<torch::optim::AdamOptions &>(group.options()).lr(m_learningRate);
    m_sincePlateauStep = 0;
}

QJsonObject updatedMetadata(const ModelInfo &base, const QString &newVersion, qint64 trainRows, qint64 validationRows,
                            const TrainingParams &params, const TrainingResult &result,
                            const std::vector<double> &classWeights, const QJsonObject &extra)
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
    if (best.validationAccuracy) {
        // A classifier keeps its classes, decision threshold and output kind (the base's keys, copied above).
        training.insert(QStringLiteral("loss"), base.classSpec.isBinary() ? QStringLiteral("binary_cross_entropy")
                                                                          : QStringLiteral("cross_entropy"));
        training.insert(QStringLiteral("validation_accuracy"), *best.validationAccuracy);
        QJsonArray weights;
        for (double w : classWeights)
            weights.append(w);
        training.insert(QStringLiteral("class_weights"), weights);
    } else {
        training.insert(QStringLiteral("validation_mae"), best.validationMae);
    }
    training.insert(QStringLiteral("trained_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    training.insert(QStringLiteral("script"), QStringLiteral("MLDeck core/ml/Trainer.cpp"));
    for (auto it = extra.begin(); it != extra.end(); ++it)
        training.insert(it.key(), it.value());
    root.insert(QStringLiteral("training"), training);
    return root;
}

Result<std::optional<ModelInfo>> writeTrainedModel(torch::jit::Module &module, const QJsonObject &metadata,
                                                   const QString &outputPath,
                                                   const std::function<Status(TorchModel &)> &probe,
                                                   const std::function<bool()> &cancelled)
{
    const QByteArray metaJson = QJsonDocument(metadata).toJson(QJsonDocument::Indented);
    const QString suffix = QString::number(QRandomGenerator::global()->generate64() & 0xffffffffffffULL, 16);
    TempFile temp(outputPath + QStringLiteral(".tmp-") + suffix);
    module.save(QFile::encodeName(temp.path()).toStdString(),
                torch::jit::ExtraFilesMap{{"mldeck.json", metaJson.toStdString()}});
    {
        QFile written(temp.path());
        if (!written.open(QIODevice::ReadWrite) || ::fsync(written.handle()) != 0)
            return Error{
                TorchTrainer::tr("Cannot write the trained model to %1: %2").arg(temp.path(), written.errorString())};
    }
    QFile back(temp.path());
    if (!back.open(QIODevice::ReadOnly))
        return Error{TorchTrainer::tr("The trained model does not load back: %1").arg(back.errorString())};
    const QByteArray written = back.readAll();
    auto check = TorchModel::load(written, temp.path());
    if (!check)
        return Error{TorchTrainer::tr("The trained model does not load back: %1").arg(check.errorMessage())};
    if (const Status probed = probe(*check.value()); !probed)
        return Error{TorchTrainer::tr("The trained model does not predict: %1").arg(probed.errorMessage())};
    if (cancelled())
        return std::optional<ModelInfo>{};
    if (::rename(QFile::encodeName(temp.path()).constData(), QFile::encodeName(outputPath).constData()) != 0)
        return Error{TorchTrainer::tr("Cannot move the trained model to %1: %2")
                         .arg(outputPath, QString::fromLocal8Bit(std::strerror(errno)))};
    temp.release();
    ModelInfo info = check.value()->info();
    info.path = outputPath;
    info.sha256 = QCryptographicHash::hash(written, QCryptographicHash::Sha256).toHex();
    return std::optional<ModelInfo>{std::move(info)};
}

} // namespace mldeck::training
