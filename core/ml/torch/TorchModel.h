#pragma once

// Inside the model worker only: a TorchScript model run in this process by LibTorch.

#include "core/domain/Result.h"
#include "core/ml/ModelMetadata.h"

#include <QCoreApplication>

#include <memory>
#include <vector>

namespace mldeck {

class TorchModel final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::TorchModel)

public:
    // Loads the bytes of a model file (path names it in messages). Refuses clearly: not a TorchScript
    // archive, metadata JSON malformed or inconsistent, a model that does not accept the input its
    // metadata describes. info().sha256 is left to the caller, who hashed the bytes it handed over.
    static Result<std::unique_ptr<TorchModel>> load(const QByteArray &bytes, const QString &path);
    ~TorchModel();
    Q_DISABLE_COPY_MOVE(TorchModel)

    const ModelInfo &info() const;

    // Torch intra-op threads of this process (0 keeps the current setting).
    static void setThreads(int threads);

    // The model's output values per row (models.md §1): 1, or a classifier's K; found by the load probe.
    int outputColumns() const;

    // The raw output for the encoded table [n, width] (models.md §2, encoded by the caller): n ×
    // outputColumns() values, row-major (a classifier's logits are left to the console). A sequence model
    // gets, for row i, the window of the sequenceLength rows ending at i (before row 0: row 0 repeated).
    // An image model gets the rows viewed as [n, C, H, W] (width must be C·H·W; images.md).
    // A model failure, a wrong output shape or a non-finite output give an Error.
    Result<std::vector<double>> predict(const float *table, qint64 n, int width);

private:
    struct Impl;
    explicit TorchModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace mldeck
