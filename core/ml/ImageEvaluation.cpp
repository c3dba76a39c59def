#include "core/ml/ImageEvaluation.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/image/ImagePipeline.h"
#include "core/ml/image/ImageStore.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <future>
#include <thread>

namespace mldeck {

namespace {

struct Slot
{
    std::vector<float> chw;
    QSize size;
    QString error; // empty: prepared
};

Slot prepareOne(const ImageStore &store, const ImageItem &item, const ImageSpec &spec)
{
    Slot s;
    auto bytes = store.read(item.key);
    if (!bytes) {
        s.error = bytes.errorMessage();
        return s;
    }
    auto prepared = prepareImage(bytes.value(), spec);
    if (!prepared) {
        s.error = prepared.errorMessage();
        return s;
    }
    s.chw = std::move(prepared.value().chw);
    s.size = QSize(prepared->stats.width, prepared->stats.height);
    return s;
}

// Reads and prepares items [begin, end) on `threads` threads (image decoding is the costly part).
std::vector<Slot> prepareBatch(const ImageStore &store, const std::vector<ImageItem> &items, qint64 begin, qint64 end,
                               const ImageSpec &spec, int threads)
{
    std::vector<Slot> slots(size_t(end - begin));
    const auto work = [&](int first, int step) {
        for (size_t i = size_t(first); i < slots.size(); i += size_t(step))
            slots[i] = prepareOne(store, items[size_t(begin) + i], spec);
    };
    const int n = std::clamp(threads, 1, int(slots.size()));
    std::vector<std::thread> pool;
    for (int t = 1; t < n; ++t)
        pool.emplace_back(work, t, n);
    work(0, n);
    for (std::thread &t : pool)
        t.join();
    return slots;
}

double percentileOf(std::vector<double> values, double q)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, size_t(std::ceil(q * double(values.size()))) - 1)];
}

bool cancelled(const ImageEvaluationOptions &o)
{
    return o.cancel && o.cancel->load();
}

} // namespace

Result<ImageEvaluationResult> evaluateImages(ModelRunner &model, const ImageStore &store,
                                             const std::vector<ImageItem> &items, const ImageEvaluationOptions &options)
{
    const ModelInfo &info = model.info();
    if (!info.image)
        return Error{MlText::tr("Model %1 does not take images.").arg(info.name)};
    const ImageSpec &spec = *info.image;
    const qint64 n = qint64(items.size());
    if (n == 0)
        return Error{MlText::tr("No images to evaluate.")};
    if (options.threads > 0)
        model.setThreads(options.threads);
    const qint64 width = spec.inputWidth();
    const qint64 batch = std::clamp<qint64>(options.batchSize, 1, std::max<qint64>(1, kMaxBatchFloats / width));

    ImageEvaluationResult out;
    out.probabilities.classes = info.classSpec.count();
    QElapsedTimer total;
    total.start();
    qint64 readNs = 0, modelNs = 0;
    // The next batch is read and decoded on its own thread while the worker process computes this one:
    // at most two batches of tensors are held.
    struct ReadBatch
    {
        std::vector<Slot> slots;
        qint64 ns = 0;
    };
    const auto readBatch = [&](qint64 from) {
        return std::async(std::launch::async, [&, from] {
            QElapsedTimer t;
            t.start();
            ReadBatch r{prepareBatch(store, items, from, std::min(n, from + batch), spec, options.threads), 0};
            r.ns = t.nsecsElapsed();
            return r;
        });
    };
    std::future<ReadBatch> next = readBatch(0); // an early return waits for it (one batch at most)
    std::vector<float> tensor;
    for (qint64 begin = 0; begin < n; begin += batch) {
        if (cancelled(options)) {
            out.cancelled = true;
            return out;
        }
        const qint64 end = std::min(n, begin + batch);
        ReadBatch current = next.get();
        readNs += current.ns;
        if (end < n)
            next = readBatch(end);
        std::vector<Slot> &slots = current.slots;
        tensor.clear();
        std::vector<qint64> batchItems;
        for (size_t i = 0; i < slots.size(); ++i) {
            const qint64 index = begin + qint64(i);
            if (!slots[i].error.isEmpty()) {
                out.skipped.push_back({items[size_t(index)].key, slots[i].error});
                continue;
            }
            tensor.insert(tensor.end(), slots[i].chw.begin(), slots[i].chw.end());
            out.sizes.push_back(slots[i].size);
            batchItems.push_back(index);
        }
        slots.clear();
        if (!batchItems.empty()) {
            QElapsedTimer t;
            t.start();
            auto predicted = model.predictImageProbabilities(tensor.data(), qint64(batchItems.size()), options.cancel);
            modelNs += t.nsecsElapsed();
            if (!predicted && cancelled(options)) {
                out.cancelled = true;
                return out;
            }
            if (!predicted)
                return Error{MlText::tr("Images %1–%2: %3").arg(begin + 1).arg(end).arg(predicted.errorMessage())};
            out.probabilities.values.insert(out.probabilities.values.end(), predicted->values.begin(),
                                            predicted->values.end());
            out.evaluated.insert(out.evaluated.end(), batchItems.begin(), batchItems.end());
        }
        if (options.progress)
            options.progress(end, n);
    }
    const double seconds = double(total.nsecsElapsed()) / 1e9;
    out.readSeconds = double(readNs) / 1e9;
    out.modelSeconds = double(modelNs) / 1e9;
    out.imagesPerSecond = seconds > 0 ? double(out.evaluated.size()) / seconds : 0;

    // One image per call, as a served request costs: read, decode, preprocess, predict.
    const qint64 samples = std::min<qint64>(options.latencySamples, qint64(out.evaluated.size()));
    std::vector<double> ms;
    for (qint64 s = 0; s < samples; ++s) {
        if (cancelled(options)) {
            out.cancelled = true;
            return out;
        }
        const qint64 row = samples > 1 ? s * (qint64(out.evaluated.size()) - 1) / (samples - 1) : 0;
        const ImageItem &item = items[size_t(out.evaluated[size_t(row)])];
        QElapsedTimer t;
        t.start();
        const Slot slot = prepareOne(store, item, spec);
        if (slot.error.isEmpty()) {
            auto predicted = model.predictImageProbabilities(slot.chw.data(), 1, options.cancel);
            if (!predicted)
                return Error{MlText::tr("Image %1: %2").arg(item.key, predicted.errorMessage())};
        }
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    out.latencyP50Ms = percentileOf(ms, 0.50);
    out.latencyP99Ms = percentileOf(ms, 0.99);
    return out;
}

} // namespace mldeck
