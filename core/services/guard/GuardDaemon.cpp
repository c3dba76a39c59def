#include "core/services/guard/GuardDaemon.h"

#include "core/logging/EventLog.h"
#include "core/logging/RepeatFilter.h"
#include "core/services/guard/GuardRunner.h"

#include <QElapsedTimer>

#include <csignal>
#include <cstring>

namespace mldeck {

namespace {

QList<LogEntry> entriesOf(const GuardRunner::Round &round)
{
    QList<LogEntry> out;
    for (const QString &line : round.lines)
        out << LogEntry{LogSeverity::Info, line};
    for (const QString &e : round.errors)
        out << LogEntry{LogSeverity::Error, e};
    return out;
}

QString signalName(int signal)
{
    switch (signal) {
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGINT:
        return QStringLiteral("SIGINT");
    default:
        return QString::fromLocal8Bit(strsignal(signal));
    }
}

} // namespace

void GuardDaemon::run(const std::atomic<bool> &stop, const std::atomic<int> &signal)
{
    RepeatFilter repeats;
    QElapsedTimer clock;
    clock.start();
    bool leader = false;
    m_runner.run(stop, [&](const GuardRunner::Round &round) {
        leader = round.leader;
        for (const LogEntry &e : repeats.pass(entriesOf(round), clock.elapsed()))
            m_log.write(e);
        if (m_observer)
            m_observer(round.leader, int(round.errors.size()));
    });
    // run() has released the leadership (unlocked, session closed) by now: another guard may lead.
    for (const LogEntry &e : repeats.flush())
        m_log.write(e);
    const QString why = signal ? signalName(signal) : tr("stop requested");
    m_log.write(LogSeverity::Info,
                leader
                    ? tr("guard stopped (%1): leadership of scope \"%2\" released").arg(why, m_runner.options().scope)
                    : tr("guard stopped (%1)").arg(why));
}

bool GuardDaemon::runOnce()
{
    const GuardRunner::Round round = m_runner.runRound();
    for (const LogEntry &e : entriesOf(round))
        m_log.write(e);
    return round.leader && round.errors.isEmpty();
}

} // namespace mldeck
