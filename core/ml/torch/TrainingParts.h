#pragma once

// Internal to core/ml/torch: the parts both trainers share (TorchTrainer on encoded tables,
// TorchImageTrainer on images streamed from a store). Included only by .cpp files that include torch.

#include "core/ml/ModelMetadata.h"
#include "core/ml/Trainer.h"

#include <QJsonObject>
#include <QString>

#include <torch/optim/optimizer.h>
#include <torch/script.h>

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace mldeck {

class TorchModel;

namespace training {

inline constexpr double kProbabilityFloor = 1e-7; // float32 probabilities clipped before the log: no infinite loss

Error outOfMemory();

// Restores the process-wide torch thread count when training ends (the worker may predict afterwards).
class ThreadsGuard final
{
public:
    explicit ThreadsGuard(int threads);
    ~ThreadsGuard();
    Q_DISABLE_COPY_MOVE(ThreadsGuard)

private:
    int m_before;
};

// What the model's output is for the loss: one value to regress, or the scores of a classifier's K
// classes (binary: one output, P(positive) or its logit; multi-class: K outputs).
struct Task
{
    bool classifier = false;
    int classes = 0;
    bool logits = false;
    ClassSpec spec;

    explicit Task(const ModelInfo &info);
    // Output values per row: 1 for a regression or binary model, K for a multi-class one.
    int width() const { return classifier && classes > 2 ? classes : 1; }
};

// Loads the base model's bytes with its mldeck.json (refused when absent or invalid).
Result<torch::jit::Module> loadBase(const QByteArray &baseBytes, const QString &basePath, ModelInfo &info);

// The model's output for `expected` rows: [expected] when it gives one value per row ([B] or [B, 1]),
// [expected, width] for a multi-class model.
Result<at::Tensor> forwardBatch(torch::jit::Module &module, const at::Tensor &input, int64_t expected, int width = 1);

// ln P(true class) per row from a classifier's output: sigmoid / softmax of logits, or the probabilities
// clipped to [kProbabilityFloor, 1 - kProbabilityFloor] (a model's 0 or 1 would give an infinite loss).
at::Tensor trueClassLogProbability(const at::Tensor &out, const at::Tensor &label, const Task &task);

// The class each row is decided as, by the model's decision rule (ClassSpec::decide) on its probabilities.
std::vector<int> decidedClasses(const at::Tensor &out, const Task &task);

// Per-class weights of the cross-entropy (TrainingParams::classWeights), checked against the model;
// counts: the training rows of each class (for "balanced").
Result<std::vector<double>> classWeightsFor(const TrainingParams &params, const Task &task,
                                            const std::vector<qint64> &counts);

// Re-initialisation (startFromBase = false), seeded by torch::manual_seed beforehand.
void reinitialise(torch::jit::Module &module);

// The parameters and buffers, copied (the best epoch's weights) and put back.
std::vector<at::Tensor> snapshot(torch::jit::Module &module);
void restore(torch::jit::Module &module, const std::vector<at::Tensor> &copy);

// Every parameter set to require gradients; an Error when the model has none.
Result<std::vector<at::Tensor>> trainableParameters(torch::jit::Module &module, const QString &modelName);

QString lossKind(double loss); // "NaN" or "infinite"

// Like torch's ReduceLROnPlateau(mode="min"): the learning rate times the factor after `patience` flat
// epochs, the count restarting after each reduction; and early stopping after `earlyStoppingPatience`.
class Schedule final
{
public:
    explicit Schedule(const TrainingParams &params) : m_params(params), m_learningRate(params.learningRate) {}
    double learningRate() const { return m_learningRate; }
    // After an epoch's validation: true when this epoch is the best so far.
    bool improved(double validationLoss);
    bool stopEarly() const;
    // Applies a due reduction to the optimiser.
    void reduceOnPlateau(torch::optim::Optimizer &optimizer);

private:
    const TrainingParams &m_params;
    double m_learningRate;
    double m_bestLoss = std::numeric_limits<double>::infinity();
    int m_sinceImprovement = 0;
    int m_sincePlateauStep = 0;
};

// The mldeck.json of the trained model: the base's, with the new version and a "training" block
// (extra: more keys for that block, e.g. an image training's skipped images).
QJsonObject updatedMetadata(const ModelInfo &base, const QString &newVersion, qint64 trainRows, qint64 validationRows,
                            const TrainingParams &params, const TrainingResult &result,
                            const std::vector<double> &classWeights, const QJsonObject &extra = {});

// Writes the module with its metadata to a temporary file next to outputPath, loads it back as MLDeck
// will, lets `probe` predict with it, and renames it into place: a failure or a cancel leaves no file.
// The written model's info (path, SHA-256) on success; nullopt when cancelled() turned true before the rename.
Result<std::optional<ModelInfo>> writeTrainedModel(torch::jit::Module &module, const QJsonObject &metadata,
                                                   const QString &outputPath,
                                                   const std::function<Status(TorchModel &)> &probe,
                                                   const std::function<bool()> &cancelled);

// Turns what escaped a training into an Error (out of memory recognised).
Error failure(const std::exception &e);
Error failure();
template <typename F> auto guarded(F &&run) -> decltype(run())
{
    try {
        return run();
    } catch (const std::bad_alloc &) {
        return outOfMemory();
    } catch (const std::exception &e) {
        return failure(e);
    } catch (...) {
        return failure();
    }
}

} // namespace training
} // namespace mldeck
