#pragma once

#include "core/domain/Result.h"
#include "core/ml/Dataset.h"
#include "core/ml/ModelMetadata.h"
#include "core/ml/ModelOutput.h"

#include <atomic>
#include <functional>
#include <vector>

namespace mldeck {

class ModelRunner;

// The columns a model reads, in its input order.
struct ModelInputs
{
    QStringList numeric;
    QStringList categorical;
};

// A model with MLDeck metadata reads its schema's features by name (`features`, when given, must
// name the same ones). A model without metadata reads `features`, or else every column of `header`
// except the target and the timestamp, in file order, as raw numbers.
Result<ModelInputs> modelInputs(const ModelInfo &info, const QStringList &header, const DatasetColumns &columns,
                                const QStringList &features);

struct EvaluationOptions
{
    int batchSize = 8192;
    int threads = 0;                           // torch intra-op threads of the model's worker; 0 keeps its setting
    int latencySamples = 200;                  // single-row calls timed for p50/p99; 0 skips latency
    const std::atomic<bool> *cancel = nullptr; // checked between batches
    std::function<void(qint64 done, qint64 total)> progress;
};

struct EvaluationResult
{
    bool cancelled = false;
    std::vector<double> predictions;  // one per dataset row; a classifier: its score (binary: P(positive),
                                      // multi-class: the probability of the served class)
    ClassProbabilities probabilities; // a classifier (task "classification"): one vector per row; else empty
    double seconds = 0;               // batch inference only
    double rowsPerSecond = 0;
    double latencyP50Ms = 0;
    double latencyP99Ms = 0;
    qint64 unknownCategoryValues = 0;
};

// Batch inference over every row of the dataset through the model's worker process, blocking the
// calling thread (run it on a worker thread); Cancel also stops a batch the model is still computing.
// A sequence model sees, for each batch, the rows before it that its windows need, so batching
// never changes a prediction. A classifier is asked for its probability vectors
// (ModelRunner::predictProbabilities).
Result<EvaluationResult> evaluateModel(ModelRunner &model, const Dataset &data, const ModelInputs &inputs,
                                       const EvaluationOptions &options);

} // namespace mldeck
