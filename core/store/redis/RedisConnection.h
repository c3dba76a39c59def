#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/store/redis/RedisValue.h"

#include <QByteArray>
#include <QList>

#include <memory>
#include <optional>

namespace mldeck {

// One synchronous connection to Redis (hiredis behind a pimpl). Every call blocks for at most
// endpoint.timeoutMs, so callers run it on a worker thread, never on the UI thread.
// After an I/O error or a timeout the connection is broken for good: open a new one.
// Not thread-safe: one thread uses it at a time.
class RedisConnection final
{
public:
    // Connects, authenticates (user+password or password only), selects the database and pings.
    // A sentinel endpoint (not yet resolved: host "") is resolved first: the sentinels are asked in
    // order for the master, and ROLE must confirm it is one (a sentinel answers stale during a failover:
    // asked again until endpoint.timeoutMs has passed). endpoint() is then the resolved master.
    static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint &endpoint);
    ~RedisConnection();
    RedisConnection(const RedisConnection &) = delete;
    RedisConnection &operator=(const RedisConnection &) = delete;

    Status ping();
    Result<double> pingMs(); // round trip in milliseconds

    // Any command, arguments binary-safe. A Redis error reply becomes an Error naming the command.
    Result<RedisValue> command(const QList<QByteArray> &argv);

    // Subscribe mode (used by FlagSubscriber): SUBSCRIBE and wait for each confirmation.
    // Afterwards only nextPush() may be called on this connection.
    Status subscribe(const QList<QByteArray> &channels);
    // Waits up to timeoutMs for the next pushed message. std::nullopt on timeout (the connection
    // stays usable); Error when the connection is lost.
    Result<std::optional<RedisValue>> nextPush(int timeoutMs);

    // WAIT numReplicas timeoutMs: how many replicas acknowledged this connection's writes so far.
    Result<int> waitForReplicas(int numReplicas, int timeoutMs);

    // Broken after an I/O error; on a sentinel endpoint also once the node answered READONLY, LOADING or
    // MASTERDOWN (it is no longer the master): every holder then reconnects, through the sentinels.
    bool isBroken() const;
    const RedisEndpoint &endpoint() const;

private:
    struct Impl;
    explicit RedisConnection(std::unique_ptr<Impl> impl);
    static Result<std::unique_ptr<RedisConnection>> openThroughSentinels(const RedisEndpoint &endpoint);
    std::unique_ptr<Impl> m_impl;
};

} // namespace mldeck
