#include "core/simulator/ModelBatch.h"

#include <algorithm>

namespace mldeck {

ModelBatcher::Batch ModelBatcher::next(const std::vector<RideRequest> &requests, const std::vector<bool> &onMl,
                                       int sequenceLength)
{
    Batch batch;
    batch.target.assign(requests.size(), Batch::kNone);
    const int window = std::max(1, sequenceLength);
    const bool sequence = window > 1;
    if (sequence)
        batch.rows.assign(m_context.begin(), m_context.end());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (onMl[i]) {
            batch.target[i] = batch.rows.size();
            ++batch.mlCount;
        }
        if (sequence || onMl[i])
            batch.rows.push_back(requests[i].features);
    }
    if (sequence) {
        for (const auto &r : requests)
            m_context.push_back(r.features);
        while (int(m_context.size()) > window - 1)
            m_context.pop_front();
    }
    return batch;
}

std::vector<std::optional<double>> ModelBatcher::Batch::spread(const std::vector<double> &predicted) const
{
    std::vector<std::optional<double>> out(target.size());
    for (std::size_t i = 0; i < target.size(); ++i)
        if (target[i] != kNone && target[i] < predicted.size())
            out[i] = predicted[target[i]];
    return out;
}

} // namespace mldeck
