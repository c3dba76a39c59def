// Fine-tuning an image classifier with LibTorch, inside the model worker. The images are read from
// their stores and preprocessed here (the one pipeline, core/ml/image), a batch at a time: memory
// holds the keys, one batch of decoded images and the model. How and why: retrain.md, "Image models".
#include "core/ml/torch/TorchImageTrainer.h"

#include "core/ml/image/ImagePipeline.h"
#include "core/ml/torch/TorchModel.h"
#include "core/ml/torch/TrainingParts.h"

#include <QElapsedTimer>
#include <QJsonArray>

#include <ATen/Parallel.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/optim/adam.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <random>

namespace mldeck {

using namespace training;

namespace {

constexpr qint64 kValidationBatch = 256; // evaluation batch: no gradients, still a bounded number of images
constexpr int kProbeImages = 8;

// One image of a set: where it is and its class.
struct Entry
{
    int set = 0;
    qint64 item = 0;
    int label = 0;
};

// A batch of images through the pipeline: floats [n, C, H, W] and their labels.
struct Batch
{
    std::vector<float> chw;
    std::vector<int64_t> labels;
    qint64 count = 0;
};

// The stores of a list of image sets, and which of their images turned out unusable (skipped from then on).
class Images final
{
public:
    Status open(const std::vector<ImageSet> &sets, int classes, const QString &what)
    {
        m_sets = &sets;
        for (size_t s = 0; s < sets.size(); ++s) {
            auto store = openImageStore(sets[s].store);
            if (!store)
                return Error{TorchImageTrainer::tr("%1 images: %2").arg(what, store.errorMessage())};
            m_stores.push_back(std::move(store).value());
            for (size_t i = 0; i < sets[s].items.size(); ++i) {
                const ImageItem &item = sets[s].items[i];
                if (item.label < 0 || item.label >= classes)
                    return Error{TorchImageTrainer::tr("%1 images: %2 has the label %3, which is not a class index of "
                                                       "the model (0 to %4).")
                                     .arg(what, item.key)
                                     .arg(item.label)
                                     .arg(classes - 1)};
                m_entries.push_back(Entry{int(s), qint64(i), item.label});
            }
        }
        m_bad.assign(m_entries.size(), 0);
        return {};
    }

    const std::vector<Entry> &entries() const { return m_entries; }
    qint64 usable() const { return qint64(m_entries.size()) - m_badCount; }

    // The images `indices` (into entries()) through the pipeline, decoded in parallel on torch's threads;
    // an unusable one is recorded in `result` and left out of the batch.
    void load(const std::vector<qint64> &indices, const ImageSpec &spec, Batch &batch, ImageTrainingResult &result)
    {
        const auto n = int64_t(indices.size());
        const auto width = size_t(spec.inputWidth());
        batch.chw.resize(size_t(n) * width);
        std::vector<std::optional<QString>> failed(static_cast<size_t>(n));
        std::vector<char> ok(size_t(n), 0);
        at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                const Entry &e = m_entries[size_t(indices[size_t(i)])];
                auto bytes = m_stores[size_t(e.set)]->read((*m_sets)[size_t(e.set)].items[size_t(e.item)].key);
                if (!bytes) {
                    failed[size_t(i)] = bytes.errorMessage();
                    continue;
                }
                auto prepared = prepareImage(bytes.value(), spec);
                if (!prepared) {
                    failed[size_t(i)] = prepared.errorMessage();
                    continue;
                }
                std::copy(prepared->chw.begin(), prepared->chw.end(), batch.chw.begin() + ptrdiff_t(size_t(i) * width));
                ok[size_t(i)] = 1;
            }
        });
        // Compact the usable images to the front, in order.
        batch.labels.clear();
        batch.count = 0;
        for (int64_t i = 0; i < n; ++i) {
            const qint64 index = indices[size_t(i)];
            const Entry &e = m_entries[size_t(index)];
            if (!ok[size_t(i)]) {
                skip(index, failed[size_t(i)].value_or(QString()), result);
                continue;
            }
            if (batch.count != i)
                std::copy_n(batch.chw.begin() + ptrdiff_t(size_t(i) * width), width,
                            batch.chw.begin() + ptrdiff_t(size_t(batch.count) * width));
            batch.labels.push_back(e.label);
            ++batch.count;
        }
    }

    bool isBad(qint64 index) const { return m_bad[size_t(index)] != 0; }

