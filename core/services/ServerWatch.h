#pragma once

#include "core/services/Health.h"
#include "core/services/Probes.h"

#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

namespace mldeck {

class ProbeMailbox;

// The probe/backoff/watchdog state machine for one server. Lives on the UI thread and never
// blocks it: probes run on ProbeMailbox threads, and a watchdog timer here declares the server
// "not responding" when a probe has not answered in time. Each started probe ends exactly once:
// by its result or by the watchdog, whichever comes first; the other is ignored.
class ServerWatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerWatch)

public:
    using Probe = std::function<ProbeResult()>;

    static constexpr std::chrono::milliseconds kUpInterval{1500}; // between probes while up
    // A probe slower than this is a failure. With kUpInterval, a server that hangs is reported
    // within 4 s at worst (it froze just after a good probe), inside the 5 s users are promised.
    static constexpr std::chrono::milliseconds kWatchdog{2500};
    static constexpr int kMaxAbandonedProbes = 3; // hung probes tolerated before we stop adding threads

    ServerWatch(QString displayName, QObject *parent);
    ~ServerWatch() override;

    void start(Probe probe,
               const QString &target); // (re)starts from Connecting; abandons any probe in flight
    void retryNow();                   // while Down: skip the remaining backoff
    Health health() const { return m_health; }
    // Stops probing; waits for running probes until `deadline` at most, then abandons them.
    void shutdown(std::chrono::steady_clock::time_point deadline);

Q_SIGNALS:
    void healthChanged(const mldeck::Health &health);

private:
    void launchProbe();
    void onProbeFinished(quint64 probeId, const ProbeResult &result);
    void onWatchdog();
    void applyOutcome(bool up, const QString &detail);
    void setHealth(Health next);

    QString m_displayName; // "Redis" / "PostgreSQL", for messages
    QString m_target;      // host:port, for messages
    Probe m_probe;
    std::shared_ptr<ProbeMailbox> m_mailbox;
    QTimer m_nextProbe;
    QTimer m_watchdog;
    quint64 m_lastProbeId = 0;
    bool m_inFlight = false;
    int m_failures = 0;
    Health m_health;
};

} // namespace mldeck
