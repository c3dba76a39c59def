// The nanny model inside the model worker: a third translation unit that includes torch, kept small.
// Why this shape (two hidden layers, softplus output, squared error): resources/contract/nanny.md.
#include "core/ml/torch/TorchNanny.h"

#include "core/ml/WorkerProtocol.h"

#include <QElapsedTimer>

#include <ATen/Parallel.h>
#include <torch/nn/functional.h>
#include <torch/nn/init.h>
#include <torch/optim/adam.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace mldeck {

namespace {

// A fully connected layer: out = in · Wᵀ + b.
struct Layer
{
    at::Tensor weight; // [out, in]
    at::Tensor bias;   // [out]
};

at::Tensor forward(const std::vector<Layer> &layers, const at::Tensor &x)
{
    at::Tensor h = x;
    for (size_t i = 0; i < layers.size(); ++i) {
        h = torch::addmm(layers[i].bias, h, layers[i].weight.t());
        h = i + 1 < layers.size() ? torch::relu(h) : torch::softplus(h).squeeze(1);
    }
    return h;
}

std::vector<Layer> initialLayers(int width, const NannyTrainingParams &p)
{
    const int sizes[] = {width, p.hidden1, p.hidden2, 1};
    std::vector<Layer> layers;
    for (int i = 0; i < 3; ++i) {
        Layer l{torch::empty({sizes[i + 1], sizes[i]}), torch::zeros({sizes[i + 1]})};
        torch::nn::init::kaiming_uniform_(l.weight, std::sqrt(5.0)); // torch.nn.Linear's default
        l.weight.requires_grad_(true);
        l.bias.requires_grad_(true);
        layers.push_back(std::move(l));
    }
    return layers;
}

QByteArray writeWeights(const std::vector<Layer> &layers)
{
    QByteArray out;
    worker::WireWriter w(out);
    w.u32(quint32(layers.size()));
    for (const Layer &l : layers) {
        const at::Tensor weight = l.weight.detach().contiguous();
        const at::Tensor bias = l.bias.detach().contiguous();
        w.i32(qint32(weight.size(0)));
        w.i32(qint32(weight.size(1)));
        w.floats(weight.data_ptr<float>(), size_t(weight.numel()));
        w.floats(bias.data_ptr<float>(), size_t(bias.numel()));
    }
    return out;
}

Result<std::vector<Layer>> readWeights(const QByteArray &bytes, int width)
{
    worker::WireReader r(bytes);
    const quint32 count = r.u32();
    if (r.failed() || count == 0 || count > 8)
        return Error{TorchNanny::tr("The nanny's weights are malformed.")};
    std::vector<Layer> layers;
    int in = width;
    for (quint32 i = 0; i < count; ++i) {
        const int rows = r.i32();
        const int cols = r.i32();
        std::vector<float> weight = r.floats();
        std::vector<float> bias = r.floats();
        if (r.failed() || rows <= 0 || cols != in || qint64(weight.size()) != qint64(rows) * cols ||
            qint64(bias.size()) != rows || (i + 1 == count && rows != 1))
            return Error{TorchNanny::tr("The nanny's weights do not fit an input of %1 values.").arg(width)};
        layers.push_back(
            {torch::from_blob(weight.data(), {rows, cols}).clone(), torch::from_blob(bias.data(), {rows}).clone()});
        in = rows;
    }
    if (!r.atEnd())
        return Error{TorchNanny::tr("The nanny's weights are malformed.")};
    return layers;
}

// Restores the process-wide torch thread count when a request ends.
class Threads final
{
public:
    explicit Threads(int threads) : m_before(at::get_num_threads())
    {
        if (threads > 0)
            at::set_num_threads(threads);
    }
    ~Threads() { at::set_num_threads(m_before); }
    Q_DISABLE_COPY_MOVE(Threads)

private:
    int m_before;
};

} // namespace

