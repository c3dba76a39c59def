#pragma once

// Inside the model worker only: fine-tunes an image classifier with LibTorch, reading and preprocessing
// its images itself, one batch at a time.

#include "core/ml/ImageTrainer.h"

#include <QCoreApplication>

namespace mldeck {

class TorchImageTrainer final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::TorchImageTrainer)

public:
    // What trainImageModel (core/ml/ImageTrainer.h) promises, for a request the console has checked.
    static Result<ImageTrainingResult> train(const ImageTrainingRequest &request, const TrainingOptions &options);
};

} // namespace mldeck
