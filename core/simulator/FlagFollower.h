#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/FlagState.h"

#include <QString>

#include <atomic>
#include <mutex>
#include <thread>

namespace mldeck {

// Follows a deployment's flags the way the contract asks a serving backend to:
// read them, SUBSCRIBE to the change channel, re-read on every message, after every
// reconnect and every few seconds as a safety net. Until the first successful read the
// state is "does not exist", which routes nothing to ML.
class FlagFollower final
{
public:
    FlagFollower(RedisEndpoint endpoint, QString deployment);
    ~FlagFollower();
    FlagFollower(const FlagFollower &) = delete;
    FlagFollower &operator=(const FlagFollower &) = delete;

    void start();
    void stop();
    FlagState current() const;
    qint64 changesSeen() const { return m_changesSeen.load(); }
    QString lastError() const;

private:
    void loop();
    bool refresh(class FlagStore &store);

    RedisEndpoint m_endpoint;
    QString m_deployment;
    std::thread m_thread;
    std::atomic_bool m_stop{false};
    std::atomic<qint64> m_changesSeen{0};
    mutable std::mutex m_mutex;
    FlagState m_state;
    QString m_lastError;
};

} // namespace mldeck
