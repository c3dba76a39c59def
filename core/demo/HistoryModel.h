#pragma once

#include "core/demo/RideDelayGenerator.h"
#include "core/domain/ModelVersion.h"
#include "core/domain/Result.h"
#include "core/ml/ModelRunner.h"
#include "core/simulator/ModelBatch.h"

#include <memory>
#include <optional>
#include <vector>

namespace mldeck {

// One model of the demo's history: its worker, the registry row it gets and, for a sequence model,
// the requests it saw last (all paths, in time order), as the live backend keeps them.
struct HistoryModel
{
    std::unique_ptr<ModelRunner> runner;
    NewModelVersion row;
    ModelBatcher batcher; // the recent requests, for a sequence model

    // Loads the file in a model worker and copies it into the model store (registered later, back-dated).
    static Result<HistoryModel> load(const QString &path, const QString &deployment, const QString &version,
                                     int featureSchemaId, const QString &storeDirectory);

    // The model's answer for each request routed to ML (onMl), nullopt for the others; *error set
    // when the model failed.
    std::vector<std::optional<double>> predict(const std::vector<RideRequest> &requests, const std::vector<bool> &onMl,
                                               QString *error);
    // A classifier's: the probability vector of each request routed to ML, empty for the others.
    template <typename Request>
    std::vector<std::vector<double>> predictProbabilities(const std::vector<Request> &requests,
                                                          const std::vector<bool> &onMl, QString *error)
    {
        const ModelBatcher::Batch batch = batcher.next(requests, onMl, runner->info().sequenceLength);
        if (batch.mlCount == 0)
            return std::vector<std::vector<double>>(requests.size());
        auto predicted = runner->predictProbabilities(batch.rows);
        if (!predicted) {
            *error = predicted.errorMessage();
            return std::vector<std::vector<double>>(requests.size());
        }
        return batch.spread(predicted->values, predicted->classes);
    }
};

} // namespace mldeck
