#pragma once

#include "core/domain/Result.h"
#include "core/ml/ModelMetadata.h"

#include <span>
#include <vector>

namespace mldeck {

// A classification model's answer for a batch: one probability vector per row, in the order of
// ModelInfo::classSpec.classes (resources/contract/models.md §1).
struct ClassProbabilities
{
    int classes = 0;            // K
    std::vector<double> values; // rows × K, row-major

    size_t rows() const { return classes > 0 ? values.size() / size_t(classes) : 0; }
    std::span<const double> row(size_t i) const { return {values.data() + i * size_t(classes), size_t(classes)}; }
    // The probability of class k for every row (binary: column(1) is the positive-class score).
    std::vector<double> column(int k) const;
    // The class each row is served under spec's rule (ClassSpec::decide).
    std::vector<int> decide(const ClassSpec &spec) const;
};

// Whether a model whose output has `columns` values per row fits its metadata: one for a regression
// model or a model without metadata; one ([B] or [B, 1]: the positive class) for a binary classifier,
// or K ([B, K]) for a classifier of K classes. The error says what was expected.
Status checkOutputColumns(const ModelInfo &info, int columns);

// Turns a classifier's raw output (rows × columns values, checked by checkOutputColumns) into
// probabilities: logits go through the sigmoid (one column) or softmax (K columns); probabilities are
// used as given and must lie in [0, 1], K columns summing to 1 within kProbabilitySumTolerance.
inline constexpr double kProbabilitySumTolerance = 1e-4;
Result<ClassProbabilities> toClassProbabilities(std::span<const double> raw, int columns, const ModelInfo &info);

} // namespace mldeck
