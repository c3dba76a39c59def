#pragma once

// Fine-tuning an image classifier (a model with an "image" input, resources/contract/images.md) on
// images read from image stores: the console's side. The training itself runs in a model worker
// (core/ml/torch/TorchImageTrainer.cpp), which reads and preprocesses the images itself, a batch at a
// time: memory holds the keys and one batch, never all the images. How and why: retrain.md, "Image models".

#include "core/domain/ImageAugmentation.h"
#include "core/domain/Result.h"
#include "core/domain/SkippedImage.h"
#include "core/ml/Trainer.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/LabelledImages.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

#include <vector>

namespace mldeck {

// Images of one store with their labels (class indices in the model's class order).
struct ImageSet
{
    ImageStoreConfig store;
    std::vector<ImageItem> items;
};

struct ImageTrainingResult
{
    TrainingResult training;
    qint64 trainImages = 0;            // usable training images (an image seen in every epoch counts once)
    qint64 validationImages = 0;       // usable validation images
    qint64 skippedCount = 0;           // every skipped image, training and validation
    std::vector<SkippedImage> skipped; // the first kMaxSkippedListed of them (key in its set, reason)
    double decodeSeconds = 0;          // reading + decoding + preprocessing + augmentation, whole run
    double modelSeconds = 0;           // forward, backward and optimiser steps, whole run
};

inline constexpr int kMaxSkippedListed = 200;
inline constexpr qint64 kMinTrainingImages = 10; // usable training images a run needs, at least

// The TrainImages request to the model worker (WorkerProtocol.h), as both sides see it.
struct ImageTrainingRequest
{
    QString basePath; // for messages
    QByteArray baseBytes;
    std::vector<ImageSet> train;
    std::vector<ImageSet> validation;
    TrainingParams params;
    ImageAugmentation augmentation;
    QString newVersion;
    QString outputPath;

    QByteArray encode() const;
    static Result<ImageTrainingRequest> decode(const QByteArray &payload); // a malformed payload: an Error
};

namespace worker {
class WireReader;
class WireWriter;
// What a Trained answer to TrainImages carries after the TrainingResult.
void writeImageTrainingFigures(WireWriter &w, const ImageTrainingResult &result);
void readImageTrainingFigures(WireReader &r, ImageTrainingResult &result);
} // namespace worker

// Fine-tunes a copy of the image model at basePath on `train`, early-stopping on `validation`
// (cross-entropy, class weights from params, learning rate reduced on plateau), as trainModel does for
// tables: the best epoch's weights written to outputPath (temporary file renamed; mldeck.json with the
// new version and the training figures, skipped images counted). Errors: the base is not an image
// classifier, a label outside its classes, a store that cannot be opened, fewer than 10 usable training
// images or no usable validation image. Blocking: call it on a worker thread.
Result<ImageTrainingResult> trainImageModel(const QString &basePath, const std::vector<ImageSet> &train,
                                            const std::vector<ImageSet> &validation, const TrainingParams &params,
                                            const ImageAugmentation &augmentation, const QString &newVersion,
                                            const QString &outputPath, const TrainingOptions &options = {});

} // namespace mldeck
