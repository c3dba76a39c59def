#pragma once

// How an image deployment's training images are changed at random (retrain.md, "Image models"): part of
// the deployment's retrain settings, and of each run's request (a run may override it).

#include "core/domain/Result.h"

#include <QCoreApplication>
#include <QJsonObject>

namespace mldeck {

// Random changes to each training image, drawn anew per epoch from the training seed; validation images
// are never changed. A mirror only keeps the label of mirror-symmetric classes (a cat, not a digit 2), so
// a deployment of glyphs turns it off in its retrain settings.
struct ImageAugmentation
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ImageAugmentation)

public:
    bool horizontalFlip = true; // half of the images mirrored left-right
    double maxCrop = 0.1;       // up to this share of the width and of the height cut off (at random sides),
                                // the rest resized back to the model's input size; 0 = no crops
    QJsonObject toJson() const; // {"horizontal_flip", "max_crop"}
    static Result<ImageAugmentation> fromJson(const QJsonObject &o); // refuses with the field named
    Status validate() const;                                         // maxCrop from 0 to 0.5
};

} // namespace mldeck