private:
    void skip(qint64 index, const QString &reason, ImageTrainingResult &result)
    {
        if (m_bad[size_t(index)])
            return;
        m_bad[size_t(index)] = 1;
        ++m_badCount;
        ++result.skippedCount;
        if (result.skipped.size() < size_t(kMaxSkippedListed)) {
            const Entry &e = m_entries[size_t(index)];
            result.skipped.push_back(SkippedImage{(*m_sets)[size_t(e.set)].items[size_t(e.item)].key, reason});
        }
    }

    const std::vector<ImageSet> *m_sets = nullptr;
    std::vector<std::unique_ptr<ImageStore>> m_stores;
    std::vector<Entry> m_entries;
    std::vector<char> m_bad;
    qint64 m_badCount = 0;
};

// The random changes of one training image, drawn in order from the run's generator (reproducible
// whatever the thread count).
struct Augment
{
    bool flip = false;
    double left = 0, right = 0, top = 0, bottom = 0; // shares of the width / height cut off
};

at::Tensor augmentBatch(const at::Tensor &input, const std::vector<Augment> &changes)
{
    namespace F = torch::nn::functional;
    const int64_t h = input.size(2), w = input.size(3);
    std::vector<at::Tensor> out;
    out.reserve(changes.size());
    for (size_t i = 0; i < changes.size(); ++i) {
        const Augment &a = changes[i];
        at::Tensor image = input[int64_t(i)];
        const auto x0 = int64_t(std::floor(a.left * double(w)));
        const auto x1 = std::max(x0 + 1, w - int64_t(std::floor(a.right * double(w))));
        const auto y0 = int64_t(std::floor(a.top * double(h)));
        const auto y1 = std::max(y0 + 1, h - int64_t(std::floor(a.bottom * double(h))));
        if (x0 > 0 || y0 > 0 || x1 < w || y1 < h) {
            image = image.slice(1, y0, y1).slice(2, x0, x1).unsqueeze(0);
            image = F::interpolate(image, F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{h, w})
                                              .mode(torch::kBilinear)
                                              .align_corners(false))
                        .squeeze(0);
        }
        if (a.flip)
            image = image.flip({2});
        out.push_back(image);
    }
    return torch::stack(out);
}

struct Validation
{
    double loss = 0;
    double accuracy = 0;
    bool cancelled = false;
};

// The run, in the order execute() takes its steps (as TorchTrainer's): load the base, open the stores,
// set the seed and the optimiser, train epoch by epoch keeping the best weights, write the model.
class Run final
{
public:
    Run(const ImageTrainingRequest &request, const TrainingOptions &options)
        : m_request(request), m_params(request.params), m_options(options)
    {
    }
    Q_DISABLE_COPY_MOVE(Run)

    Result<ImageTrainingResult> execute();

private:
    bool stopIfCancelled()
    {
        m_result.training.cancelled = m_result.training.cancelled || (m_options.cancel && m_options.cancel->load());
        return m_result.training.cancelled;
    }
    Status load();
    Status prepare();
    Status trainEpochs();
    Status trainBatches(int epoch, double &lossSum, qint64 &seen);
    Result<Validation> validate();
    Status report(int epoch, double trainLoss, qint64 epochNs, bool &stopEarly);
    Status write();
    std::vector<Augment> drawAugmentation(qint64 n);
    at::Tensor inputOf(Batch &batch) const;

    const ImageTrainingRequest &m_request;
    const TrainingParams &m_params;
    const TrainingOptions &m_options;
    ImageTrainingResult m_result;
    QElapsedTimer m_clock;

    torch::jit::Module m_module;
    ModelInfo m_base;
    ImageSpec m_spec;
    std::optional<Task> m_task;
    Images m_train;
    Images m_valid;
    std::vector<double> m_classWeights;
    at::Tensor m_classWeightTensor;

    std::unique_ptr<torch::optim::Adam> m_optimizer;
    std::optional<Schedule> m_schedule;
    std::mt19937_64 m_shuffler;
    std::mt19937_64 m_augmenter;
    std::vector<qint64> m_order;
    Batch m_batch;
    std::vector<float> m_probe; // the first validation images, for the written file's probe
    qint64 m_probeCount = 0;

    std::vector<at::Tensor> m_bestWeights;
    qint64 m_trainedSamples = 0;
    qint64 m_trainingNs = 0;
    qint64 m_decodeNs = 0;
    qint64 m_modelNs = 0;
};

