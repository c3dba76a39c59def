#include "core/config/ReadReplica.h"

#include "core/Text.h"

namespace mldeck {

Result<ReadReplica> ReadReplica::fromUrl(const QString &url, int maxLagSeconds)
{
    if (maxLagSeconds < 1)
        return Error{ConfigText::tr("The read replica's maximum lag must be at least 1 s, not %1.").arg(maxLagSeconds)};
    ReadReplica r;
    r.maxLagSeconds = maxLagSeconds;
    if (url.trimmed().isEmpty())
        return r;
    auto endpoint = PgEndpoint::fromUrl(url.trimmed());
    if (!endpoint)
        return Error{ConfigText::tr("Read replica: %1").arg(endpoint.errorMessage())};
    r.endpoint = *endpoint;
    return r;
}

Result<ReadReplica> ReadReplica::fromEnvironment()
{
    int maxLag = kDefaultMaxLagSeconds;
    if (const QString text = qEnvironmentVariable("MLDECK_PG_READ_MAX_LAG"); !text.isEmpty()) {
        bool ok = false;
        maxLag = text.toInt(&ok);
        if (!ok)
            return Error{ConfigText::tr("MLDECK_PG_READ_MAX_LAG must be a number of seconds, not \"%1\".").arg(text)};
    }
    const QString url = qEnvironmentVariable("MLDECK_PG_READ_URL");
    if (!url.trimmed().isEmpty())
        if (auto endpoint = PgEndpoint::fromUrl(url.trimmed()); !endpoint)
            return Error{QStringLiteral("MLDECK_PG_READ_URL: ") + endpoint.errorMessage()};
    return fromUrl(url, maxLag);
}

} // namespace mldeck
