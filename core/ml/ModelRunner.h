#pragma once

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"
#include "core/ml/ModelMetadata.h"

#include <memory>
#include <vector>

namespace mldeck {

// A TorchScript model loaded for inference through LibTorch.
//
// Without metadata a model still loads (hasMetadata = false): it then takes the raw numeric values of a
// row as a float tensor [batch, n] and no categorical values (n is fixed by the first call's rows).
class ModelRunner final
{
public:
    // Refuses clearly: missing file, not a TorchScript archive, metadata JSON malformed or inconsistent,
    // a model that does not accept the input its metadata describes.
    static Result<std::unique_ptr<ModelRunner>> load(const QString &path);
    // The same, refusing before LibTorch sees the file when its SHA-256 (hex) differs from the one
    // expected: the bytes hashed are the bytes loaded.
    static Result<std::unique_ptr<ModelRunner>> load(const QString &path, const QByteArray &expectedSha256);
    ~ModelRunner();
    Q_DISABLE_COPY_MOVE(ModelRunner)

    const ModelInfo &info() const;

    // Torch intra-op threads. Process-wide in LibTorch: the last call wins for every model.
    void setThreads(int threads);

    // One prediction per row. Rows are time-ordered; for a sequence model prediction i uses the window of
    // the sequenceLength rows ending at row i (before row 0: row 0 repeated). A categorical value the model
    // does not know is encoded as an all-zero one-hot (counted in unknownCategoryValues()). Wrong feature
    // counts, non-finite numeric values, a model failure or a non-finite output give an Error.
    // Serialised internally: call it from one worker thread (other threads are safe, just not parallel).
    Result<std::vector<double>> predict(const std::vector<FeatureRow> &rows);

    // How many categorical values predict() has met that the model does not know, since load.
    qint64 unknownCategoryValues() const;

private:
    struct Impl;
    explicit ModelRunner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace mldeck
