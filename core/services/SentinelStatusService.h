#pragma once

#include "core/config/Endpoints.h"
#include "core/services/SentinelStatus.h"

#include <QObject>

class QTimer;

namespace mldeck {

class JobThread;

// Keeps the Sentinel status of the active Redis endpoint fresh for the GUI: probeSentinelStatus on its own
// worker thread at once on setEndpoint, on refresh() and every kPollMs. Does nothing for a plain redis://
// endpoint. Each answer ends in statusChanged on the owner's thread.
class SentinelStatusService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SentinelStatusService)

public:
    static constexpr int kPollMs = 5000;

    explicit SentinelStatusService(QObject *parent = nullptr);
    ~SentinelStatusService() override;

    void setEndpoint(const RedisEndpoint &redis);
    void refresh(); // a probe now (ignored while one runs, or for a plain endpoint)
    bool isSentinel() const { return m_endpoint.isSentinel(); }
    const std::optional<SentinelStatus> &status() const { return m_status; }

Q_SIGNALS:
    // nullopt: the endpoint is not a sentinel one (or not probed yet).
    void statusChanged(const std::optional<mldeck::SentinelStatus> &status);

private:
    JobThread *m_jobs = nullptr;
    QTimer *m_poll = nullptr;
    RedisEndpoint m_endpoint;
    std::optional<SentinelStatus> m_status;
    bool m_busy = false;
    quint64 m_generation = 0;
};

} // namespace mldeck
