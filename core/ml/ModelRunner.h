#pragma once

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"
#include "core/ml/ModelMetadata.h"
#include "core/ml/ModelOutput.h"

#include <QCoreApplication>

#include <atomic>
#include <memory>
#include <vector>

namespace mldeck {

struct WorkerLimits;

// A TorchScript model, run in a model worker process (ModelWorker): LibTorch never enters this
// process, and a model that crashes, hangs or exhausts memory costs its worker only.
//
// Without metadata a model still loads (hasMetadata = false): it then takes the raw numeric values of a
// row as a float tensor [batch, n] and no categorical values (n is fixed by the first call's rows).
class ModelRunner final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ModelRunner)

public:
    // Reads the file once, hashes those bytes and hands exactly them to a fresh worker. Refuses clearly:
    // missing file, not a TorchScript archive, metadata JSON malformed or inconsistent, a model that does
    // not accept the input its metadata describes, a worker that cannot start.
    static Result<std::unique_ptr<ModelRunner>> load(const QString &path);
    // The same, refusing before any worker sees the file when its SHA-256 (hex) differs from the one
    // expected: the bytes hashed are the bytes loaded.
    static Result<std::unique_ptr<ModelRunner>> load(const QString &path, const QByteArray &expectedSha256);
    static Result<std::unique_ptr<ModelRunner>> load(const QString &path, const QByteArray &expectedSha256,
                                                     const WorkerLimits &limits);
    ~ModelRunner();
    Q_DISABLE_COPY_MOVE(ModelRunner)

    const ModelInfo &info() const;

    // Torch intra-op threads of this model's worker (0 keeps its default).
    void setThreads(int threads);

    // One prediction per row. Rows are time-ordered; for a sequence model prediction i uses the window of
    // the sequenceLength rows ending at row i (before row 0: row 0 repeated). A categorical value the model
    // does not know is encoded as an all-zero one-hot (counted in unknownCategoryValues()). Wrong feature
    // counts, non-finite numeric values, a model failure, a non-finite output, a worker that crashed, ran
    // out of memory or did not answer in time give an Error; after the last three the next call starts a
    // fresh worker. *cancel set while the worker computes: the worker is stopped, Error "Cancelled.".
    // Blocking and serialised internally: call it from worker threads, never the UI thread.
    //
    // A regression model (or one without metadata): its value per row. A binary classifier: the positive
    // class's probability per row (after the sigmoid when it returns logits). A multi-class classifier
    // gives an Error: use predictProbabilities().
    Result<std::vector<double>> predict(const std::vector<FeatureRow> &rows, const std::atomic<bool> *cancel = nullptr);

    // A classifier (task "classification"): one probability vector per row, in the order of
    // info().classSpec.classes, whatever its output ([B] or [B, 1] positive-class score, [B, K];
    // probabilities, or logits turned into them by sigmoid/softmax). The served class of row i is
    // info().classSpec.decide(result.row(i)) (ClassProbabilities::decide). Same errors as predict(), and
    // an Error for a model that is not a classifier or returns values that are not probabilities.
    Result<ClassProbabilities> predictProbabilities(const std::vector<FeatureRow> &rows,
                                                    const std::atomic<bool> *cancel = nullptr);

    // An image classifier (info().image set): n images already through the pipeline (prepareImage),
    // info().image->inputWidth() floats each, back to back; the worker views them as [n, C, H, W].
    // Probabilities as predictProbabilities(); an Error for a model that is not an image model.
    Result<ClassProbabilities> predictImageProbabilities(const float *chw, qint64 n,
                                                         const std::atomic<bool> *cancel = nullptr);

    // How many categorical values predict() has met that the model does not know, since load.
    qint64 unknownCategoryValues() const;

    // The worker's process id (0 when none runs), and how long its last start took: for diagnostics,
    // benchmarks and the tests that kill it.
    qint64 workerPid() const;
    double workerStartMs() const;

private:
    struct Impl;
    explicit ModelRunner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace mldeck
