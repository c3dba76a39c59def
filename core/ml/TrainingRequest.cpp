#include "core/ml/TrainingRequest.h"

#include "core/Text.h"
#include "core/ml/ModelWorker.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace mldeck::training {

Status checkTrainingArguments(const QString &basePath, const TrainingParams &params, const QString &newVersion,
                              const QString &outputPath)
{
    if (const Status valid = params.validate(); !valid)
        return valid.error();
    if (newVersion.trimmed().isEmpty())
        return Error{MlText::tr("The trained model needs a version.")};
    if (outputPath.isEmpty())
        return Error{MlText::tr("No output file given for the trained model.")};
    if (!QFileInfo::exists(basePath))
        return Error{MlText::tr("Model file %1 does not exist.").arg(basePath)};
    if (!QFileInfo(outputPath).absoluteDir().exists())
        return Error{MlText::tr("The folder of %1 does not exist.").arg(outputPath)};
    return {};
}

Result<QByteArray> readBaseModel(const QString &basePath, const TrainingOptions &options)
{
    QFile file(basePath);
    if (!file.open(QIODevice::ReadOnly))
        return Error{MlText::tr("Cannot read model file %1: %2").arg(basePath, file.errorString())};
    QByteArray bytes = file.readAll();
    if (!options.baseSha256.isEmpty() &&
        QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex() != options.baseSha256.trimmed().toLower())
        return Error{
            MlText::tr("Model file %1 does not match its registered SHA-256: it was not trained.").arg(basePath)};
    return bytes;
}

TrainingResult cancelledResult()
{
    TrainingResult cancelled;
    cancelled.cancelled = true;
    return cancelled;
}

Result<worker::Message> requestTraining(worker::MessageType type, const QByteArray &payload,
                                        const TrainingOptions &options)
{
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
    auto reply = worker.request(type, payload, request);
    if (options.workerPid)
        options.workerPid->store(0);
    return reply;
}

Result<TrainingResult> readTrainedMessage(const worker::Message &reply, worker::WireReader &r,
                                          const QString &outputPath)
{
    TrainingResult result = worker::readTrainingResult(r);
    if (reply.type != worker::MessageType::Trained || r.failed())
        return Error{MlText::tr("The model worker sent a malformed training result.")};
    if (result.cancelled)
        return result;
    const QByteArray sha256 = result.info.sha256;
    const QByteArray metadata = result.info.metadataJson;
    if (const Status parsed = parseModelMetadata(metadata, result.info); !parsed)
        return Error{MlText::tr("The trained model's metadata is unreadable: %1").arg(parsed.errorMessage())};
    result.info.path = QFileInfo(outputPath).absoluteFilePath();
    result.info.sha256 = sha256;
    return result;
}

} // namespace mldeck::training
