#pragma once

#include "core/config/Endpoints.h"
#include "core/services/Health.h"

#include <QObject>

#include <memory>

namespace mldeck {

class ServerWatch;

// Watches Redis and PostgreSQL for the status bar. Lives on the UI thread; every probe runs on
// its own worker thread (see ProbeMailbox), so nothing here ever waits on the network.
// While up: a probe every 1.5 s. A failure, or a probe that has not answered after 2.5 s (a frozen
// server), marks the server Down at once; retries follow with exponential backoff (1, 2, 4 … 30 s,
// with jitter), reported in Health::nextRetrySeconds.
class ConnectionMonitor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionMonitor)

public:
    explicit ConnectionMonitor(QObject *parent = nullptr);
    // Stops at once: probes still hung on a server are abandoned (their results dropped), never waited for.
    ~ConnectionMonitor() override;

    void setEndpoints(const RedisEndpoint &redis, const PgEndpoint &pg); // (re)starts probing both
    void retryNow();                                                     // skips the backoff of a Down server

    Health redisHealth() const;
    Health pgHealth() const;

Q_SIGNALS:
    void redisHealthChanged(const mldeck::Health &health);
    void pgHealthChanged(const mldeck::Health &health);

private:
    std::unique_ptr<ServerWatch> m_redis;
    std::unique_ptr<ServerWatch> m_pg;
};

} // namespace mldeck
