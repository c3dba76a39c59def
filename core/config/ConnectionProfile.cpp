#include "core/config/ConnectionProfile.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QDir>

namespace mldeck {

namespace {

constexpr int kMaxNameLength = 64;

bool validPort(int port)
{
    return port > 0 && port < 65536;
}

// A host name or address: not empty, no spaces or URL punctuation that would break a URL or conninfo.
bool validHost(const QString &host)
{
    if (host.isEmpty() || host.size() > 253)
        return false;
    for (const QChar c : host) {
        if (c.isSpace() || c == QLatin1Char('/') || c == QLatin1Char('@') || c == QLatin1Char('?') ||
            c == QLatin1Char('#') || c == QLatin1Char('\'') || c == QLatin1Char('\\'))
            return false;
    }
    return true;
}

bool validSslMode(const QString &mode)
{
    static const QStringList modes{QStringLiteral("disable"),   QStringLiteral("allow"),
                                   QStringLiteral("prefer"),    QStringLiteral("require"),
                                   QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes.contains(mode);
}

} // namespace

Status ConnectionProfile::validate() const
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty())
        return Error{ConfigText::tr("The profile needs a name.")};
    if (trimmed != name)
        return Error{ConfigText::tr("The profile name \"%1\" must not start or end with spaces.").arg(name)};
    if (name.size() > kMaxNameLength)
        return Error{ConfigText::tr("The profile name is longer than %1 characters.").arg(kMaxNameLength)};
    for (const QChar c : name) {
        if (c.category() == QChar::Other_Control)
            return Error{ConfigText::tr("The profile name must not contain control characters.")};
    }
    if (redis.isSentinel()) { // the data nodes are whatever the sentinels name
        if (redis.sentinels.isEmpty())
            return Error{ConfigText::tr("Redis master \"%1\" needs at least one sentinel.").arg(redis.masterName)};
        for (const HostPort &s : redis.sentinels)
            if (!validHost(s.host) || !validPort(s.port))
                return Error{ConfigText::tr("Redis sentinel \"%1\" is not a valid host and port.").arg(s.display())};
    } else if (!validHost(redis.host)) {
        return Error{ConfigText::tr("Redis host \"%1\" is not a valid host name or address.").arg(redis.host)};
    } else if (!validPort(redis.port)) {
        return Error{ConfigText::tr("Redis port %1 is out of range (1-65535).").arg(redis.port)};
    }
    if (redis.db < 0)
        return Error{ConfigText::tr("Redis database number %1 must not be negative.").arg(redis.db)};
    if (redis.timeoutMs <= 0)
        return Error{ConfigText::tr("Redis timeout must be positive.")};
    if (!validHost(pg.host))
        return Error{ConfigText::tr("PostgreSQL host \"%1\" is not a valid host name or address.").arg(pg.host)};
    if (!validPort(pg.port))
        return Error{ConfigText::tr("PostgreSQL port %1 is out of range (1-65535).").arg(pg.port)};
    if (pg.database.trimmed().isEmpty())
        return Error{ConfigText::tr("The PostgreSQL database name is empty.")};
    if (!validSslMode(pg.sslMode))
        return Error{
            ConfigText::tr("PostgreSQL sslmode \"%1\" is not one of disable, allow, prefer, require, verify-ca, "
                           "verify-full.")
                .arg(pg.sslMode)};
    // libpq reads a relative path from the process's working directory, which differs between the GUI and a shell.
    if (!pg.sslRootCert.isEmpty() && !QDir::isAbsolutePath(pg.sslRootCert))
        return Error{ConfigText::tr("The CA file \"%1\" must be given with its full path.").arg(pg.sslRootCert)};
    if (pg.connectTimeoutS < 0)
        return Error{ConfigText::tr("PostgreSQL connect timeout must not be negative.")};
    if (pgRead.maxLagSeconds < 1)
        return Error{
            ConfigText::tr("The read replica's maximum lag must be at least 1 s, not %1.").arg(pgRead.maxLagSeconds)};
    if (const auto &standby = pgRead.endpoint) {
        if (!validHost(standby->host))
            return Error{
                ConfigText::tr("Read replica host \"%1\" is not a valid host name or address.").arg(standby->host)};
        if (!validPort(standby->port))
            return Error{ConfigText::tr("Read replica port %1 is out of range (1-65535).").arg(standby->port)};
        if (standby->database.trimmed().isEmpty())
            return Error{ConfigText::tr("The read replica's database name is empty.")};
        if (!validSslMode(standby->sslMode))
            return Error{ConfigText::tr("Read replica sslmode \"%1\" is not one of disable, allow, prefer, require, "
                                        "verify-ca, verify-full.")
                             .arg(standby->sslMode)};
        if (!standby->sslRootCert.isEmpty() && !QDir::isAbsolutePath(standby->sslRootCert))
            return Error{ConfigText::tr("The read replica's CA file \"%1\" must be given with its full path.")
                             .arg(standby->sslRootCert)};
    }
    return {};
}

QString ConnectionProfile::redisSecretAccount() const
{
    return QStringLiteral("redis/") + name;
}

QString ConnectionProfile::pgSecretAccount() const
{
    return QStringLiteral("postgresql/") + name;
}

} // namespace mldeck
