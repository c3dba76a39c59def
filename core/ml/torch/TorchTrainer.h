#pragma once

// Inside the model worker only: trains a TorchScript model in this process with LibTorch.

#include "core/ml/Trainer.h"

#include <QCoreApplication>

namespace mldeck {

class TorchTrainer final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::TorchTrainer)

public:
    // What trainModel (core/ml/Trainer.h) promises, on the base model's bytes (basePath names it in
    // messages). The console has checked the request (parameters, row counts, folders) before. The
    // result's info carries the written file's metadata and SHA-256.
    static Result<TrainingResult> train(const QByteArray &baseBytes, const QString &basePath, const Dataset &train,
                                        const Dataset &validation, const TrainingParams &params,
                                        const QString &newVersion, const QString &outputPath,
                                        const TrainingOptions &options);
};

} // namespace mldeck
