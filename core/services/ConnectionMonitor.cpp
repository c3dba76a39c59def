#include "core/services/ConnectionMonitor.h"

#include "core/services/Probes.h"
#include "core/services/ServerWatch.h"

#include <QMetaType>

#include <chrono>

namespace mldeck {

ConnectionMonitor::ConnectionMonitor(QObject *parent)
    : QObject(parent), m_redis(std::make_unique<ServerWatch>(QStringLiteral("Redis"), nullptr)),
      m_pg(std::make_unique<ServerWatch>(QStringLiteral("PostgreSQL"), nullptr))
{
    qRegisterMetaType<mldeck::Health>();
    connect(m_redis.get(), &ServerWatch::healthChanged, this, &ConnectionMonitor::redisHealthChanged);
    connect(m_pg.get(), &ServerWatch::healthChanged, this, &ConnectionMonitor::pgHealthChanged);
}

ConnectionMonitor::~ConnectionMonitor()
{
    // One shared grace for both servers, so two hung probes cost no more than one.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
    m_redis->shutdown(deadline);
    m_pg->shutdown(deadline);
}

void ConnectionMonitor::setEndpoints(const RedisEndpoint &redis, const PgEndpoint &pg)
{
    m_redis->start([redis] { return probeRedis(redis); }, redis.display());
    m_pg->start([pg] { return probePg(pg, QStringLiteral("mldeck-health")); },
                pg.host + QLatin1Char(':') + QString::number(pg.port));
}

void ConnectionMonitor::retryNow()
{
    m_redis->retryNow();
    m_pg->retryNow();
}

Health ConnectionMonitor::redisHealth() const
{
    return m_redis->health();
}

Health ConnectionMonitor::pgHealth() const
{
    return m_pg->health();
}

} // namespace mldeck
