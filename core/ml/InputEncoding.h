#pragma once

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"
#include "core/ml/ModelMetadata.h"

#include <QHash>

#include <cstdint>
#include <vector>

namespace mldeck {

// The input encoding of resources/contract/models.md §2, shared by inference (ModelRunner) and training
// (Trainer) so that a model is trained on exactly the vectors it will see when it serves. Torch-free:
// it fills float buffers that the torch code views as tensors.
class InputEncoder final
{
public:
    // info must have metadata (hasMetadata); the scaler is converted to float once, as Python does.
    explicit InputEncoder(const ModelInfo &info);

    int width() const { return m_width; }
    int numericCount() const { return m_numericCount; }
    int categoricalCount() const { return int(m_levels.size()); }

    // Encodes rows into out[rows.size() * width()] (row-major; out is fully overwritten). A categorical
    // value the model does not know becomes an all-zero one-hot and is counted in *unknownValues.
    // Wrong feature counts or a non-finite numeric value give an Error naming the row (1-based + rowBase).
    Status encode(const std::vector<FeatureRow> &rows, float *out, qint64 *unknownValues = nullptr,
                  qint64 rowBase = 0) const;

    // For a sequence model: the row indices of every window, [n * length], oldest first; the window of row
    // i is rows i-length+1 … i, and before row 0 row 0 repeats.
    static std::vector<int64_t> windowIndex(qint64 n, int length);
    // The window of one row i, appended to out (length indices).
    static void appendWindow(qint64 i, int length, std::vector<int64_t> &out);

private:
    QString m_modelName; // copies, not a reference: the encoder may outlive the ModelInfo it came from
    QStringList m_numericNames;
    QStringList m_categoricalNames;
    std::vector<float> m_mean;
    std::vector<float> m_std;
    std::vector<QHash<QString, int>> m_levels; // per categorical feature: value -> one-hot position
    int m_numericCount = 0;
    int m_width = 0;
};

} // namespace mldeck
