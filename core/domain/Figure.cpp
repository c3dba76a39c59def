#include "core/domain/Figure.h"

#include "core/Text.h"

#include <cmath>

namespace mldeck {

std::optional<double> ratioOf(double part, double whole)
{
    if (!(whole > 0))
        return std::nullopt;
    return part / whole;
}

QString noDataText()
{
    return DomainText::tr("no data");
}

QString figureText(const std::optional<double> &value, const std::function<QString(double)> &format)
{
    if (!value || !std::isfinite(*value))
        return noDataText();
    return format(*value);
}

QJsonValue figureJson(const std::optional<double> &value)
{
    if (!value || !std::isfinite(*value))
        return QJsonValue(QJsonValue::Null);
    return QJsonValue(*value);
}

std::optional<double> figureOf(const QJsonValue &value)
{
    if (!value.isDouble() || !std::isfinite(value.toDouble()))
        return std::nullopt;
    return value.toDouble();
}

} // namespace mldeck
