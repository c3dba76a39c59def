#include "core/rollout/FlagValues.h"
#include "core/Text.h"

#include <QCoreApplication>

#include <limits>

namespace mldeck {

namespace {

// Canonical unsigned decimal: digits only, no sign, no leading zero (except "0" itself).
std::optional<qint64> parseCanonicalUnsigned(QByteArrayView text, qint64 max)
{
    if (text.isEmpty() || text.size() > 18)
        return std::nullopt;
    if (text.size() > 1 && text.front() == '0')
        return std::nullopt;
    qint64 v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    if (v > max)
        return std::nullopt;
    return v;
}

} // namespace

std::optional<bool> parseFlagBool(QByteArrayView text)
{
    if (text == QByteArrayView("0"))
        return false;
    if (text == QByteArrayView("1"))
        return true;
    return std::nullopt;
}

std::optional<int> parseTrafficPercentage(QByteArrayView text)
{
    if (auto v = parseCanonicalUnsigned(text, 100))
        return int(*v);
    return std::nullopt;
}

std::optional<qint64> parseFlagVersion(QByteArrayView text)
{
    return parseCanonicalUnsigned(text, std::numeric_limits<qint64>::max() / 10);
}

bool isValidTrafficPercentage(int percentage)
{
    return percentage >= 0 && percentage <= 100;
}

Result<bool> parseFlagBoolInput(const QString &what, const QString &text)
{
    if (auto v = parseFlagBool(text.toUtf8()))
        return *v;
    return Error{RolloutText::tr("%1 must be 0 or 1, not \"%2\".").arg(what, text)};
}

Result<int> parseTrafficPercentageInput(const QString &text)
{
    if (auto v = parseTrafficPercentage(text.toUtf8()))
        return *v;
    return Error{
        RolloutText::tr("The ML traffic percentage must be a whole number from 0 to 100, not \"%1\".").arg(text)};
}

FlagState flagStateFromFields(const QString &deployment, const QHash<QByteArray, QByteArray> &fields)
{
    FlagState s;
    s.deployment = deployment;
    s.exists = true;
    const auto field = [&fields](const char *name) -> std::optional<QByteArray> {
        const auto it = fields.constFind(QByteArray(name));
        if (it == fields.constEnd())
            return std::nullopt;
        return *it;
    };
    const auto invalid = [&s](const char *name) { s.invalidFields.append(QString::fromLatin1(name)); };

    if (auto raw = field(flagfield::kMlEnabled); raw && parseFlagBool(*raw))
        s.mlEnabled = *parseFlagBool(*raw);
    else
        invalid(flagfield::kMlEnabled);
    if (auto raw = field(flagfield::kTrafficPercentage); raw && parseTrafficPercentage(*raw))
        s.trafficPercentage = *parseTrafficPercentage(*raw);
    else
        invalid(flagfield::kTrafficPercentage);
    if (auto raw = field(flagfield::kFallbackOnError); raw && parseFlagBool(*raw))
        s.fallbackOnError = *parseFlagBool(*raw);
    else
        invalid(flagfield::kFallbackOnError);
    if (auto raw = field(flagfield::kVersion); raw && parseFlagVersion(*raw))
        s.version = *parseFlagVersion(*raw);
    else
        invalid(flagfield::kVersion);

    if (auto raw = field(flagfield::kUpdatedAt))
        s.updatedAt = QDateTime::fromString(QString::fromUtf8(*raw), Qt::ISODateWithMs);
    if (auto raw = field(flagfield::kUpdatedBy))
        s.updatedBy = QString::fromUtf8(*raw);
    return s;
}

FlagState flagStateOfWrongType(const QString &deployment)
{
    FlagState s;
    s.deployment = deployment;
    s.exists = true;
    s.invalidFields = {QString::fromLatin1(flagfield::kMlEnabled), QString::fromLatin1(flagfield::kTrafficPercentage),
                       QString::fromLatin1(flagfield::kFallbackOnError), QString::fromLatin1(flagfield::kVersion)};
    return s;
}

} // namespace mldeck
