#include "core/ml/ImageEvaluation.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/image/ImagePipeline.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/ReadInParallel.h"
#include "core/stats/Percentile.h"

#include <QElapsedTimer>

#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace mldeck {

namespace {

struct Slot
{
    std::vector<float> chw;
    QSize size;
    QString error; // empty: prepared
};

Slot prepareOne(const ImageStore &store, const QString &key, const ImageSpec &spec)
{
    Slot s;
    auto bytes = store.read(key);
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

// Reads and prepares items [begin, end) (image decoding is the costly part), with the helpers' threads.
QList<Slot> prepareBatch(const ImageStore &store, const std::vector<ImageItem> &items, qint64 begin, qint64 end,
                         const ImageSpec &spec, QThreadPool *helpers)
{
    QStringList keys;
    keys.reserve(end - begin);
    for (qint64 i = begin; i < end; ++i)
        keys << items[size_t(i)].key;
    return readInParallel<Slot>(
        keys, [&](const QString &key) { return prepareOne(store, key, spec); }, helpers);
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
    // The next batch is read and decoded on its own thread while the worker process computes this one. The
    // pools are this run's: their threads live for the run, and leaving (an error, Cancel) waits for the read
    // in flight before anything it uses goes away.
    struct ReadBatch
    {
        QList<Slot> slots;
        qint64 ns = 0;
    };
    QThreadPool decoders; // helps the read-ahead thread: `threads` decoding threads in all
    decoders.setMaxThreadCount(std::max(1, options.threads - 1));
    QThreadPool *helpers = options.threads > 1 ? &decoders : nullptr;
    QThreadPool readAhead;
    readAhead.setMaxThreadCount(1);
    const auto readBatch = [&](qint64 from) {
        return QtConcurrent::run(&readAhead, [&, from] {
            QElapsedTimer t;
            t.start();
            ReadBatch r{prepareBatch(store, items, from, std::min(n, from + batch), spec, helpers), 0};
            r.ns = t.nsecsElapsed();
            return r;
        });
    };
    QFuture<ReadBatch> next = readBatch(0);
    std::vector<float> tensor;
    for (qint64 begin = 0; begin < n; begin += batch) {
        if (cancelled(options)) {
            out.cancelled = true;
            return out;
        }
        const qint64 end = std::min(n, begin + batch);
        ReadBatch current = next.takeResult();
        readNs += current.ns;
        if (end < n)
            next = readBatch(end);
        // Each prepared image moves into the tensor and is freed at once: at the peak, the batch being read,
        // this one's tensor and what is left of its images — about two batches.
        tensor.clear();
        std::vector<qint64> batchItems;
        for (qsizetype i = 0; i < current.slots.size(); ++i) {
            Slot &slot = current.slots[i];
            const qint64 index = begin + qint64(i);
            if (!slot.error.isEmpty()) {
                out.skipped.push_back({items[size_t(index)].key, slot.error});
                continue;
            }
            tensor.insert(tensor.end(), slot.chw.begin(), slot.chw.end());
            std::vector<float>().swap(slot.chw);
            out.sizes.push_back(slot.size);
            batchItems.push_back(index);
        }
        current.slots.clear();
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
        const Slot slot = prepareOne(store, item.key, spec);
        if (!slot.error.isEmpty())
            continue; // changed during the run: no model time to measure
        auto predicted = model.predictImageProbabilities(slot.chw.data(), 1, options.cancel);
        if (!predicted)
            return Error{MlText::tr("Image %1: %2").arg(item.key, predicted.errorMessage())};
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    out.latencyP50Ms = stats::percentile(ms, 0.50);
    out.latencyP99Ms = stats::percentile(ms, 0.99);
    return out;
}

} // namespace mldeck
