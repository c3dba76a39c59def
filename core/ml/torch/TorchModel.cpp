// One of the two translation units of the model worker that include LibTorch (with TorchTrainer.cpp;
// each takes ~30 s to compile).
#include "core/ml/torch/TorchModel.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/ModelOutput.h"
#include "core/ml/torch/TorchMessage.h"

#include <QFileInfo>
#include <QLoggingCategory>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cmath>
#include <sstream>

Q_LOGGING_CATEGORY(lcTorch, "mldeck.ml.torch")

namespace mldeck {

namespace {

// Stands for "no such extra file": torch::jit::load leaves the map entry untouched when the archive
// has no extra/mldeck.json, and a real metadata file never starts with a NUL byte.
const std::string kAbsent("\0absent", 7);

} // namespace

struct TorchModel::Impl
{
    torch::jit::Module module;
    ModelInfo info;
    int columns = 0; // output values per row (models.md §1), fixed by the load probe (or the first call)

    Result<std::vector<double>> forward(const at::Tensor &input, size_t expected);
};

TorchModel::TorchModel(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
TorchModel::~TorchModel() = default;

const ModelInfo &TorchModel::info() const
{
    return d->info;
}

int TorchModel::outputColumns() const
{
    return d->columns > 0 ? d->columns : 1;
}

void TorchModel::setThreads(int threads)
{
    if (threads > 0 && threads != at::get_num_threads())
        at::set_num_threads(threads);
}

Result<std::unique_ptr<TorchModel>> TorchModel::load(const QByteArray &bytes, const QString &path)
{
    auto impl = std::make_unique<Impl>();
    ModelInfo &info = impl->info;
    info.path = path;
    torch::jit::ExtraFilesMap extra{{"mldeck.json", kAbsent}};
    try {
        std::istringstream stream(bytes.toStdString());
        impl->module = torch::jit::load(stream, torch::kCPU, extra);
        impl->module.eval();
    } catch (const std::exception &e) {
        return Error{tr("%1 is not a TorchScript model file (torch.jit.save output): %2").arg(path, torchMessage(e))};
    }

    const std::string &json = extra["mldeck.json"];
    if (json == kAbsent) {
        qCInfo(lcTorch) << "model" << path << "has no mldeck.json metadata: raw numeric input";
        info.name = QFileInfo(path).completeBaseName();
        return std::unique_ptr<TorchModel>(new TorchModel(std::move(impl)));
    }
    if (const Status parsed = parseModelMetadata(QByteArray::fromStdString(json), info); !parsed)
        return Error{tr("%1: %2").arg(path, parsed.errorMessage())};

    // Probe: the model must take the input its metadata describes and give the output it declares (one
    // value per row; a classifier: the positive class's or one per class). Later calls must keep that width.
    const QString shape = info.image ? tr(", images [C, H, W] = [%1, %2, %3]")
                                           .arg(info.image->channels)
                                           .arg(info.image->height)
                                           .arg(info.image->width)
                          : info.sequenceLength > 1 ? tr(", windows of %1 rows").arg(info.sequenceLength)
                                                    : QString();
    const auto refused = [&](const QString &why) {
        return Error{tr("%1: the model does not accept the input its metadata describes (%2 values per row%3): %4")
                         .arg(path)
                         .arg(info.inputWidth)
                         .arg(shape, why)};
    };
    try {
        const at::Tensor probe = info.image
                                     ? torch::zeros({2, info.image->channels, info.image->height, info.image->width})
                                 : info.sequenceLength > 1 ? torch::zeros({2, info.sequenceLength, info.inputWidth})
                                                           : torch::zeros({2, info.inputWidth});
        const auto out = impl->forward(probe, 2);
        if (!out)
            return refused(out.errorMessage());
    } catch (const std::exception &e) {
        return refused(torchMessage(e));
    }
    qCInfo(lcTorch) << "loaded model" << info.name << info.version << "from" << path;
    return std::unique_ptr<TorchModel>(new TorchModel(std::move(impl)));
}

// The encoded rows are viewed as one tensor (no copy); a sequence model gets its [N, L, width] windows
// through one index_select.
Result<std::vector<double>> TorchModel::predict(const float *table, qint64 n, int width)
{
    if (n == 0)
        return std::vector<double>{};
    try {
        at::Tensor input = torch::from_blob(const_cast<float *>(table), {n, width}, torch::kFloat32);
        const int length = d->info.sequenceLength;
        if (const auto &image = d->info.image) {
            if (width != image->inputWidth())
                return Error{tr("Model %1 takes images of %2 values each (C·H·W), not %3.")
                                 .arg(d->info.name)
                                 .arg(image->inputWidth())
                                 .arg(width)};
            input = input.view({n, image->channels, image->height, image->width}); // images.md: CHW per image
        } else if (d->info.hasMetadata && length > 1) {
            std::vector<int64_t> index = InputEncoder::windowIndex(n, length);
            const at::Tensor idx = torch::from_blob(index.data(), {n * length}, torch::kInt64);
            input = input.index_select(0, idx).view({n, length, width}); // a copy: idx may go
        }
        auto out = d->forward(input, size_t(n));
        if (!out)
            return Error{tr("Model %1: %2").arg(d->info.name, out.errorMessage())};
        return out;
    } catch (const std::exception &e) {
        return Error{tr("Model %1 failed: %2").arg(d->info.name, torchMessage(e))};
    } catch (...) {
        return Error{tr("Model %1 failed with an unknown error.").arg(d->info.name)};
    }
}

Result<std::vector<double>> TorchModel::Impl::forward(const at::Tensor &input, size_t expected)
{
    at::NoGradGuard noGrad; // = torch::NoGradGuard; InferenceMode fails on trainable modules in 1.13
    const c10::IValue result = module.forward({input});
    if (!result.isTensor())
        return Error{tr("the model returned %1, not a tensor.").arg(QString::fromStdString(result.tagKind()))};
    at::Tensor out = result.toTensor();
    const bool shapeOk = (out.dim() == 1 || out.dim() == 2) && size_t(out.size(0)) == expected;
    const int width = out.dim() == 2 ? int(out.size(1)) : 1;
    if (!shapeOk)
        return Error{tr("the model returned a tensor of shape %1, expected [%2] or [%2, values per row].")
                         .arg(QString::fromStdString(c10::str(out.sizes())))
                         .arg(expected)};
    if (const Status fits = checkOutputColumns(info, width); !fits)
        return Error{tr("%1 (shape %2).").arg(fits.errorMessage(), QString::fromStdString(c10::str(out.sizes())))};
    if (columns > 0 && width != columns)
        return Error{tr("the model returned %1 values per row, %2 when it was loaded.").arg(width).arg(columns)};
    columns = width;
    out = out.to(torch::kFloat64).contiguous();
    const double *values = out.data_ptr<double>();
    std::vector<double> predictions(values, values + expected * size_t(width));
    for (size_t i = 0; i < predictions.size(); ++i) {
        if (!std::isfinite(predictions[i]))
            return Error{tr("the model gave a non-finite prediction (%1) for row %2.")
                             .arg(predictions[i])
                             .arg(i / size_t(width) + 1)};
    }
    return predictions;
}

} // namespace mldeck
