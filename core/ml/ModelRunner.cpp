#include "core/ml/ModelRunner.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/ModelOutput.h"
#include "core/ml/ModelWorker.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>

#include <cmath>
#include <mutex>
#include <optional>

namespace mldeck {

using worker::MessageType;

struct ModelRunner::Impl
{
    explicit Impl(const WorkerLimits &limits) : worker(limits) {}

    ModelInfo info;
    QByteArray bytes; // the verified file: a fresh worker gets these again, never a re-read of the path
    std::optional<InputEncoder> encoder; // models with metadata: models.md §2, encoded here, not in the worker
    int rawWidth = -1;                   // models without metadata: the numeric width of the first call
    int columns = 1;                     // output values per row (the worker's load probe)
    qint64 unknownValues = 0;
    int threads = 0;
    ModelWorker worker;
    mutable std::mutex mutex;

    Result<worker::Message> loadIntoWorker(const std::atomic<bool> *cancel);
    Status encode(const std::vector<FeatureRow> &rows, std::vector<float> &buffer, int &width);
    Result<std::vector<double>> run(const std::vector<FeatureRow> &rows, const std::atomic<bool> *cancel);
    Result<std::vector<double>> send(const float *table, qint64 n, int width, const std::atomic<bool> *cancel);
};

ModelRunner::ModelRunner(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
ModelRunner::~ModelRunner() = default;

const ModelInfo &ModelRunner::info() const
{
    return d->info;
}

qint64 ModelRunner::unknownCategoryValues() const
{
    std::lock_guard lock(d->mutex);
    return d->unknownValues;
}

qint64 ModelRunner::workerPid() const
{
    std::lock_guard lock(d->mutex);
    return d->worker.pid();
}

double ModelRunner::workerStartMs() const
{
    std::lock_guard lock(d->mutex);
    return d->worker.lastStartMs();
}

void ModelRunner::setThreads(int threads)
{
    std::lock_guard lock(d->mutex);
    if (threads > 0)
        d->threads = threads;
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::load(const QString &path)
{
    return load(path, QByteArray(), WorkerLimits::defaults());
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::load(const QString &path, const QByteArray &expectedSha256)
{
    return load(path, expectedSha256, WorkerLimits::defaults());
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::load(const QString &path, const QByteArray &expectedSha256,
                                                       const WorkerLimits &limits)
{
    const QFileInfo fileInfo(path);
    if (path.isEmpty())
        return Error{tr("No model file given.")};
    if (!fileInfo.exists())
        return Error{tr("Model file %1 does not exist.").arg(path)};
    if (!fileInfo.isFile())
        return Error{tr("Model path %1 is not a file.").arg(path)};
    // The file is read once: the bytes that are hashed are the bytes the worker loads, so a file
    // swapped between a check and the load can never slip through (a TorchScript file is code).
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{tr("Cannot read model file %1: %2").arg(path, file.errorString())};

    auto impl = std::make_unique<Impl>(limits);
    impl->bytes = file.readAll();
    file.close();
    ModelInfo &info = impl->info;
    info.path = fileInfo.absoluteFilePath();
    info.sha256 = QCryptographicHash::hash(impl->bytes, QCryptographicHash::Sha256).toHex();
    if (!expectedSha256.isEmpty() && info.sha256 != expectedSha256.trimmed().toLower())
        return Error{tr("Model file %1 does not match its expected SHA-256 (%2…, expected %3…): it was not loaded.")
                         .arg(path, QString::fromLatin1(info.sha256.left(12)),
                              QString::fromLatin1(expectedSha256.trimmed().left(12)))};

    const auto loaded = impl->loadIntoWorker(nullptr);
    if (!loaded)
        return loaded.error();
    worker::WireReader r(loaded->payload);
    const bool hasMetadata = r.u8() != 0;
    const QByteArray metadata = r.bytes();
    const QString name = r.string();
    impl->columns = r.i32();
    if (r.failed() || impl->columns < 1)
        return Error{tr("The model worker sent a malformed answer while loading %1.").arg(path)};
    if (hasMetadata) {
        if (const Status parsed = parseModelMetadata(metadata, info); !parsed)
            return Error{tr("%1: %2").arg(path, parsed.errorMessage())};
        impl->encoder.emplace(info);
    } else {
        info.name = name;
    }
    return std::unique_ptr<ModelRunner>(new ModelRunner(std::move(impl)));
}

Result<worker::Message> ModelRunner::Impl::loadIntoWorker(const std::atomic<bool> *cancel)
{
    QByteArray payload;
    worker::WireWriter w(payload);
    w.string(info.path);
    w.bytes(bytes);
    ModelWorker::RequestOptions options;
    options.cancel = cancel;
    auto reply = worker.request(MessageType::Load, payload, options);
    if (reply && reply->type != MessageType::Loaded)
        return Error{tr("The model worker sent an unexpected answer while loading %1.").arg(info.path)};
    return reply;
}

Result<std::vector<double>> ModelRunner::predict(const std::vector<FeatureRow> &rows, const std::atomic<bool> *cancel)
{
    std::lock_guard lock(d->mutex);
    if (d->info.task != QLatin1String("classification"))
        return d->run(rows, cancel);
    if (!d->info.classSpec.isBinary())
        return Error{tr("Model %1 is a classifier of %2 classes: it predicts a probability vector per row, not one "
                        "value.")
                         .arg(d->info.name)
                         .arg(d->info.classSpec.count())};
    auto raw = d->run(rows, cancel);
    if (!raw)
        return raw.error();
    auto probabilities = toClassProbabilities(raw.value(), d->columns, d->info);
    if (!probabilities)
        return Error{tr("Model %1: %2").arg(d->info.name, probabilities.errorMessage())};
    return probabilities->column(1);
}

Result<ClassProbabilities> ModelRunner::predictProbabilities(const std::vector<FeatureRow> &rows,
                                                             const std::atomic<bool> *cancel)
{
    std::lock_guard lock(d->mutex);
    if (d->info.task != QLatin1String("classification"))
        return Error{tr("Model %1 is not a classifier (its metadata gives task \"%2\").")
                         .arg(d->info.name, d->info.task.isEmpty() ? tr("none") : d->info.task)};
    auto raw = d->run(rows, cancel);
    if (!raw)
        return raw.error();
    auto probabilities = toClassProbabilities(raw.value(), d->columns, d->info);
    if (!probabilities)
        return Error{tr("Model %1: %2").arg(d->info.name, probabilities.errorMessage())};
    return probabilities;
}

Result<ClassProbabilities> ModelRunner::predictImageProbabilities(const float *chw, qint64 n,
                                                                  const std::atomic<bool> *cancel)
{
    std::lock_guard lock(d->mutex);
    if (!d->info.image)
        return Error{
            tr("Model %1 is not an image model (its metadata has no \"input\": \"image\").").arg(d->info.name)};
    if (n < 0 || (n > 0 && !chw))
        return Error{tr("Model %1: no images given.").arg(d->info.name)};
    if (n == 0)
        return toClassProbabilities({}, d->columns, d->info);
    auto raw = d->send(chw, n, d->info.image->inputWidth(), cancel);
    if (!raw)
        return raw.error();
    auto probabilities = toClassProbabilities(raw.value(), d->columns, d->info);
    if (!probabilities)
        return Error{tr("Model %1: %2").arg(d->info.name, probabilities.errorMessage())};
    return probabilities;
}

// Encodes the rows and has the worker run them.
Result<std::vector<double>> ModelRunner::Impl::run(const std::vector<FeatureRow> &rows, const std::atomic<bool> *cancel)
{
    if (info.image)
        return Error{tr("Model %1 is an image model: it takes images, not feature rows.").arg(info.name)};
    if (rows.empty())
        return std::vector<double>{};
    std::vector<float> table;
    int width = 0;
    if (const Status encoded = encode(rows, table, width); !encoded)
        return encoded.error();
    return send(table.data(), qint64(rows.size()), width, cancel);
}

// Sends n rows of width values to the worker (a fresh one when the last was lost) and checks the answer's
// size: n × the output width found when the model was loaded.
Result<std::vector<double>> ModelRunner::Impl::send(const float *table, qint64 n, int width,
                                                    const std::atomic<bool> *cancel)
{
    if (!worker.running()) { // the previous worker was lost: a fresh one gets the same bytes
        if (const auto loaded = loadIntoWorker(cancel); !loaded)
            return Error{tr("Model %1: %2").arg(info.name, loaded.errorMessage())};
    }
    QByteArray payload;
    const size_t count = size_t(n) * size_t(width);
    payload.reserve(qsizetype(count * sizeof(float)) + 32);
    worker::WireWriter w(payload);
    w.i32(threads);
    w.i64(n);
    w.i32(width);
    w.floats(table, count);
    ModelWorker::RequestOptions options;
    options.cancel = cancel;
    const auto reply = worker.request(MessageType::Predict, payload, options);
    if (!reply)
        return reply.error();
    worker::WireReader r(reply->payload);
    const int answered = r.i32();
    std::vector<double> predictions = r.doubles();
    if (reply->type != MessageType::Predictions || r.failed() || answered != columns ||
        predictions.size() != size_t(n) * size_t(columns))
        return Error{tr("The model worker sent a malformed answer for model %1.").arg(info.name)};
    return predictions;
}

// Encodes all rows into one [N, width] buffer with plain loops (no per-row message).
Status ModelRunner::Impl::encode(const std::vector<FeatureRow> &rows, std::vector<float> &buffer, int &width)
{
    const auto n = qint64(rows.size());
    if (!info.hasMetadata) {
        if (rawWidth < 0)
            rawWidth = int(rows.front().numeric.size());
        width = rawWidth;
        buffer.reserve(size_t(n) * size_t(rawWidth));
        for (qint64 i = 0; i < n; ++i) {
            const FeatureRow &r = rows[size_t(i)];
            if (int(r.numeric.size()) != rawWidth || !r.categorical.isEmpty())
                return Error{tr("Row %1 has %2 numeric and %3 categorical values; this model (no metadata) takes "
                                "%4 numeric values and no categorical ones.")
                                 .arg(i + 1)
                                 .arg(r.numeric.size())
                                 .arg(r.categorical.size())
                                 .arg(rawWidth)};
            for (float v : r.numeric) {
                if (!std::isfinite(v))
                    return Error{tr("Row %1 has a numeric value that is not a finite number.").arg(i + 1)};
                buffer.push_back(v);
            }
        }
        return {};
    }
    width = info.inputWidth;
    buffer.resize(size_t(n) * size_t(width));
    return encoder->encode(rows, buffer.data(), &unknownValues);
}

} // namespace mldeck