Result<ImageTrainingResult> Run::execute()
{
    m_clock.start();
    if (const Status loaded = load(); !loaded)
        return loaded.error();
    if (stopIfCancelled())
        return m_result;
    if (const Status prepared = prepare(); !prepared)
        return prepared.error();
    if (const Status trained = trainEpochs(); !trained)
        return trained.error();
    if (stopIfCancelled())
        return m_result;
    restore(m_module, m_bestWeights);
    m_module.eval();
    m_result.training.samplesPerSecond = m_trainingNs > 0 ? double(m_trainedSamples) * 1e9 / double(m_trainingNs) : 0;
    m_result.trainImages = m_train.usable();
    m_result.validationImages = m_valid.usable();
    m_result.decodeSeconds = double(m_decodeNs) / 1e9;
    m_result.modelSeconds = double(m_modelNs) / 1e9;
    if (const Status written = write(); !written)
        return written.error();
    return m_result;
}

Status Run::load()
{
    auto module = loadBase(m_request.baseBytes, m_request.basePath, m_base);
    if (!module)
        return module.error();
    m_module = std::move(module).value();
    if (!m_base.image || m_base.task != QLatin1String("classification"))
        return Error{TorchImageTrainer::tr("Model %1 is not an image classifier (mldeck.json: \"input\": \"image\").")
                         .arg(m_base.name)};
    m_spec = *m_base.image;
    m_task.emplace(m_base);
    if (const Status opened = m_train.open(m_request.train, m_task->classes, TorchImageTrainer::tr("Training"));
        !opened)
        return opened;
    if (const Status opened = m_valid.open(m_request.validation, m_task->classes, TorchImageTrainer::tr("Validation"));
        !opened)
        return opened;
    // Balanced weights count the listed images: an image found unreadable later still counts (it matters
    // only when many files of one class are corrupt; retrain.md, "Image models").
    std::vector<qint64> counts(size_t(m_task->classes), 0);
    for (const Entry &e : m_train.entries())
        ++counts[size_t(e.label)];
    auto weights = classWeightsFor(m_params, *m_task, counts);
    if (!weights)
        return weights.error();
    m_classWeights = std::move(weights).value();
    m_classWeightTensor = torch::tensor(std::vector<float>(m_classWeights.begin(), m_classWeights.end()));
    return {};
}

Status Run::prepare()
{
    // One seed drives everything random: re-initialisation and dropout (torch's generator), the order
    // and the augmentation (our own generators, independent of what torch drew before).
    torch::manual_seed(m_params.seed);
    if (!m_params.startFromBase)
        reinitialise(m_module);
    auto parameters = trainableParameters(m_module, m_base.name);
    if (!parameters)
        return parameters.error();
    m_schedule.emplace(m_params);
    m_optimizer =
        std::make_unique<torch::optim::Adam>(parameters.value(), torch::optim::AdamOptions(m_params.learningRate));
    m_shuffler.seed(m_params.seed);
    m_augmenter.seed(m_params.seed ^ 0x9e3779b97f4a7c15ULL);
    m_order.resize(m_train.entries().size());
    for (size_t i = 0; i < m_order.size(); ++i)
        m_order[i] = qint64(i);
    return {};
}

Status Run::trainEpochs()
{
    for (int epoch = 1; epoch <= m_params.epochs; ++epoch) {
        QElapsedTimer epochClock;
        epochClock.start();
        double lossSum = 0;
        qint64 seen = 0;
        if (const Status trained = trainBatches(epoch, lossSum, seen); !trained || m_result.training.cancelled)
            return trained;
        // Known only once every image was read (a pre-pass would decode everything twice): a set of mostly
        // unreadable files costs one epoch before it is refused.
        if (m_train.usable() < kMinTrainingImages)
            return Error{TorchImageTrainer::tr("Too few usable training images: %1 (at least %2 are needed); %n "
                                               "image(s) were skipped.",
                                               nullptr, int(m_result.skippedCount))
                             .arg(m_train.usable())
                             .arg(kMinTrainingImages)};
        const qint64 epochNs = epochClock.nsecsElapsed();
        m_trainingNs += epochNs;
        bool stopEarly = false;
        if (const Status reported = report(epoch, lossSum / double(std::max<qint64>(1, seen)), epochNs, stopEarly);
            !reported || m_result.training.cancelled)
            return reported;
        if (stopEarly)
            break;
        m_schedule->reduceOnPlateau(*m_optimizer);
    }
    return {};
}

