// The console's side of training: checks the request, hands the base model's bytes and the data to
// a model worker, relays its progress and reads back the result. The training itself is
// core/ml/torch/TorchTrainer.cpp, in the worker; how it works and why: resources/contract/training.md.
#include "core/ml/Trainer.h"

#include "core/Text.h"
#include "core/ml/TrainingRequest.h"
#include "core/ml/WorkerProtocol.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace mldeck {

namespace {

constexpr qint64 kMinTrainingRows = 10;

} // namespace

Result<TrainingResult> trainModel(const QString &basePath, const Dataset &train, const Dataset &validation,
                                  const TrainingParams &params, const QString &newVersion, const QString &outputPath,
                                  const TrainingOptions &options)
{
    if (const Status valid = training::checkTrainingArguments(basePath, params, newVersion, outputPath); !valid)
        return valid.error();
    if (train.rowCount() < kMinTrainingRows) {
        const qint64 rows = train.rowCount();
        return Error{MlText::tr("Too little training data: %n row(s); at least %1 are needed.", nullptr, int(rows))
                         .arg(kMinTrainingRows)};
    }
    if (validation.rowCount() == 0)
        return Error{
            MlText::tr("The validation set has no rows: early stopping and the choice of the best epoch need it.")};

    if (options.cancel && options.cancel->load()) // cancelled before it started: nothing at all
        return training::cancelledResult();

    const auto bytes = training::readBaseModel(basePath, options);
    if (!bytes)
        return bytes.error();
    QByteArray payload;
    worker::WireWriter w(payload);
    w.string(QFileInfo(basePath).absoluteFilePath());
    w.bytes(bytes.value());
    worker::writeDataset(w, train);
    worker::writeDataset(w, validation);
    w.bytes(QJsonDocument(params.toJson()).toJson(QJsonDocument::Compact));
    w.string(newVersion);
    w.string(QFileInfo(outputPath).absoluteFilePath());

    const auto reply = training::requestTraining(worker::MessageType::Train, payload, options);
    if (!reply) {
        if (options.cancel && options.cancel->load()) // stopped by force after Cancel: still a cancel
            return training::cancelledResult();
        return reply.error();
    }
    worker::WireReader r(reply->payload);
    return training::readTrainedMessage(reply.value(), r, outputPath);
}

} // namespace mldeck
