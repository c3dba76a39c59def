#include "core/domain/ImageAugmentation.h"

#include <cmath>

namespace mldeck {

QJsonObject ImageAugmentation::toJson() const
{
    return {{QStringLiteral("horizontal_flip"), horizontalFlip}, {QStringLiteral("max_crop"), maxCrop}};
}

Result<ImageAugmentation> ImageAugmentation::fromJson(const QJsonObject &o)
{
    ImageAugmentation a;
    const QJsonValue flip = o.value(QLatin1String("horizontal_flip"));
    if (!flip.isUndefined() && !flip.isNull()) {
        if (!flip.isBool())
            return Error{tr("Augmentation \"horizontal_flip\" must be true or false.")};
        a.horizontalFlip = flip.toBool();
    }
    const QJsonValue crop = o.value(QLatin1String("max_crop"));
    if (!crop.isUndefined() && !crop.isNull()) {
        if (!crop.isDouble())
            return Error{tr("Augmentation \"max_crop\" must be a number.")};
        a.maxCrop = crop.toDouble();
    }
    if (const Status valid = a.validate(); !valid)
        return valid.error();
    return a;
}

Status ImageAugmentation::validate() const
{
    if (!std::isfinite(maxCrop) || maxCrop < 0 || maxCrop > 0.5)
        return Error{tr("The largest crop must be from 0 to 0.5 of the image's side (got %1).").arg(maxCrop)};
    return {};
}

} // namespace mldeck
