#pragma once

#include "core/domain/Result.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace mldeck {

// The "image" object of an image model's mldeck.json (resources/contract/images.md): what the model
// takes, and how MLDeck turns an encoded image into it (ImagePipeline.h).
struct ImageSpec
{
    int width = 0, height = 0; // model input size, pixels
    int channels = 0;          // 1 = grayscale (luma), 3 = RGB
    enum class Resize
    {
        Stretch, // scale each axis to width × height
        Fit,     // keep the aspect ratio, fit inside, pad with 0 (before normalisation), centred
        Crop     // keep the aspect ratio, scale the shorter side to fit, centre-crop the longer one
    };
    Resize resize = Resize::Stretch;
    std::vector<double> mean, std; // per channel, applied to values scaled to [0, 1]: (v/255 - mean) / std

    int inputWidth() const { return channels * width * height; }

    // 1 <= width, height <= 4096; channels 1 or 3; mean and std of `channels` finite values, std > 0.
    Status validate() const;
    // {"width", "height", "channels", "resize": "stretch"|"fit"|"crop", "mean": [...], "std": [...]}
    QJsonObject toJson() const;
    // Refuses with the field named; mean/std absent: 0 and 1 per channel.
    static Result<ImageSpec> fromJson(const QJsonObject &o);

    static QString resizeName(Resize r);
    static std::optional<Resize> resizeFromName(const QString &name);
};

} // namespace mldeck
