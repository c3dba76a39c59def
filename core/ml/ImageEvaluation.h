#pragma once

#include "core/domain/Result.h"
#include "core/domain/SkippedImage.h"
#include "core/ml/ModelOutput.h"
#include "core/ml/image/LabelledImages.h"

#include <QSize>

#include <atomic>
#include <functional>
#include <vector>

namespace mldeck {

class ImageStore;
class ModelRunner;

struct ImageEvaluationOptions
{
    int batchSize = 64;     // images per call to the model (fewer when their tensors would pass kMaxBatchFloats)
    int threads = 0;        // decoding threads here and torch threads of the model's worker (set for the rest of the
                            // runner's life: give a runner of your own if that matters); 0: one decoding thread and
                            // the worker's setting
    int latencySamples = 0; // one-image calls (read, decode, predict) timed for p50/p99
    const std::atomic<bool> *cancel = nullptr; // checked between batches
    std::function<void(qint64 done, qint64 total)> progress;
};

// The most floats one batch of prepared images may hold (64 MB; about two batches are held at once: the one
// being read and the one the model computes): memory stays bounded whatever the model's input size, the number
// of images and the batch size asked for.
inline constexpr qint64 kMaxBatchFloats = 16 * 1024 * 1024;

struct ImageEvaluationResult
{
    bool cancelled = false;
    std::vector<qint64> evaluated;     // indexes into the items, ascending: the images the model saw
    ClassProbabilities probabilities;  // one row per evaluated image
    std::vector<QSize> sizes;          // per evaluated image: its size before resizing
    std::vector<SkippedImage> skipped; // per key, why it was left out
    // Busy time of each stage: reading, decoding and preprocessing run on their own thread while the model's
    // worker computes, so the two may add up to more than the whole run.
    double readSeconds = 0;
    double modelSeconds = 0;
    double imagesPerSecond = 0; // evaluated images over the whole batch path
    double latencyP50Ms = 0;    // of the images read again one at a time that could be read
    double latencyP99Ms = 0;
};

// Runs an image classifier over items read from store, streaming: a batch is read, decoded and
// preprocessed (ImagePipeline) while the previous one is predicted, then dropped, so memory holds about two
// batches of tensors whatever the number of images (images.md "Measured" gives the figure). An image that is missing,
// unreadable or not decodable is skipped with its reason; any size is accepted (resized, its size kept). A model
// failure is an Error; Cancel stops between batches (and a batch the worker is computing). Blocking: call it off the UI
// thread.
Result<ImageEvaluationResult> evaluateImages(ModelRunner &model, const ImageStore &store,
                                             const std::vector<ImageItem> &items,
                                             const ImageEvaluationOptions &options);

} // namespace mldeck
