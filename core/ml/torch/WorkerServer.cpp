#include "core/ml/torch/WorkerServer.h"

#include "core/ml/torch/TorchImageTrainer.h"
#include "core/ml/torch/TorchMessage.h"
#include "core/ml/torch/TorchNanny.h"
#include "core/ml/torch/TorchTrainer.h"

#include <QElapsedTimer>
#include <QJsonDocument>

#include <cerrno>
#include <memory>
#include <new>
#include <unistd.h>

namespace mldeck {

using worker::FailureKind;
using worker::Message;
using worker::MessageType;
using worker::WireReader;
using worker::WireWriter;

WorkerServer::WorkerServer(int fd, std::atomic<bool> &cancel) : m_fd(fd), m_cancel(cancel) {}

int WorkerServer::run()
{
    QByteArray ready;
    WireWriter(ready).i64(qint64(::getpid()));
    if (!send(MessageType::Ready, ready))
        return 1;
    worker::FrameBuffer buffer;
    char chunk[1 << 16];
    for (;;) {
        const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
        if (n == 0)
            return 0; // the console closed: nothing left to do
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        buffer.append(chunk, size_t(n));
        for (;;) {
            auto next = buffer.next();
            if (!next)
                return 1; // a corrupt stream: the console will see us gone and start a fresh worker
            if (!next.value())
                break;
            if (!handle(*next.value()))
                return 1;
        }
    }
}

bool WorkerServer::send(MessageType type, const QByteArray &payload)
{
    return worker::sendAll(m_fd, worker::encodeFrame(type, payload));
}

bool WorkerServer::fail(const QString &message)
{
    const FailureKind kind = looksLikeOutOfMemory(message) ? FailureKind::OutOfMemory : FailureKind::General;
    return send(MessageType::Failed, worker::failurePayload(kind, message));
}

bool WorkerServer::handle(const Message &m)
{
    // Whatever a model throws stays a message: the console decides whether this worker goes on.
    try {
        switch (m.type) {
        case MessageType::Load:
            return load(m.payload);
        case MessageType::Predict:
            return predict(m.payload);
        case MessageType::Train:
            return train(m.payload);
        case MessageType::TrainImages:
            return trainImages(m.payload);
        case MessageType::NannyTrain:
            return trainNanny(m.payload);
        case MessageType::NannyScore:
            return scoreNanny(m.payload);
        default:
            return fail(tr("Unknown request %1.").arg(int(m.type)));
        }
    } catch (const std::bad_alloc &) {
        return send(MessageType::Failed, worker::failurePayload(FailureKind::OutOfMemory, tr("out of memory")));
    } catch (const std::exception &e) {
        return fail(torchMessage(e));
    }
}

bool WorkerServer::load(const QByteArray &payload)
{
    WireReader r(payload);
    const QString path = r.string();
    const QByteArray bytes = r.bytes();
    if (r.failed())
        return fail(tr("Malformed load request."));
    m_model.reset();
    auto model = TorchModel::load(bytes, path);
    if (!model)
        return fail(model.errorMessage());
    m_model = std::move(model).value();
    QByteArray reply;
    WireWriter w(reply);
    w.u8(m_model->info().hasMetadata ? 1 : 0);
    w.bytes(m_model->info().metadataJson);
    w.string(m_model->info().name);
    w.i32(m_model->outputColumns());
    return send(MessageType::Loaded, reply);
}

bool WorkerServer::predict(const QByteArray &payload)
{
    WireReader r(payload);
    const int threads = r.i32();
    const qint64 n = r.i64();
    const int width = r.i32();
    const std::vector<float> table = r.floats();
    if (r.failed() || n < 0 || width < 0 || qint64(table.size()) != n * width)
        return fail(tr("Malformed prediction request."));
    if (!m_model)
        return fail(tr("No model is loaded in this worker."));
    TorchModel::setThreads(threads);
    const auto predictions = m_model->predict(table.data(), n, width);
    if (!predictions)
        return fail(predictions.errorMessage());
    QByteArray reply;
    reply.reserve(qsizetype(predictions->size() * sizeof(double)) + 12);
    WireWriter w(reply);
    w.i32(m_model->outputColumns());
    w.doubles(predictions->data(), predictions->size());
    return send(MessageType::Predictions, reply);
}

bool WorkerServer::train(const QByteArray &payload)
{
    WireReader r(payload);
    const QString basePath = r.string();
    const QByteArray bytes = r.bytes();
    const Dataset trainRows = worker::readDataset(r);
    const Dataset validationRows = worker::readDataset(r);
    const QByteArray paramsJson = r.bytes();
    const QString version = r.string();
    const QString outputPath = r.string();
    if (r.failed())
        return fail(tr("Malformed training request."));
    const auto params = TrainingParams::fromJson(QJsonDocument::fromJson(paramsJson).object());
    if (!params)
        return fail(params.errorMessage());

    bool connected = true;
    const TrainingOptions options = trainingOptions(connected);
    const auto result =
        TorchTrainer::train(bytes, basePath, trainRows, validationRows, params.value(), version, outputPath, options);
    if (!connected)
        return false;
    if (!result)
        return fail(result.errorMessage());
    QByteArray reply;
    WireWriter w(reply);
    worker::writeTrainingResult(w, *result);
    return send(MessageType::Trained, reply);
}

TrainingOptions WorkerServer::trainingOptions(bool &connected)
{
    auto sinceProgress = std::make_shared<QElapsedTimer>();
    sinceProgress->start();
    TrainingOptions options;
    options.cancel = &m_cancel;
    options.progress = [this, sinceProgress, &connected](double fraction) {
        if (sinceProgress->elapsed() < 100 && fraction < 1.0)
            return;
        sinceProgress->restart();
        QByteArray p;
        WireWriter(p).f64(fraction);
        connected = send(MessageType::Progress, p) && connected;
    };
    options.epochDone = [this, &connected](const EpochReport &report) {
        QByteArray p;
        WireWriter w(p);
        worker::writeEpochReport(w, report);
        connected = send(MessageType::Epoch, p) && connected;
    };
    return options;
}

bool WorkerServer::trainImages(const QByteArray &payload)
{
    const auto request = ImageTrainingRequest::decode(payload);
    if (!request)
        return fail(request.errorMessage());
    bool connected = true;
    const TrainingOptions options = trainingOptions(connected);
    const auto result = TorchImageTrainer::train(request.value(), options);
    if (!connected)
        return false;
    if (!result)
        return fail(result.errorMessage());
    QByteArray reply;
    WireWriter w(reply);
    worker::writeTrainingResult(w, result->training);
    worker::writeImageTrainingFigures(w, *result);
    return send(MessageType::Trained, reply);
}

bool WorkerServer::trainNanny(const QByteArray &payload)
{
    WireReader r(payload);
    const qint64 n = r.i64();
    const int width = r.i32();
    const std::vector<float> table = r.floats();
    const std::vector<float> target = r.floats();
    const NannyTrainingParams params = NannyTrainingParams::read(r);
    if (r.failed() || !r.atEnd())
        return fail(tr("Malformed nanny training request."));
    const auto fit = TorchNanny::train(table, n, width, target, params);
    if (!fit)
        return fail(fit.errorMessage());
    QByteArray reply;
    WireWriter w(reply);
    w.bytes(fit->weights);
    w.i32(fit->epochs);
    w.i32(fit->bestEpoch);
    w.i64(fit->trainRows);
    w.i64(fit->validationRows);
    w.f64(fit->validationLoss);
    w.f64(fit->validationMae);
    w.f64(fit->validationMeanEstimate);
    w.f64(fit->validationMeanTarget);
    return send(MessageType::NannyTrained, reply);
}

bool WorkerServer::scoreNanny(const QByteArray &payload)
{
    WireReader r(payload);
    const QByteArray weights = r.bytes();
    const int threads = r.i32();
    const qint64 n = r.i64();
    const int width = r.i32();
    const std::vector<float> table = r.floats();
    if (r.failed() || !r.atEnd())
        return fail(tr("Malformed nanny scoring request."));
    const auto scores = TorchNanny::score(weights, table, n, width, threads);
    if (!scores)
        return fail(scores.errorMessage());
    QByteArray reply;
    reply.reserve(qsizetype(scores->size() * sizeof(double)) + 12);
    WireWriter w(reply);
    w.i32(1);
    w.doubles(scores->data(), scores->size());
    return send(MessageType::Predictions, reply);
}

} // namespace mldeck
