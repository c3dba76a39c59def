#pragma once

#include <QCoreApplication>

#include <atomic>
#include <functional>

namespace mldeck {

class GuardRunner;
class EventLog;

// `mldeckctl guard` as a long-running service: runs the rounds, writes one line per event
// (identical lines of consecutive rounds folded by a RepeatFilter, so an outage is one line and
// a count, not a line every round), and on stop releases the leadership before saying so.
class GuardDaemon final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::GuardDaemon)

public:
    GuardDaemon(GuardRunner &runner, EventLog &log) : m_runner(runner), m_log(log) {}

    // Until stop is set; signal is the number of the signal that set it (0: none), for the last line.
    void run(const std::atomic<bool> &stop, const std::atomic<int> &signal);
    // One round, every line written (nothing to fold). True when leader and without errors.
    bool runOnce();
    // Called after each round of run(), on its thread (the metrics endpoint follows the leadership).
    void setRoundObserver(std::function<void(bool leader, int errors)> observer) { m_observer = std::move(observer); }

private:
    GuardRunner &m_runner;
    EventLog &m_log;
    std::function<void(bool leader, int errors)> m_observer;
};

} // namespace mldeck