std::vector<Augment> Run::drawAugmentation(qint64 n)
{
    const ImageAugmentation &aug = m_request.augmentation;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<Augment> out(static_cast<size_t>(n));
    for (Augment &a : out) {
        a.flip = aug.horizontalFlip && unit(m_augmenter) < 0.5;
        if (aug.maxCrop > 0) {
            const double cutX = unit(m_augmenter) * aug.maxCrop, cutY = unit(m_augmenter) * aug.maxCrop;
            a.left = unit(m_augmenter) * cutX;
            a.right = cutX - a.left;
            a.top = unit(m_augmenter) * cutY;
            a.bottom = cutY - a.top;
        }
    }
    return out;
}

at::Tensor Run::inputOf(Batch &batch) const
{
    return torch::from_blob(batch.chw.data(), {batch.count, m_spec.channels, m_spec.height, m_spec.width},
                            torch::kFloat32);
}

// One pass over the training images in a fresh shuffled order; lossSum adds up the loss of every image.
Status Run::trainBatches(int epoch, double &lossSum, qint64 &seen)
{
    m_module.train(true);
    std::shuffle(m_order.begin(), m_order.end(), m_shuffler);
    const auto n = qint64(m_order.size());
    const qint64 size = std::max<qint64>(1, m_params.batchSize);
    // A last batch of one image joins the one before: a model with batch normalisation cannot train on
    // a single image ("Expected more than 1 value per channel").
    qint64 batches = (n + size - 1) / size;
    if (size > 1 && batches > 1 && n % size == 1)
        --batches;
    std::vector<qint64> indices;
    for (qint64 b = 0; b < batches; ++b) {
        if (stopIfCancelled())
            return {};
        QElapsedTimer decodeClock;
        decodeClock.start();
        indices.clear();
        const qint64 end = b + 1 == batches ? n : (b + 1) * size;
        for (qint64 i = b * size; i < end; ++i)
            if (!m_train.isBad(m_order[size_t(i)]))
                indices.push_back(m_order[size_t(i)]);
        m_train.load(indices, m_spec, m_batch, m_result);
        // Skipped images can leave one: it waits for the next epoch's order, for the same reason.
        if (m_batch.count == 0 || (size > 1 && m_batch.count == 1))
            continue;
        const std::vector<Augment> changes = drawAugmentation(m_batch.count);
        const at::Tensor input = augmentBatch(inputOf(m_batch), changes);
        const at::Tensor label = torch::tensor(m_batch.labels, torch::kInt64);
        m_decodeNs += decodeClock.nsecsElapsed();

        QElapsedTimer modelClock;
        modelClock.start();
        m_optimizer->zero_grad();
        auto out = forwardBatch(m_module, input, m_batch.count, m_task->width());
        if (!out)
            return Error{TorchImageTrainer::tr("Model %1: %2").arg(m_base.name, out.errorMessage())};
        // Cross-entropy weighted by class, normalised by the weights (as torch's cross_entropy with weight).
        const at::Tensor w = m_classWeightTensor.index_select(0, label);
        const at::Tensor loss = -(trueClassLogProbability(out.value(), label, *m_task) * w).sum() / w.sum();
        const double value = loss.item<double>();
        if (!std::isfinite(value))
            return Error{
                TorchImageTrainer::tr("training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate")
                    .arg(lossKind(value))
                    .arg(epoch)
                    .arg(b + 1)};
        loss.backward();
        m_optimizer->step();
        m_modelNs += modelClock.nsecsElapsed();
        lossSum += value * double(m_batch.count);
        seen += m_batch.count;
        m_trainedSamples += m_batch.count;
        if (m_options.progress)
            m_options.progress((double(epoch - 1) + double(b + 1) / double(batches)) / double(m_params.epochs));
    }
    return {};
}

