#include "core/domain/ModelVersion.h"

#include <QJsonArray>

namespace mldeck {

static QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QJsonObject ModelVersion::toJson() const
{
    QJsonObject o{
        {QStringLiteral("id"), id},
        {QStringLiteral("deployment"), deployment},
        {QStringLiteral("name"), name},
        {QStringLiteral("version"), version},
        {QStringLiteral("sha256"), sha256},
        {QStringLiteral("path"), filePath},
        {QStringLiteral("task"), task},
        {QStringLiteral("feature_schema"), featureSchemaId ? QJsonValue(*featureSchemaId) : QJsonValue()},
        {QStringLiteral("features"), QJsonArray::fromStringList(featureNames)},
        {QStringLiteral("scaler"), scaler},
        {QStringLiteral("target_unit"), targetUnit},
        {QStringLiteral("created_by"), createdBy},
        {QStringLiteral("created_at"), iso(createdAt)},
        {QStringLiteral("parent_version"), parentVersion.isEmpty() ? QJsonValue() : QJsonValue(parentVersion)},
        {QStringLiteral("train_from"), trainFrom.isValid() ? QJsonValue(iso(trainFrom)) : QJsonValue()},
        {QStringLiteral("train_to"), trainTo.isValid() ? QJsonValue(iso(trainTo)) : QJsonValue()},
        {QStringLiteral("metrics"), metrics},
        {QStringLiteral("archived"), archived},
        {QStringLiteral("aliases"), QJsonArray::fromStringList(aliases)}};
    return o;
}

} // namespace mldeck
