#pragma once

#include "core/services/Probes.h"

#include <QObject>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace mldeck {

// Runs blocking probes on their own detached threads and posts each result back to a receiver's
// thread. Why detached threads and not a QThreadPool: a probe can hang far longer than its
// timeouts say (a frozen server after the handshake, a kernel that never answers); neither
// libpq behind pqxx nor hiredis offer a cancel we can reach from here, and a pool (even our own)
// would make the destructor wait for that hung call. A detached thread only holds copies of the
// endpoint and a shared_ptr to this mailbox, so abandoning it is safe: once close() has run, its
// result is dropped and it touches nothing of the monitor when it finally returns.
class ProbeMailbox final : public std::enable_shared_from_this<ProbeMailbox>
{
public:
    using Probe = std::function<ProbeResult()>;
    using Deliver = std::function<void(const ProbeResult &)>; // runs on the receiver's thread

    static std::shared_ptr<ProbeMailbox> create(QObject *receiver);

    // False when no thread could be started (the caller reports that as a failed probe).
    bool launch(Probe probe, Deliver deliver);
    int running() const;

    // No result is delivered after this returns. Waits until `deadline` at most for probes still
    // running, so a normal shutdown joins its workers and a hung one does not hold the caller.
    // Idempotent.
    void close(std::chrono::steady_clock::time_point deadline);

private:
    explicit ProbeMailbox(QObject *receiver) : m_receiver(receiver) {}

    mutable std::mutex m_mutex;
    std::condition_variable m_idle;
    QObject *m_receiver; // guarded by m_mutex; null once closed
    int m_running = 0;   // guarded by m_mutex
};

} // namespace mldeck
