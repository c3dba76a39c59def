#include "core/simulator/DependencyReporter.h"

#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/RedisConnection.h"

#include <chrono>
#include <memory>

namespace mldeck {

namespace {

bool sameOutline(const std::vector<DependencyReport> &a, const std::vector<DependencyReport> &b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].state != b[i].state || a[i].fallbackActive != b[i].fallbackActive)
            return false;
    }
    return true;
}

} // namespace

DependencyReporter::DependencyReporter(RedisEndpoint endpoint, int intervalMs)
    : m_endpoint(std::move(endpoint)), m_intervalMs(std::max(334, intervalMs))
{
}

DependencyReporter::~DependencyReporter()
{
    stop();
}

void DependencyReporter::start()
{
    m_thread = std::thread([this] { loop(); });
}

void DependencyReporter::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void DependencyReporter::set(std::vector<DependencyReport> reports)
{
    {
        std::lock_guard lock(m_mutex);
        if (!sameOutline(m_reports, reports))
            m_changed = true;
        m_reports = std::move(reports);
    }
    m_wake.notify_all();
}

qint64 DependencyReporter::reportsWritten() const
{
    std::lock_guard lock(m_mutex);
    return m_written;
}

QString DependencyReporter::lastError() const
{
    std::lock_guard lock(m_mutex);
    return m_lastError;
}

void DependencyReporter::loop()
{
    std::unique_ptr<RedisConnection> conn;
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        const std::vector<DependencyReport> reports = m_reports;
        m_changed = false;
        lock.unlock();
        QString error;
        qint64 written = 0;
        if (!conn || conn->isBroken()) {
            auto opened = RedisConnection::open(m_endpoint);
            if (opened)
                conn = std::move(opened).value();
            else
                error = opened.errorMessage();
        }
        if (conn && !conn->isBroken()) {
            DependencyStore store(*conn);
            for (const DependencyReport &r : reports) {
                if (Status s = store.report(r, ttlMs()); !s)
                    error = s.errorMessage();
                else
                    ++written;
            }
        }
        lock.lock();
        m_written += written;
        m_lastError = error;
        // A connection error waits for the next interval: the next attempt reconnects.
        m_wake.wait_for(lock, std::chrono::milliseconds(m_intervalMs), [this] { return m_stop || m_changed; });
    }
}

} // namespace mldeck
