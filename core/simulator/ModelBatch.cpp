#include "core/simulator/ModelBatch.h"

namespace mldeck {

std::vector<std::optional<double>> ModelBatcher::Batch::spread(const std::vector<double> &predicted) const
{
    std::vector<std::optional<double>> out(target.size());
    for (std::size_t i = 0; i < target.size(); ++i)
        if (target[i] != kNone && target[i] < predicted.size())
            out[i] = predicted[target[i]];
    return out;
}

std::vector<std::vector<double>> ModelBatcher::Batch::spread(const std::vector<double> &probabilities,
                                                             int classes) const
{
    std::vector<std::vector<double>> out(target.size());
    const auto k = std::size_t(std::max(classes, 0));
    for (std::size_t i = 0; i < target.size(); ++i)
        if (k > 0 && target[i] != kNone && (target[i] + 1) * k <= probabilities.size())
            out[i].assign(probabilities.begin() + std::ptrdiff_t(target[i] * k),
                          probabilities.begin() + std::ptrdiff_t((target[i] + 1) * k));
    return out;
}

} // namespace mldeck