Result<NannyFit> TorchNanny::train(const std::vector<float> &table, qint64 n, int width,
                                   const std::vector<float> &target, const NannyTrainingParams &params)
{
    if (n < 2 || width <= 0 || qint64(table.size()) != n * width || qint64(target.size()) != n)
        return Error{tr("Malformed nanny training request.")};
    const Threads threads(params.threads);
    torch::manual_seed(params.seed);

    // The split: a seeded permutation, the first share held out.
    std::vector<qint64> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), qint64(0));
    std::mt19937_64 shuffler(params.seed);
    std::shuffle(order.begin(), order.end(), shuffler);
    const qint64 held = std::clamp<qint64>(qint64(std::llround(double(n) * params.validationShare)), 1, n - 1);
    const at::Tensor all = torch::from_blob(const_cast<float *>(table.data()), {n, width});
    const at::Tensor y = torch::from_blob(const_cast<float *>(target.data()), {n});
    const at::Tensor index = torch::tensor(std::vector<int64_t>(order.begin(), order.end()), torch::kLong);
    const at::Tensor validX = all.index_select(0, index.slice(0, 0, held));
    const at::Tensor validY = y.index_select(0, index.slice(0, 0, held));
    const at::Tensor trainX = all.index_select(0, index.slice(0, held));
    const at::Tensor trainY = y.index_select(0, index.slice(0, held));
    const qint64 trainRows = n - held;

    std::vector<Layer> layers = initialLayers(width, params);
    std::vector<at::Tensor> parameters;
    for (const Layer &l : layers) {
        parameters.push_back(l.weight);
        parameters.push_back(l.bias);
    }
    torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(params.learningRate));
    const qint64 batch = std::clamp<qint64>(params.batchSize, 1, trainRows);

    NannyFit fit;
    fit.trainRows = trainRows;
    fit.validationRows = held;
    double best = std::numeric_limits<double>::infinity();
    int sinceBest = 0;
    std::vector<qint64> rows(static_cast<size_t>(trainRows));
    std::iota(rows.begin(), rows.end(), qint64(0));
    QElapsedTimer clock;
    clock.start();
    for (int epoch = 1; epoch <= params.maxEpochs; ++epoch) {
        std::shuffle(rows.begin(), rows.end(), shuffler);
        const at::Tensor perm = torch::tensor(std::vector<int64_t>(rows.begin(), rows.end()), torch::kLong);
        for (qint64 begin = 0; begin < trainRows; begin += batch) {
            const at::Tensor pick = perm.slice(0, begin, std::min(trainRows, begin + batch));
            const at::Tensor loss =
                torch::mse_loss(forward(layers, trainX.index_select(0, pick)), trainY.index_select(0, pick));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        fit.epochs = epoch;
        torch::NoGradGuard noGrad;
        const at::Tensor estimate = forward(layers, validX);
        const double loss = torch::mse_loss(estimate, validY).item<double>();
        if (!std::isfinite(loss))
            return Error{tr("The nanny's training diverged (validation loss is not finite at epoch %1).").arg(epoch)};
        if (loss < best) {
            best = loss;
            sinceBest = 0;
            fit.bestEpoch = epoch;
            fit.validationLoss = loss;
            fit.validationMae = (estimate - validY).abs().mean().item<double>();
            fit.validationMeanEstimate = estimate.mean().item<double>();
            fit.validationMeanTarget = validY.mean().item<double>();
            fit.weights = writeWeights(layers);
        } else if (++sinceBest >= params.patience) {
            break;
        }
        if (params.maxSeconds > 0 && double(clock.elapsed()) >= params.maxSeconds * 1000)
            break;
    }
    return fit;
}

Result<std::vector<double>> TorchNanny::score(const QByteArray &weights, const std::vector<float> &table, qint64 n,
                                              int width, int threads)
{
    if (n < 0 || width <= 0 || qint64(table.size()) != n * width)
        return Error{tr("Malformed nanny scoring request.")};
    auto layers = readWeights(weights, width);
    if (!layers)
        return layers.error();
    const Threads guard(threads);
    torch::InferenceMode inference;
    const at::Tensor out = forward(*layers, torch::from_blob(const_cast<float *>(table.data()), {n, width}))
                               .to(torch::kDouble)
                               .contiguous();
    const double *p = out.data_ptr<double>();
    return std::vector<double>(p, p + n);
}

} // namespace mldeck