// The validation images, streamed: the class-weighted cross-entropy (the training objective) and the accuracy.
Result<Validation> Run::validate()
{
    torch::NoGradGuard noGrad;
    m_module.eval();
    Validation v;
    const auto n = qint64(m_valid.entries().size());
    double lossSum = 0, weightSum = 0;
    qint64 hits = 0, used = 0;
    std::vector<qint64> indices;
    for (qint64 begin = 0; begin < n; begin += kValidationBatch) {
        if (stopIfCancelled()) {
            v.cancelled = true;
            return v;
        }
        QElapsedTimer decodeClock;
        decodeClock.start();
        indices.clear();
        for (qint64 i = begin; i < std::min(n, begin + kValidationBatch); ++i)
            if (!m_valid.isBad(i))
                indices.push_back(i);
        m_valid.load(indices, m_spec, m_batch, m_result);
        m_decodeNs += decodeClock.nsecsElapsed();
        if (m_batch.count == 0)
            continue;
        if (m_probeCount == 0) {
            m_probeCount = std::min<qint64>(kProbeImages, m_batch.count);
            m_probe.assign(m_batch.chw.begin(), m_batch.chw.begin() + ptrdiff_t(m_probeCount * m_spec.inputWidth()));
        }
        QElapsedTimer modelClock;
        modelClock.start();
        auto out = forwardBatch(m_module, inputOf(m_batch), m_batch.count, m_task->width());
        if (!out)
            return out.error();
        const at::Tensor label = torch::tensor(m_batch.labels, torch::kInt64);
        const at::Tensor w = m_classWeightTensor.index_select(0, label).to(torch::kFloat64);
        lossSum -= (trueClassLogProbability(out.value(), label, *m_task).to(torch::kFloat64) * w).sum().item<double>();
        weightSum += w.sum().item<double>();
        const std::vector<int> decided = decidedClasses(out.value(), *m_task);
        for (size_t i = 0; i < decided.size(); ++i)
            hits += decided[i] == m_batch.labels[i] ? 1 : 0;
        used += m_batch.count;
        m_modelNs += modelClock.nsecsElapsed();
    }
    if (used == 0)
        return Error{TorchImageTrainer::tr("No usable validation image: %n image(s) skipped.", nullptr,
                                           int(m_result.skippedCount))};
    v.loss = lossSum / weightSum;
    v.accuracy = double(hits) / double(used);
    return v;
}

// The epoch's validation, its report, the best weights kept, and early stopping (stopEarly).
Status Run::report(int epoch, double trainLoss, qint64 epochNs, bool &stopEarly)
{
    auto checked = validate();
    if (!checked)
        return Error{TorchImageTrainer::tr("Model %1 (validation): %2").arg(m_base.name, checked.errorMessage())};
    if (checked->cancelled) {
        m_result.training.cancelled = true;
        return {};
    }
    if (!std::isfinite(checked->loss))
        return Error{
            TorchImageTrainer::tr("training diverged: validation loss is %1 after epoch %2; try a lower learning rate")
                .arg(lossKind(checked->loss))
                .arg(epoch)};
    const int epochs = m_params.epochs;
    EpochReport r;
    r.epoch = epoch;
    r.epochs = epochs;
    r.trainLoss = trainLoss;
    r.validationLoss = checked->loss;
    r.validationAccuracy = checked->accuracy;
    r.learningRate = m_schedule->learningRate();
    r.elapsedSeconds = double(m_clock.nsecsElapsed()) / 1e9;
    r.secondsLeft = r.elapsedSeconds / epoch * (epochs - epoch);
    r.samplesPerSecond = epochNs > 0 ? double(m_train.usable()) * 1e9 / double(epochNs) : 0;
    if (m_schedule->improved(checked->loss)) {
        m_result.training.bestEpoch = epoch;
        m_bestWeights = snapshot(m_module);
    }
    stopEarly = m_schedule->stopEarly();
    if (stopEarly)
        r.secondsLeft = 0;
    m_result.training.history.push_back(r);
    if (m_options.epochDone)
        m_options.epochDone(r);
    return {};
}

Status Run::write()
{
    const QJsonObject extra{
        {QStringLiteral("images"), QJsonObject{{QStringLiteral("train"), double(m_result.trainImages)},
                                               {QStringLiteral("validation"), double(m_result.validationImages)},
                                               {QStringLiteral("skipped"), double(m_result.skippedCount)}}},
        {QStringLiteral("augmentation"), m_request.augmentation.toJson()}};
    const QJsonObject meta =
        updatedMetadata(m_base, m_request.newVersion, m_result.trainImages, m_result.validationImages, m_params,
                        m_result.training, m_classWeights, extra);
    const auto probe = [&](TorchModel &model) -> Status {
        auto predicted = model.predict(m_probe.data(), m_probeCount, m_spec.inputWidth());
        if (!predicted)
            return predicted.error();
        return {};
    };
    auto written = writeTrainedModel(m_module, meta, m_request.outputPath, probe, [this] { return stopIfCancelled(); });
    if (!written)
        return written.error();
    if (written->has_value())
        m_result.training.info = **written;
    return {};
}

} // namespace

Result<ImageTrainingResult> TorchImageTrainer::train(const ImageTrainingRequest &request,
                                                     const TrainingOptions &options)
{
    const ThreadsGuard threads(request.params.threads);
    Run run(request, options);
    return guarded([&] { return run.execute(); });
}

} // namespace mldeck
