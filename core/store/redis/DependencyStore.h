#pragma once

#include "core/domain/Dependency.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

#include <vector>

namespace mldeck {

class RedisConnection;

// The backend's own dependencies in Redis (resources/contract/dependencies.md): one hash per
// deployment and dependency, written with an expiry so that a backend that stops reporting reads
// as Unknown, plus an index set per deployment so readers never SCAN.
// Blocking (see RedisConnection): call from a worker thread.
class DependencyStore final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::DependencyStore)

public:
    explicit DependencyStore(RedisConnection &conn);

    // Every dependency in the deployment's index, sorted by name, in one round trip. Expired,
    // malformed or wrong-typed entries come back Unknown with a reason; never an error for them.
    // An empty list: the backend reports no dependencies (or never did).
    Result<std::vector<DependencyState>> read(const QString &deployment);

    // The backend's write: replaces the hash, sets the expiry, adds the name to the index and
    // publishes on the channel when state or fallback changed, in one script (atomic).
    Status report(const DependencyReport &report, int ttlMs);

    // Removes a dependency the backend no longer has (hash and index entry).
    Status forget(const QString &deployment, const QString &name);

    static QByteArray key(const QString &deployment, const QString &name); // "mldeck:dep:<deployment>:<name>"
    static QByteArray indexKey(const QString &deployment);                 // "mldeck:deps:<deployment>"
    static QByteArray channel();                                           // "mldeck:deps:changed"

    static constexpr int kMinTtlMs = 1000;
    static constexpr int kMaxTtlMs = 3600 * 1000;

private:
    RedisConnection &m_conn;
};

} // namespace mldeck
