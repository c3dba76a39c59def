#pragma once

#include "core/domain/ClassSpec.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/ml/image/ImageSpec.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace mldeck {

// What a model file says about itself: the "mldeck.json" extra file of the TorchScript archive
// (resources/contract/models.md). No torch type appears here: torch stays inside core/ml.
struct ModelInfo
{
    QString path;
    QByteArray sha256; // hex of the file's bytes, for the registry check
    bool hasMetadata = false;
    int formatVersion = 0;
    QString name;
    QString version;
    QString task;       // "regression" or "classification"
    QString target;     // e.g. "delay_min"
    QString targetUnit; // e.g. "min"
    FeatureSchema schema;
    ClassSpec classSpec;        // classification: the classes in output order, the decision threshold
    bool outputsLogits = false; // classification: the output is logits (softmax/sigmoid applied by MLDeck)
    int sequenceLength = 1;
    int inputWidth = 0; // encoded width: numeric features + all one-hot levels; an image model: C·H·W
    // An image model ("input": "image"): its input and preprocessing. Then the schema is empty and the
    // model is a classifier (resources/contract/images.md).
    std::optional<ImageSpec> image;
    std::vector<double> scalerMean; // per numeric feature, in schema order
    std::vector<double> scalerStd;
    qint64 trainingRows = 0;
    std::optional<double> holdoutMae;
    std::optional<double> holdoutRmse;
    std::optional<double> holdoutR2;
    std::optional<double> holdoutAccuracy; // a classifier's holdout figures
    std::optional<double> holdoutLogLoss;
    std::optional<double> holdoutRocAuc;
    QByteArray metadataJson; // as stored in the file
};

// Reads and checks a metadata document (the "mldeck.json" of a model file) into info; exposed for
// tests and for tools that inspect a model without loading torch code.
Status parseModelMetadata(const QByteArray &json, ModelInfo &info);

} // namespace mldeck
