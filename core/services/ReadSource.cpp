#include "core/services/ReadSource.h"

#include "core/Text.h"

namespace mldeck {

bool ReadSource::stale() const
{
    return server == Server::Standby && (!lagSeconds || *lagSeconds > maxLagSeconds);
}

QString ReadSource::notice() const
{
    if (!fellBack())
        return {};
    return ServiceText::tr("read replica unreachable: reading from the primary (%1; next try in %n s)", nullptr,
                           nextRetrySeconds)
        .arg(fallbackReason);
}

QJsonObject ReadSource::toJson() const
{
    return QJsonObject{
        {QStringLiteral("server"), server == Server::Standby ? QStringLiteral("standby") : QStringLiteral("primary")},
        {QStringLiteral("where"), where},
        {QStringLiteral("lag_seconds"), lagSeconds ? QJsonValue(*lagSeconds) : QJsonValue()},
        {QStringLiteral("max_lag_seconds"), maxLagSeconds},
        {QStringLiteral("stale"), stale()},
        {QStringLiteral("fell_back"), fellBack()},
        {QStringLiteral("notice"), notice()}};
}

QString ReadSource::describe() const
{
    if (!replicaConfigured)
        return {};
    if (fellBack())
        return notice();
    const QString lag =
        lagSeconds ? ServiceText::tr("lag %1 s").arg(*lagSeconds, 0, 'f', 1) : ServiceText::tr("lag unknown");
    if (stale())
        return ServiceText::tr("read from the standby %1, %2: STALE (more than %n s behind the primary)", nullptr,
                               maxLagSeconds)
            .arg(where, lag);
    return ServiceText::tr("read from the standby %1, %2").arg(where, lag);
}

} // namespace mldeck
