#pragma once

#include "core/domain/Prediction.h"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

namespace mldeck {

// What a served model is asked for one batch of requests, the same for the live backend and the
// demo's history: a sequence model sees the recent requests of every path in time order (its
// context, kept here between batches), an MLP only the rows routed to ML.
class ModelBatcher final
{
public:
    struct Batch
    {
        std::vector<FeatureRow> rows;    // what the model is given
        std::vector<std::size_t> target; // per request: its row in `rows`, or kNone when not on ML
        std::size_t mlCount = 0;         // requests routed to ML
        static constexpr std::size_t kNone = std::size_t(-1);

        // The model's answer for each request routed to ML, nullopt for the others.
        std::vector<std::optional<double>> spread(const std::vector<double> &predicted) const;
        // A classifier's: the probability vector of each request routed to ML (rows × K values, row-major),
        // empty for the others.
        std::vector<std::vector<double>> spread(const std::vector<double> &probabilities, int classes) const;
    };

    // The batch for these requests (anything with `features`; onMl: routed to ML) for a model reading
    // `sequenceLength` rows (1: one row at a time); moves the context on. The served model may change
    // between batches.
    template <typename Request>
    Batch next(const std::vector<Request> &requests, const std::vector<bool> &onMl, int sequenceLength)
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

private:
    std::deque<FeatureRow> m_context;
};

} // namespace mldeck
