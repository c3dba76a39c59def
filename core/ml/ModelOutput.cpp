#include "core/ml/ModelOutput.h"

#include "core/Text.h"

#include <algorithm>
#include <cmath>

namespace mldeck {

std::vector<double> ClassProbabilities::column(int k) const
{
    std::vector<double> out(rows());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = values[i * size_t(classes) + size_t(k)];
    return out;
}

std::vector<int> ClassProbabilities::decide(const ClassSpec &spec) const
{
    std::vector<int> out(rows());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = spec.decide(row(i));
    return out;
}

Status checkOutputColumns(const ModelInfo &info, int columns)
{
    const bool classifier = info.hasMetadata && info.task == QLatin1String("classification");
    if (!classifier) {
        if (columns != 1)
            return Error{
                MlText::tr("the model returns %1 values per row; a regression model returns one ([B] or [B, 1])")
                    .arg(columns)};
        return {};
    }
    const int k = info.classSpec.count();
    if (columns == k || (columns == 1 && info.classSpec.isBinary()))
        return {};
    return Error{
        info.classSpec.isBinary()
            ? MlText::tr("the model returns %1 values per row; a binary classifier returns the positive "
                         "class's %2 ([B] or [B, 1]) or one per class ([B, 2])")
                  .arg(columns)
                  .arg(info.outputsLogits ? MlText::tr("logit") : MlText::tr("probability"))
            : MlText::tr("the model returns %1 values per row; its metadata names %2 classes ([B, %2] expected)")
                  .arg(columns)
                  .arg(k)};
}

namespace {

// 1 / (1 + e^-x) without overflow for large |x|.
double sigmoid(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

Error notAProbability(size_t row, double value)
{
    return Error{MlText::tr("row %1: the model returned %2, which is not a probability (its metadata declares "
                            "\"output\": \"probabilities\"; a model that returns logits must say \"logits\")")
                     .arg(row + 1)
                     .arg(value)};
}

} // namespace

Result<ClassProbabilities> toClassProbabilities(std::span<const double> raw, int columns, const ModelInfo &info)
{
    if (const Status fits = checkOutputColumns(info, columns); !fits)
        return fits.error();
    if (info.task != QLatin1String("classification"))
        return Error{MlText::tr("model %1 is not a classifier (task \"%2\")").arg(info.name, info.task)};
    ClassProbabilities out;
    const int k = info.classSpec.count();
    out.classes = k;
    const size_t rows = raw.size() / size_t(columns);
    out.values.resize(rows * size_t(k));
    for (size_t i = 0; i < rows; ++i) {
        const double *in = raw.data() + i * size_t(columns);
        double *p = out.values.data() + i * size_t(k);
        if (columns == 1) { // binary: the positive class's score
            const double positive = info.outputsLogits ? sigmoid(in[0]) : in[0];
            if (!(positive >= 0 && positive <= 1))
                return notAProbability(i, in[0]);
            p[0] = 1.0 - positive;
            p[1] = positive;
            continue;
        }
        if (info.outputsLogits) { // softmax, shifted by the largest logit so that exp never overflows
            const double top = *std::max_element(in, in + k);
            double sum = 0;
            for (int c = 0; c < k; ++c)
                sum += (p[c] = std::exp(in[c] - top));
            for (int c = 0; c < k; ++c)
                p[c] /= sum;
            continue;
        }
        double sum = 0;
        for (int c = 0; c < k; ++c) {
            if (!(in[c] >= 0 && in[c] <= 1))
                return notAProbability(i, in[c]);
            sum += (p[c] = in[c]);
        }
        if (std::abs(sum - 1.0) > kProbabilitySumTolerance)
            return Error{MlText::tr("row %1: the model's %2 class probabilities sum to %3, not 1 (a model that "
                                    "returns logits must declare \"output\": \"logits\")")
                             .arg(i + 1)
                             .arg(k)
                             .arg(sum, 0, 'g', 8)};
    }
    return out;
}

} // namespace mldeck
