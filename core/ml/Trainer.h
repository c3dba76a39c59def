#pragma once

#include "core/domain/Result.h"
#include "core/ml/Dataset.h"
#include "core/ml/ModelMetadata.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

namespace mldeck {

struct TrainingParams
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::TrainingParams)

public:
    bool startFromBase = true; // false: re-initialise every parameter (seeded)
    int epochs = 10;
    double learningRate = 0.0005;
    int batchSize = 256;
    int earlyStoppingPatience = 3; // epochs without validation improvement; 0 = off
    double plateauFactor = 0.5;    // learning rate *= factor after plateauPatience flat epochs
    int plateauPatience = 2;       // 0 = off
    quint64 seed = 42;
    int threads = 0; // torch intra-op threads; 0 keeps the current setting
    // Classification only: how much a row of each class weighs in the cross-entropy. Empty and not
    // balanced: every class weighs 1; balanced: n / (K * n_c) over the training rows (scikit-learn's
    // "balanced"); else one positive weight per class, in the model's class order.
    bool balancedClassWeights = false;
    std::vector<double> classWeights;

    QJsonObject toJson() const;
    // Refuses out-of-range values with a message naming the parameter.
    static Result<TrainingParams> fromJson(const QJsonObject &o);
    Status validate() const;
};

struct EpochReport
{
    int epoch = 0; // 1-based
    int epochs = 0;
    // Regression: mean squared error in scaled target units; classification: the (class-weighted)
    // cross-entropy, in nats.
    double trainLoss = 0;
    double validationLoss = 0;
    double validationMae = 0;                 // regression: in target units
    std::optional<double> validationAccuracy; // classification only: share of validation rows decided right
    double learningRate = 0;
    double elapsedSeconds = 0;
    double secondsLeft = 0; // estimate
    double samplesPerSecond = 0;
};

struct TrainingOptions
{
    const std::atomic<bool> *cancel = nullptr;          // checked between batches
    std::function<void(const EpochReport &)> epochDone; // on the calling thread
    std::function<void(double fraction)> progress;      // 0..1, at most every 100 ms, on the calling thread
    QByteArray baseSha256;                    // when set, a base file with other bytes is refused unread by torch
    std::atomic<qint64> *workerPid = nullptr; // set to the training worker's pid while it runs (diagnostics)
};

struct TrainingResult
{
    bool cancelled = false;
    std::vector<EpochReport> history;
    int bestEpoch = 0; // the weights kept are those of this epoch
    double samplesPerSecond = 0;
    ModelInfo info; // metadata written into the new file
};

// Trains a copy of the TorchScript model at basePath (architecture, feature schema and scaler come
// from it) on `train`, early-stopping on `validation`. A classifier (task "classification" in its
// metadata) learns with binary or multi-class cross-entropy; its datasets' target is the true class
// index 0..K-1 in the model's class order. It writes the best weights with updated
// mldeck.json metadata (version, trainingRows, holdout figures left to the caller) to outputPath:
// written to a temporary file and renamed, so a cancel or a failure (exception, NaN loss, out of
// memory) leaves no file behind. The file is a TorchScript archive that Python's torch.jit.load reads.
// The training runs in a model worker process (ModelWorker) that gets the base file's bytes as read
// here; Cancel stops it between batches, or kills the worker when it does not stop within the grace
// time (the result is then cancelled too). A worker that crashes or goes silent gives an Error.
// Blocking: call it on a worker thread.
Result<TrainingResult> trainModel(const QString &basePath, const Dataset &train, const Dataset &validation,
                                  const TrainingParams &params, const QString &newVersion, const QString &outputPath,
                                  const TrainingOptions &options = {});

} // namespace mldeck
