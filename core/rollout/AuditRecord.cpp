#include "core/rollout/AuditRecord.h"

#include <QJsonArray>
#include <QSysInfo>

#include <pwd.h>
#include <unistd.h>

namespace mldeck {

namespace {

QString currentOsUser()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty()) {
        if (const passwd *pw = ::getpwuid(::getuid()))
            user = QString::fromLocal8Bit(pw->pw_name);
        else
            user = QString::number(::getuid());
    }
    return user;
}

} // namespace

Actor Actor::current()
{
    Actor a;
    a.osUser = currentOsUser();
    a.host = QSysInfo::machineHostName();
    a.name = a.osUser + QLatin1Char('@') + a.host;
    return a;
}

Actor Actor::guard()
{
    Actor a = current();
    a.name = QStringLiteral("guard@") + a.host;
    return a;
}

AuditRecord AuditRecord::make(const QString &action, const QString &deployment, const Actor &actor,
                              const QString &reason)
{
    AuditRecord r;
    r.changeId = QUuid::createUuid();
    r.occurredAt = QDateTime::currentDateTimeUtc();
    r.actorOs = actor.osUser;
    r.host = actor.host;
    r.action = action;
    r.deployment = deployment;
    r.reason = reason;
    return r;
}

QJsonObject AuditRecord::toJson() const
{
    QJsonObject o{
        {QStringLiteral("change_id"), changeId.toString(QUuid::WithoutBraces)},
        {QStringLiteral("occurred_at"), occurredAt.toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("actor_os"), actorOs},
        {QStringLiteral("host"), host},
        {QStringLiteral("action"), action},
        {QStringLiteral("deployment"), deployment},
        {QStringLiteral("reason"), reason},
    };
    o.insert(QStringLiteral("before"), before ? QJsonValue(*before) : QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("after"), after ? QJsonValue(*after) : QJsonValue(QJsonValue::Null));
    return o;
}

std::optional<AuditRecord> AuditRecord::fromJson(const QJsonObject &o)
{
    AuditRecord r;
    r.changeId = QUuid::fromString(o.value(QLatin1String("change_id")).toString());
    r.occurredAt = QDateTime::fromString(o.value(QLatin1String("occurred_at")).toString(), Qt::ISODateWithMs);
    r.actorOs = o.value(QLatin1String("actor_os")).toString();
    r.host = o.value(QLatin1String("host")).toString();
    r.action = o.value(QLatin1String("action")).toString();
    r.deployment = o.value(QLatin1String("deployment")).toString();
    r.reason = o.value(QLatin1String("reason")).toString();
    if (o.value(QLatin1String("before")).isObject())
        r.before = o.value(QLatin1String("before")).toObject();
    if (o.value(QLatin1String("after")).isObject())
        r.after = o.value(QLatin1String("after")).toObject();
    if (r.changeId.isNull() || r.action.isEmpty() || !r.occurredAt.isValid())
        return std::nullopt;
    return r;
}

QJsonObject flagStateJson(const FlagState &s)
{
    const auto valueOr = [&s](const char *field, const QJsonValue &v) {
        return s.invalidFields.contains(QLatin1String(field)) ? QJsonValue(QJsonValue::Null) : v;
    };
    return QJsonObject{
        {QStringLiteral("exists"), s.exists},
        {QStringLiteral("ml_enabled"), valueOr("ml_enabled", s.mlEnabled ? 1 : 0)},
        {QStringLiteral("ml_traffic_percentage"), valueOr("ml_traffic_percentage", s.trafficPercentage)},
        {QStringLiteral("fallback_on_error"), valueOr("fallback_on_error", s.fallbackOnError ? 1 : 0)},
        {QStringLiteral("version"), valueOr("version", s.version)},
        {QStringLiteral("updated_by"), s.updatedBy},
        {QStringLiteral("updated_at"), s.updatedAt.isValid() ? s.updatedAt.toString(Qt::ISODateWithMs) : QString()},
        {QStringLiteral("invalid_fields"), QJsonArray::fromStringList(s.invalidFields)},
    };
}

} // namespace mldeck
