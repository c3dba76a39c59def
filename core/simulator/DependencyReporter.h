#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Dependency.h"

#include <QString>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace mldeck {

// Reports the backend's dependencies to Redis the way resources/contract/dependencies.md asks:
// every interval, and at once when set() changes a state, each report expiring after three
// intervals. Its own thread and connection, so the serving loop never waits on Redis; when Redis is
// unreachable reports are dropped (the expiry then tells readers the truth: unknown).
class DependencyReporter final
{
public:
    DependencyReporter(RedisEndpoint endpoint, int intervalMs = 5000);
    ~DependencyReporter();
    DependencyReporter(const DependencyReporter &) = delete;
    DependencyReporter &operator=(const DependencyReporter &) = delete;

    void start();
    void stop();
    // The reports from now on; reported at once when state or fallback differ from the last ones.
    void set(std::vector<DependencyReport> reports);
    qint64 reportsWritten() const;
    QString lastError() const;
    int ttlMs() const { return 3 * m_intervalMs; }

private:
    void loop();

    RedisEndpoint m_endpoint;
    int m_intervalMs;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    bool m_changed = false;
    std::vector<DependencyReport> m_reports;
    qint64 m_written = 0;
    QString m_lastError;
};

} // namespace mldeck
