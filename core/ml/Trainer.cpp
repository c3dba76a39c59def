// The console's side of training: checks the request, hands the base model's bytes and the data to
// a model worker, relays its progress and reads back the result. The training itself is
// core/ml/torch/TorchTrainer.cpp, in the worker; how it works and why: resources/contract/training.md.
#include "core/ml/Trainer.h"

#include "core/Text.h"
#include "core/ml/ModelWorker.h"
#include "core/ml/WorkerProtocol.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

namespace mldeck {

namespace {

constexpr qint64 kMinTrainingRows = 10;

Result<TrainingResult> readResult(const worker::Message &reply, const QString &outputPath)
{
    worker::WireReader r(reply.payload);
    TrainingResult result;
    result.cancelled = r.u8() != 0;
    const quint32 epochs = r.u32();
    for (quint32 i = 0; i < epochs && !r.failed(); ++i)
        result.history.push_back(worker::readEpochReport(r));
    result.bestEpoch = r.i32();
    result.samplesPerSecond = r.f64();
    const QByteArray metadata = r.bytes();
    const QByteArray sha256 = r.bytes();
    if (reply.type != worker::MessageType::Trained || r.failed())
        return Error{MlText::tr("The model worker sent a malformed training result.")};
    if (result.cancelled)
        return result;
    if (const Status parsed = parseModelMetadata(metadata, result.info); !parsed)
        return Error{MlText::tr("The trained model's metadata is unreadable: %1").arg(parsed.errorMessage())};
    result.info.path = QFileInfo(outputPath).absoluteFilePath();
    result.info.sha256 = sha256;
    return result;
}

} // namespace

Result<TrainingResult> trainModel(const QString &basePath, const Dataset &train, const Dataset &validation,
                                  const TrainingParams &params, const QString &newVersion, const QString &outputPath,
                                  const TrainingOptions &options)
{
    if (const Status valid = params.validate(); !valid)
        return valid.error();
    if (newVersion.trimmed().isEmpty())
        return Error{MlText::tr("The trained model needs a version.")};
    if (outputPath.isEmpty())
        return Error{MlText::tr("No output file given for the trained model.")};
    if (!QFileInfo::exists(basePath))
        return Error{MlText::tr("Model file %1 does not exist.").arg(basePath)};
    const QFileInfo out(outputPath);
    if (!out.absoluteDir().exists())
        return Error{MlText::tr("The folder of %1 does not exist.").arg(outputPath)};
    if (train.rowCount() < kMinTrainingRows) {
        const qint64 rows = train.rowCount();
        return Error{MlText::tr("Too little training data: %n row(s); at least %1 are needed.", nullptr, int(rows))
                         .arg(kMinTrainingRows)};
    }
    if (validation.rowCount() == 0)
        return Error{
            MlText::tr("The validation set has no rows: early stopping and the choice of the best epoch need it.")};

    if (options.cancel && options.cancel->load()) { // cancelled before it started: nothing at all
        TrainingResult cancelled;
        cancelled.cancelled = true;
        return cancelled;
    }

    // Read once: the bytes checked are the bytes the worker trains (a TorchScript file is code).
    QFile file(basePath);
    if (!file.open(QIODevice::ReadOnly))
        return Error{MlText::tr("Cannot read model file %1: %2").arg(basePath, file.errorString())};
    const QByteArray bytes = file.readAll();
    if (!options.baseSha256.isEmpty() &&
        QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex() != options.baseSha256.trimmed().toLower())
        return Error{
            MlText::tr("Model file %1 does not match its registered SHA-256: it was not trained.").arg(basePath)};

    QByteArray payload;
    worker::WireWriter w(payload);
    w.string(QFileInfo(basePath).absoluteFilePath());
    w.bytes(bytes);
    worker::writeDataset(w, train);
    worker::writeDataset(w, validation);
    w.bytes(QJsonDocument(params.toJson()).toJson(QJsonDocument::Compact));
    w.string(newVersion);
    w.string(QFileInfo(outputPath).absoluteFilePath());

    ModelWorker worker;
    if (const Status started = worker.start(); !started)
        return started.error();
    if (options.workerPid)
        options.workerPid->store(worker.pid());
    ModelWorker::RequestOptions request;
    request.cancel = options.cancel;
    request.cooperativeCancel = true;
    request.onMessage = [&options](const worker::Message &m) {
        worker::WireReader r(m.payload);
        if (m.type == worker::MessageType::Progress && options.progress) {
            const double fraction = r.f64();
            if (!r.failed())
                options.progress(fraction);
        } else if (m.type == worker::MessageType::Epoch && options.epochDone) {
            const EpochReport report = worker::readEpochReport(r);
            if (!r.failed())
                options.epochDone(report);
        }
    };
    const auto reply = worker.request(worker::MessageType::Train, payload, request);
    if (options.workerPid)
        options.workerPid->store(0);
    if (!reply) {
        if (options.cancel && options.cancel->load()) { // stopped by force after Cancel: still a cancel
            TrainingResult cancelled;
            cancelled.cancelled = true;
            return cancelled;
        }
        return reply.error();
    }
    return readResult(reply.value(), outputPath);
}

} // namespace mldeck
