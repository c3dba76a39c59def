// One of the two translation units that include LibTorch (with Trainer.cpp; each takes ~30 s to compile).
#include "core/ml/ModelRunner.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/TorchMessage.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cmath>
#include <sstream>
#include <mutex>
#include <optional>

Q_LOGGING_CATEGORY(lcMl, "mldeck.ml")

namespace mldeck {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("mldeck::ModelRunner", text);
}

// Stands for "no such extra file": torch::jit::load leaves the map entry untouched when the archive
// has no extra/mldeck.json, and a real metadata file never starts with a NUL byte.
const std::string kAbsent("\0absent", 7);

} // namespace

struct ModelRunner::Impl
{
    torch::jit::Module module;
    ModelInfo info;
    std::optional<InputEncoder> encoder; // models with metadata: models.md §2, shared with the Trainer
    int rawWidth = -1; // models without metadata: the numeric width of the first call
    qint64 unknownValues = 0;
    std::mutex mutex;

    Result<std::vector<double>> run(const std::vector<FeatureRow> &rows);
    Result<at::Tensor> encode(const std::vector<FeatureRow> &rows, std::vector<float> &buffer);
    Result<std::vector<double>> forward(const at::Tensor &input, size_t expected);
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

void ModelRunner::setThreads(int threads)
{
    if (threads > 0)
        at::set_num_threads(threads);
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::load(const QString &path) { return load(path, QByteArray()); }

Result<std::unique_ptr<ModelRunner>> ModelRunner::load(const QString &path, const QByteArray &expectedSha256)
{
    const QFileInfo fileInfo(path);
    if (path.isEmpty())
        return Error{tr("No model file given.")};
    if (!fileInfo.exists())
        return Error{tr("Model file %1 does not exist.").arg(path)};
    if (!fileInfo.isFile())
        return Error{tr("Model path %1 is not a file.").arg(path)};
    // The file is read once: the bytes that are hashed are the bytes LibTorch loads, so a file
    // swapped between a check and the load can never slip through (a TorchScript file is code).
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{tr("Cannot read model file %1: %2").arg(path, file.errorString())};
    const QByteArray bytes = file.readAll();
    file.close();

    auto impl = std::make_unique<Impl>();
    ModelInfo &info = impl->info;
    info.path = fileInfo.absoluteFilePath();
    info.sha256 = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    if (!expectedSha256.isEmpty() && info.sha256 != expectedSha256.trimmed().toLower())
        return Error{tr("Model file %1 does not match its expected SHA-256 (%2…, expected %3…): it was not loaded.")
                         .arg(path, QString::fromLatin1(info.sha256.left(12)),
                              QString::fromLatin1(expectedSha256.trimmed().left(12)))};

    torch::jit::ExtraFilesMap extra{{"mldeck.json", kAbsent}};
    try {
        std::istringstream stream(bytes.toStdString());
        impl->module = torch::jit::load(stream, torch::kCPU, extra);
        impl->module.eval();
    } catch (const std::exception &e) {
        return Error{
            tr("%1 is not a TorchScript model file (torch.jit.save output): %2").arg(path, torchMessage(e))};
    }

    const std::string &json = extra["mldeck.json"];
    if (json == kAbsent) {
        qCInfo(lcMl) << "model" << path << "has no mldeck.json metadata: raw numeric input";
        info.name = fileInfo.completeBaseName();
        return std::unique_ptr<ModelRunner>(new ModelRunner(std::move(impl)));
    }
    if (const Status parsed = parseModelMetadata(QByteArray::fromStdString(json), info); !parsed)
        return Error{tr("%1: %2").arg(path, parsed.errorMessage())};

    impl->encoder.emplace(info);

    // Probe: the model must take the input its metadata describes and give one value per row.
    try {
        const at::Tensor probe = info.sequenceLength > 1
                                     ? torch::zeros({2, info.sequenceLength, info.inputWidth})
                                     : torch::zeros({2, info.inputWidth});
        const auto out = impl->forward(probe, 2);
        if (!out)
            return Error{
                tr("%1: the model does not accept the input its metadata describes (%2 values per row%3): %4")
                    .arg(path)
                    .arg(info.inputWidth)
                    .arg(info.sequenceLength > 1 ? tr(", windows of %1 rows").arg(info.sequenceLength)
                                                 : QString())
                    .arg(out.errorMessage())};
    } catch (const std::exception &e) {
        return Error{
            tr("%1: the model does not accept the input its metadata describes (%2 values per row): %3")
                .arg(path)
                .arg(info.inputWidth)
                .arg(torchMessage(e))};
    }
    qCInfo(lcMl) << "loaded model" << info.name << info.version << "from" << path;
    return std::unique_ptr<ModelRunner>(new ModelRunner(std::move(impl)));
}

Result<std::vector<double>> ModelRunner::predict(const std::vector<FeatureRow> &rows)
{
    std::lock_guard lock(d->mutex);
    try {
        return d->run(rows);
    } catch (const std::exception &e) {
        return Error{tr("Model %1 failed: %2").arg(d->info.name, torchMessage(e))};
    } catch (...) {
        return Error{tr("Model %1 failed with an unknown error.").arg(d->info.name)};
    }
}

Result<std::vector<double>> ModelRunner::Impl::run(const std::vector<FeatureRow> &rows)
{
    if (rows.empty())
        return std::vector<double>{};
    std::vector<float> buffer; // owns the memory the input tensor views
    auto input = encode(rows, buffer);
    if (!input)
        return input.error();
    auto out = forward(input.value(), rows.size());
    if (!out)
        return Error{tr("Model %1: %2").arg(info.name, out.errorMessage())};
    return out;
}

// Encodes all rows into one [N, width] buffer with plain loops (no per-row torch call), then views it as
// one tensor; a sequence model gets the [N, L, width] windows through one index_select.
Result<at::Tensor> ModelRunner::Impl::encode(const std::vector<FeatureRow> &rows, std::vector<float> &buffer)
{
    const auto n = qint64(rows.size());
    if (!info.hasMetadata) {
        if (rawWidth < 0)
            rawWidth = int(rows.front().numeric.size());
        buffer.reserve(size_t(n) * size_t(rawWidth));
        for (qint64 i = 0; i < n; ++i) {
            const FeatureRow &r = rows[size_t(i)];
            if (int(r.numeric.size()) != rawWidth || !r.categorical.isEmpty())
                return Error{
                    tr("Row %1 has %2 numeric and %3 categorical values; this model (no metadata) takes "
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
        return torch::from_blob(buffer.data(), {n, rawWidth}, torch::kFloat32);
    }

    const int width = info.inputWidth;
    buffer.resize(size_t(n) * size_t(width));
    if (const Status encoded = encoder->encode(rows, buffer.data(), &unknownValues); !encoded)
        return encoded.error();
    at::Tensor table = torch::from_blob(buffer.data(), {n, width}, torch::kFloat32);
    const int length = info.sequenceLength;
    if (length <= 1)
        return table;
    std::vector<int64_t> index = InputEncoder::windowIndex(n, length);
    const at::Tensor idx = torch::from_blob(index.data(), {n * length}, torch::kInt64);
    return table.index_select(0, idx).view({n, length, width}); // index_select copies: idx may go
}

Result<std::vector<double>> ModelRunner::Impl::forward(const at::Tensor &input, size_t expected)
{
    at::NoGradGuard noGrad; // = torch::NoGradGuard; InferenceMode fails on trainable modules in 1.13
    const c10::IValue result = module.forward({input});
    if (!result.isTensor())
        return Error{
            tr("the model returned %1, not a tensor.").arg(QString::fromStdString(result.tagKind()))};
    at::Tensor out = result.toTensor();
    if (out.dim() == 2 && out.size(1) == 1)
        out = out.squeeze(1);
    if (out.dim() != 1 || size_t(out.size(0)) != expected)
        return Error{tr("the model returned a tensor of shape %1, expected one value per row [%2].")
                         .arg(QString::fromStdString(c10::str(out.sizes())))
                         .arg(expected)};
    out = out.to(torch::kFloat64).contiguous();
    const double *values = out.data_ptr<double>();
    std::vector<double> predictions(values, values + expected);
    for (size_t i = 0; i < expected; ++i) {
        if (!std::isfinite(predictions[i]))
            return Error{
                tr("the model gave a non-finite prediction (%1) for row %2.").arg(predictions[i]).arg(i + 1)};
    }
    return predictions;
}

} // namespace mldeck
