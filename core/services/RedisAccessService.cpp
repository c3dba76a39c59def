#include "core/services/RedisAccessService.h"

#include "core/services/JobThread.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QHostAddress>
#include <QTimer>

#include <algorithm>

namespace mldeck {

bool isLoopbackRedisHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    QString address = host;
    if (address.startsWith(QLatin1Char('[')) && address.endsWith(QLatin1Char(']')))
        address = address.mid(1, address.size() - 2);
    const QHostAddress parsed(address);
    return !parsed.isNull() && parsed.isLoopback();
}

// The worker's connection, opened on first use and again after it broke; touched only in jobs.
struct RedisAccessService::Worker
{
    explicit Worker(RedisEndpoint e) : endpoint(std::move(e)) {}
    RedisEndpoint endpoint;
    std::unique_ptr<RedisConnection> conn;

    Result<bool> canWrite()
    {
        if (!conn || conn->isBroken()) {
            auto opened = RedisConnection::open(endpoint);
            if (!opened)
                return opened.error();
            conn = std::move(opened).value();
        }
        return FlagStore(*conn).canWrite();
    }
};

RedisAccessService::RedisAccessService(QObject *parent)
    : QObject(parent), m_jobs(new JobThread(QStringLiteral("mldeck-redis-access"), this)), m_poll(new QTimer(this))
{
    qRegisterMetaType<mldeck::RedisAccess>();
    m_poll->setInterval(kPollMs);
    connect(m_poll, &QTimer::timeout, this, &RedisAccessService::refresh);
}

RedisAccessService::~RedisAccessService() = default;

void RedisAccessService::setEndpoint(const RedisEndpoint &redis)
{
    m_worker = std::make_shared<Worker>(redis); // the previous one is released by its last job
    ++m_generation;
    m_access = RedisAccess{};
    m_access.user = redis.user.isEmpty() ? QStringLiteral("default") : redis.user;
    m_access.host = redis.display();
    // Behind Sentinel the data nodes are not known yet: loopback sentinels name loopback nodes in practice.
    m_access.encrypted = redis.isSentinel() ? std::all_of(redis.sentinels.cbegin(), redis.sentinels.cend(),
                                                          [](const HostPort &s) { return isLoopbackRedisHost(s.host); })
                                            : isLoopbackRedisHost(redis.host);
    Q_EMIT accessChanged(m_access);
    m_poll->start();
    m_busy = false;
    refresh();
}

void RedisAccessService::refresh()
{
    if (!m_worker || m_busy)
        return;
    m_busy = true;
    auto worker = m_worker;
    const quint64 generation = m_generation;
    m_jobs->post(
        this, [worker] { return worker->canWrite(); },
        [this, generation](Result<bool> r) {
            if (generation != m_generation)
                return; // an answer for an endpoint no longer shown
            m_busy = false;
            if (!r)
                return; // unreachable: the connection monitor says so; keep what was known
            if (m_access.known && m_access.readOnly == !*r)
                return;
            m_access.known = true;
            m_access.readOnly = !*r;
            Q_EMIT accessChanged(m_access);
        });
}

} // namespace mldeck
