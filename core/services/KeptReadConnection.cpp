#include "core/services/KeptReadConnection.h"

#include "core/Text.h"
#include "core/services/Backoff.h"
#include "core/store/pg/StandbyStatus.h"

#include <cmath>

namespace mldeck {

PgEndpoint KeptReadConnection::standbyEndpoint(const PgEndpoint &replica, const PgEndpoint &primary)
{
    PgEndpoint e = replica;
    if (e.user.isEmpty())
        e.user = primary.user;
    if (e.password.isEmpty() && e.user == primary.user)
        e.password = primary.password;
    return e;
}

void KeptReadConnection::standbyFailed(const QString &why)
{
    m_standby.reset();
    ++m_failures;
    m_retryAt = std::chrono::steady_clock::now() + Backoff::jittered(m_failures);
    m_lastError = why;
}

Result<PgConnection *> KeptReadConnection::fallBack(KeptPgConnection &primary, const PgEndpoint &primaryEndpoint,
                                                    ReadSource &source)
{
    source.server = ReadSource::Server::Primary;
    source.lagSeconds = 0.0;
    source.where = primaryEndpoint.display();
    source.fallbackReason = m_lastError;
    const auto left = std::chrono::duration<double>(m_retryAt - std::chrono::steady_clock::now()).count();
    source.nextRetrySeconds = std::max(0, int(std::ceil(left)));
    return primary.get(primaryEndpoint);
}

Result<PgConnection *> KeptReadConnection::get(KeptPgConnection &primary, const PgEndpoint &primaryEndpoint,
                                               const ReadReplica &replica, ReadSource &source)
{
    source = ReadSource{};
    source.measuredAt = QDateTime::currentDateTimeUtc();
    source.maxLagSeconds = replica.maxLagSeconds;
    source.replicaConfigured = replica.endpoint.has_value();
    if (!replica.endpoint) {
        m_standby.reset();
        m_url.clear();
        source.lagSeconds = 0.0;
        source.where = primaryEndpoint.display();
        return primary.get(primaryEndpoint);
    }
    const PgEndpoint standby = standbyEndpoint(*replica.endpoint, primaryEndpoint);
    if (const QString url = standby.toUrl(true); url != m_url) {
        m_url = url;
        m_failures = 0;
        m_standby.reset();
    }
    if (m_failures > 0 && std::chrono::steady_clock::now() < m_retryAt)
        return fallBack(primary, primaryEndpoint, source);

    auto session = m_standby.get(standby);
    if (!session) {
        standbyFailed(session.errorMessage());
        return fallBack(primary, primaryEndpoint, source);
    }
    auto status = readStandbyStatus(**session);
    if (!status) {
        standbyFailed(status.errorMessage());
        return fallBack(primary, primaryEndpoint, source);
    }
    if (!status->inRecovery) {
        // A promoted standby no longer follows the primary: what it holds may diverge from it.
        standbyFailed(ServiceText::tr("%1 is not a standby (not in recovery)").arg(standby.display()));
        return fallBack(primary, primaryEndpoint, source);
    }
    m_failures = 0;
    source.server = ReadSource::Server::Standby;
    source.lagSeconds = status->lagSeconds();
    source.where = standby.display();
    return *session;
}

std::optional<Result<PgConnection *>> KeptReadConnection::retryOnPrimary(KeptPgConnection &primary,
                                                                         const PgEndpoint &primaryEndpoint,
                                                                         ReadSource &source, const QString &error)
{
    if (source.server != ReadSource::Server::Standby)
        return std::nullopt;
    PgConnection *current = m_standby.current();
    if (current && current->ping())
        return std::nullopt;
    standbyFailed(error);
    return fallBack(primary, primaryEndpoint, source);
}

} // namespace mldeck
