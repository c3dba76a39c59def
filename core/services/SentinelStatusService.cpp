#include "core/services/SentinelStatusService.h"

#include "core/services/JobThread.h"

#include <QTimer>

namespace mldeck {

SentinelStatusService::SentinelStatusService(QObject *parent)
    : QObject(parent), m_jobs(new JobThread(QStringLiteral("mldeck-sentinel-status"), this)), m_poll(new QTimer(this))
{
    qRegisterMetaType<mldeck::SentinelStatus>();
    m_poll->setInterval(kPollMs);
    connect(m_poll, &QTimer::timeout, this, &SentinelStatusService::refresh);
}

SentinelStatusService::~SentinelStatusService() = default;

void SentinelStatusService::setEndpoint(const RedisEndpoint &redis)
{
    m_endpoint = redis;
    ++m_generation;
    m_busy = false;
    m_status.reset();
    Q_EMIT statusChanged(m_status);
    if (!redis.isSentinel()) {
        m_poll->stop();
        return;
    }
    m_poll->start();
    refresh();
}

void SentinelStatusService::refresh()
{
    if (!m_endpoint.isSentinel() || m_busy)
        return;
    m_busy = true;
    const quint64 generation = m_generation;
    m_jobs->post(
        this, [endpoint = m_endpoint] { return probeSentinelStatus(endpoint); },
        [this, generation](SentinelStatus s) {
            if (generation != m_generation)
                return; // an answer for an endpoint no longer shown
            m_busy = false;
            m_status = std::move(s);
            Q_EMIT statusChanged(m_status);
        });
}

} // namespace mldeck
