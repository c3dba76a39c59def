#pragma once

// The nanny model: direct loss estimation for a regression model (resources/contract/nanny.md). A small
// multilayer perceptron, trained on reference rows with outcomes, whose inputs are the champion's encoded
// features (its own InputEncoder) plus the champion's prediction and whose target is the champion's
// absolute error; applied to a new prediction, its output is the expected absolute error, before the
// outcome arrives. Torch-free: training and scoring run in a model worker process (core/ml/torch/TorchNanny).

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"
#include "core/ml/InputEncoding.h"
#include "core/ml/ModelMetadata.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace mldeck {

class ModelRunner;
class ModelWorker;
struct WorkerLimits;

namespace worker {
class WireReader;
class WireWriter;
} // namespace worker

// Fewer reference rows with outcomes than this and no nanny is trained: a fifth of them are held out,
// and a network of ~1,000 weights fitted on fewer rows estimates noise.
inline constexpr qint64 kNannyMinRows = 500;
// At most this many reference rows train a nanny (a seeded sample of them when there are more).
inline constexpr qint64 kNannyMaxTrainingRows = 20000;

struct NannyTrainingParams
{
    int hidden1 = 32;
    int hidden2 = 16;
    int maxEpochs = 200;
    int batchSize = 256;
    double learningRate = 0.003;
    int patience = 15; // epochs without a better validation loss before stopping
    double validationShare = 0.2;
    quint64 seed = 42;
    int threads = 0; // torch intra-op threads in the worker; 0 keeps its default
    // Training stops after the epoch that passes this many seconds (0: no limit), keeping the best epoch
    // so far: the guard trains inside its round, which the rollout rules share.
    double maxSeconds = 20;

    void write(worker::WireWriter &w) const;
    static NannyTrainingParams read(worker::WireReader &r);
};

// What the worker's training returns (scaled units: the target divided by NannyMeta::errorScale).
struct NannyFit
{
    QByteArray weights;
    int epochs = 0;
    int bestEpoch = 0;
    qint64 trainRows = 0;
    qint64 validationRows = 0;
    double validationLoss = 0;         // mean squared error of the estimate
    double validationMae = 0;          // mean |estimate - |error|| per row
    double validationMeanEstimate = 0; // mean estimate over the validation rows
    double validationMeanTarget = 0;   // mean |error| over the validation rows (their realised MAE)
};

// Everything needed to use a nanny besides its weights: which champion it belongs to, how its input is
// laid out and how its output is read.
struct NannyMeta
{
    QString modelName;
    QString modelVersion;
    QByteArray modelSha256;
    QByteArray modelMetadata;  // the champion's metadata JSON: its feature layout and scaler, to encode rows
    int encodedWidth = 0;      // the champion's InputEncoder width; the prediction is one more column
    double predictionMean = 0; // the prediction column is standardised with these
    double predictionSd = 1;
    double errorScale = 1; // output × errorScale = expected absolute error, in target units
    qint64 trainRows = 0;
    qint64 validationRows = 0;
    int epochs = 0;
    int bestEpoch = 0;
    double validationMae = 0;          // per row, target units
    double validationEstimatedMae = 0; // mean estimate over the held-out rows, target units
    double validationRealisedMae = 0;  // the champion's MAE on the same rows
    quint64 seed = 42;

    QJsonObject toJson() const;
    static Result<NannyMeta> fromJson(const QJsonObject &o);
};

struct NannyModel
{
    NannyMeta meta;
    QByteArray weights;
    QByteArray sha256() const; // of the weights, lower-case hex
};

// Trains a nanny for `champion` (a regression model with metadata) on reference rows and their outcomes:
// the champion predicts the rows (in its worker), a fresh worker fits the nanny. Refuses a classifier,
// a model without metadata, fewer than kNannyMinRows rows, non-finite outcomes, a champion whose
// error is zero on every row. Blocking: call it on a worker thread.
Result<NannyModel> trainNanny(ModelRunner &champion, const std::vector<FeatureRow> &rows,
                              const std::vector<double> &actual, const NannyTrainingParams &params = {},
                              const std::atomic<bool> *cancel = nullptr);

// Scores predictions with one nanny, in a model worker of its own (started on the first call). Rows are
// encoded here with the champion's encoder (from the metadata kept in the nanny), as the champion saw
// them: scoring never loads the champion. Blocking, not thread-safe.
class NannyScorer final
{
public:
    // Refuses a nanny whose champion metadata is unreadable or does not give its input width.
    static Result<std::unique_ptr<NannyScorer>> create(NannyModel nanny);
    static Result<std::unique_ptr<NannyScorer>> create(NannyModel nanny, const WorkerLimits &limits);
    ~NannyScorer();
    Q_DISABLE_COPY_MOVE(NannyScorer)

    const NannyMeta &meta() const { return m_nanny.meta; }
    const ModelInfo &champion() const { return m_champion; } // its schema gives the feature order of rows
    void setThreads(int threads) { m_threads = threads; }
    // The expected absolute error of each prediction, in target units. Unknown categories encode as
    // all-zero (as for the champion); wrong feature counts or non-finite values give an Error.
    Result<std::vector<double>> score(const std::vector<FeatureRow> &rows, const std::vector<double> &predictions,
                                      const std::atomic<bool> *cancel = nullptr);
    qint64 workerPid() const;

private:
    NannyScorer(NannyModel nanny, ModelInfo champion, const WorkerLimits &limits);
    NannyModel m_nanny;
    ModelInfo m_champion;
    InputEncoder m_encoder;
    std::unique_ptr<ModelWorker> m_worker;
    int m_threads = 0;
};

} // namespace mldeck
