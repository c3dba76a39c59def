#pragma once

#include "core/demo/RideDelayGenerator.h"
#include "core/domain/Prediction.h"

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
    };

    // The batch for these requests (onMl: routed to ML) for a model reading `sequenceLength` rows
    // (1: one row at a time); moves the context on. The served model may change between batches.
    Batch next(const std::vector<RideRequest> &requests, const std::vector<bool> &onMl, int sequenceLength);

private:
    std::deque<FeatureRow> m_context;
};

} // namespace mldeck
