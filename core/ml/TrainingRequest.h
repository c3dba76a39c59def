#pragma once

// The console's side of a training request, shared by trainModel (tables) and trainImageModel
// (images): the base file read once and checked, a fresh model worker, progress relayed, the result read.

#include "core/domain/Result.h"
#include "core/ml/Trainer.h"
#include "core/ml/WorkerProtocol.h"

#include <QByteArray>
#include <QString>

namespace mldeck::training {

// The checks every training request makes before anything is read: valid parameters, a version, an output
// file in an existing folder, an existing base file.
Status checkTrainingArguments(const QString &basePath, const TrainingParams &params, const QString &newVersion,
                              const QString &outputPath);

// The base model's bytes, read once (the bytes checked are the bytes the worker trains: a TorchScript
// file is code); refused when options.baseSha256 is set and differs.
Result<QByteArray> readBaseModel(const QString &basePath, const TrainingOptions &options);

// A cancelled result: what a cancel before the start, or a worker stopped by force after Cancel, gives.
TrainingResult cancelledResult();

// Sends the request to a fresh model worker and waits for its final answer, relaying Progress and Epoch
// messages to options. An answer is readable with readTrainedMessage.
Result<worker::Message> requestTraining(worker::MessageType type, const QByteArray &payload,
                                        const TrainingOptions &options);

// The TrainingResult at the start of a Trained answer (r is left after it); its info parsed from the
// metadata, its path outputPath.
Result<TrainingResult> readTrainedMessage(const worker::Message &reply, worker::WireReader &r,
                                          const QString &outputPath);

} // namespace mldeck::training
