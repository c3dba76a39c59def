#include "core/simulator/FlagFollower.h"

#include "core/store/redis/FlagStore.h"
#include "core/store/redis/FlagSubscriber.h"
#include "core/store/redis/RedisConnection.h"

#include <QDateTime>

#include <algorithm>

namespace mldeck {

namespace {
constexpr int kWaitMs = 250;
constexpr qint64 kSafetyRereadMs = 5000;
} // namespace

FlagFollower::FlagFollower(RedisEndpoint endpoint, QString deployment)
    : m_endpoint(std::move(endpoint)), m_deployment(std::move(deployment))
{
    m_state.deployment = m_deployment;
}

FlagFollower::~FlagFollower()
{
    stop();
}

void FlagFollower::start()
{
    m_thread = std::thread([this] { loop(); });
}

void FlagFollower::stop()
{
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
}

FlagState FlagFollower::current() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

QString FlagFollower::lastError() const
{
    std::lock_guard lock(m_mutex);
    return m_lastError;
}

bool FlagFollower::refresh(FlagStore &store)
{
    auto state = store.read(m_deployment);
    std::lock_guard lock(m_mutex);
    if (!state) {
        m_lastError = state.errorMessage();
        return false;
    }
    if (state->version != m_state.version)
        ++m_changesSeen;
    m_state = std::move(state).value();
    m_lastError.clear();
    return true;
}

// On a lost connection the last state read stays in force (see flags.md) and we reconnect
// with backoff; pub/sub loses events while disconnected, so every reconnect re-reads.
void FlagFollower::loop()
{
    int backoffMs = 250;
    while (!m_stop) {
        auto conn = RedisConnection::open(m_endpoint);
        auto subscriber =
            conn ? FlagSubscriber::open(m_endpoint) : Result<std::unique_ptr<FlagSubscriber>>(conn.error());
        if (!conn || !subscriber) {
            {
                std::lock_guard lock(m_mutex);
                m_lastError = conn ? subscriber.errorMessage() : conn.errorMessage();
            }
            for (int waited = 0; waited < backoffMs && !m_stop; waited += 50)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            backoffMs = std::min(backoffMs * 2, 5000);
            continue;
        }
        backoffMs = 250;
        FlagStore store(*conn.value());
        bool healthy = refresh(store);
        qint64 lastRead = QDateTime::currentMSecsSinceEpoch();
        while (healthy && !m_stop) {
            auto event = subscriber.value()->waitForChange(kWaitMs);
            if (!event) {
                std::lock_guard lock(m_mutex);
                m_lastError = event.errorMessage();
                break;
            }
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            const bool ours = event->has_value() && event->value().deployment == m_deployment;
            if (ours || now - lastRead > kSafetyRereadMs) {
                healthy = refresh(store);
                lastRead = now;
            }
        }
    }
}

} // namespace mldeck
