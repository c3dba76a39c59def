#pragma once

#include "core/logging/LogEntry.h"

#include <QCoreApplication>
#include <QHash>
#include <QList>

namespace mldeck {

// Folds lines that a periodic loop reports again and again (the guard's rounds: "cannot reach
// PostgreSQL ..." every 5 s during an outage) so that a log shows an event once, not once per
// round. A line is printed the first round it appears; while the following rounds report it
// again it is counted, not printed; the round it is no longer reported (it stopped, or changed
// into another text, which is then a new line) one line says how often and for how long it was
// repeated. A line that goes on for longer than the reminder period is recalled once per period
// so that a reader of the last hour still sees it. Lines are identical when their text is.
// Pure logic: the caller gives the time.
class RepeatFilter final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::RepeatFilter)

public:
    explicit RepeatFilter(qint64 reminderMs = 60 * 60 * 1000) : m_reminderMs(reminderMs) {}

    // Everything one round reported, at nowMs: returns the lines to write, in order (new lines
    // in the round's order, then the counts of the lines that stopped).
    QList<LogEntry> pass(const QList<LogEntry> &round, qint64 nowMs);
    // When the loop ends: the counts of the warnings and errors still being repeated.
    QList<LogEntry> flush();

    // "45 s", "3 min", "2 h 5 min": how long a repetition lasted.
    static QString span(qint64 ms);

private:
    struct Seen
    {
        LogSeverity severity;
        qint64 firstMs = 0;
        qint64 lastMs = 0;
        qint64 remindedMs = 0;
        int count = 0;
        int order = 0; // first appearance, so that stop lines come out in a stable order
    };
    LogEntry stopped(const QString &text, const Seen &seen, bool atExit) const;

    qint64 m_reminderMs;
    QHash<QString, Seen> m_seen;
    int m_next = 0;
};

} // namespace mldeck
