#include "core/ml/image/ImageSpec.h"
#include "core/Text.h"

#include <QJsonArray>

#include <cmath>

namespace mldeck {

namespace {

constexpr int kMaxSide = 4096;

Error bad(const QString &what)
{
    return Error{MlText::tr("\"image\": %1").arg(what)};
}

Result<int> wholeNumber(const QJsonObject &o, const char *key)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isDouble() || v.toDouble() != std::floor(v.toDouble()))
        return bad(MlText::tr("\"%1\" must be a whole number").arg(QLatin1String(key)));
    return v.toInt();
}

Result<std::vector<double>> numbers(const QJsonObject &o, const char *key, int channels, double absent)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined())
        return std::vector<double>(size_t(std::max(channels, 0)), absent);
    if (!v.isArray())
        return bad(MlText::tr("\"%1\" must be a list of numbers, one per channel").arg(QLatin1String(key)));
    std::vector<double> values;
    for (const QJsonValue &x : v.toArray()) {
        if (!x.isDouble())
            return bad(MlText::tr("\"%1\" must be a list of numbers, one per channel").arg(QLatin1String(key)));
        values.push_back(x.toDouble());
    }
    return values;
}

} // namespace

QString ImageSpec::resizeName(Resize r)
{
    switch (r) {
    case Resize::Stretch:
        return QStringLiteral("stretch");
    case Resize::Fit:
        return QStringLiteral("fit");
    case Resize::Crop:
        return QStringLiteral("crop");
    }
    return {};
}

std::optional<ImageSpec::Resize> ImageSpec::resizeFromName(const QString &name)
{
    for (Resize r : {Resize::Stretch, Resize::Fit, Resize::Crop})
        if (name == resizeName(r))
            return r;
    return std::nullopt;
}

Status ImageSpec::validate() const
{
    if (width < 1 || width > kMaxSide || height < 1 || height > kMaxSide)
        return bad(MlText::tr("\"width\" and \"height\" must lie between 1 and %1 pixels (%2 × %3 given)")
                       .arg(kMaxSide)
                       .arg(width)
                       .arg(height));
    if (channels != 1 && channels != 3)
        return bad(MlText::tr("\"channels\" must be 1 (grayscale) or 3 (RGB), not %1").arg(channels));
    if (int(mean.size()) != channels || int(std.size()) != channels)
        return bad(MlText::tr("\"mean\" and \"std\" must give one value per channel (%1; %2 and %3 given)")
                       .arg(channels)
                       .arg(mean.size())
                       .arg(std.size()));
    for (int c = 0; c < channels; ++c) {
        if (!std::isfinite(mean[size_t(c)]))
            return bad(MlText::tr("\"mean\" must be finite numbers"));
        if (!std::isfinite(std[size_t(c)]) || std[size_t(c)] <= 0)
            return bad(MlText::tr("\"std\" must be finite numbers above 0"));
    }
    return {};
}

QJsonObject ImageSpec::toJson() const
{
    QJsonArray m, s;
    for (double v : mean)
        m.append(v);
    for (double v : std)
        s.append(v);
    return {{QStringLiteral("width"), width},
            {QStringLiteral("height"), height},
            {QStringLiteral("channels"), channels},
            {QStringLiteral("resize"), resizeName(resize)},
            {QStringLiteral("mean"), m},
            {QStringLiteral("std"), s}};
}

Result<ImageSpec> ImageSpec::fromJson(const QJsonObject &o)
{
    ImageSpec spec;
    const auto w = wholeNumber(o, "width");
    if (!w)
        return w.error();
    const auto h = wholeNumber(o, "height");
    if (!h)
        return h.error();
    const auto c = wholeNumber(o, "channels");
    if (!c)
        return c.error();
    spec.width = *w;
    spec.height = *h;
    spec.channels = *c;
    const QJsonValue resize = o.value(QLatin1String("resize"));
    if (!resize.isUndefined()) {
        const auto r = resizeFromName(resize.toString());
        if (!r)
            return bad(MlText::tr("\"resize\" must be \"stretch\", \"fit\" or \"crop\", not \"%1\"")
                           .arg(resize.isString() ? resize.toString() : QStringLiteral("?")));
        spec.resize = *r;
    }
    auto m = numbers(o, "mean", spec.channels, 0.0);
    if (!m)
        return m.error();
    auto s = numbers(o, "std", spec.channels, 1.0);
    if (!s)
        return s.error();
    spec.mean = std::move(m).value();
    spec.std = std::move(s).value();
    if (const Status valid = spec.validate(); !valid)
        return valid.error();
    return spec;
}

} // namespace mldeck
