#pragma once

#include "core/logging/LogEntry.h"

#include <QMutex>

#include <cstdio>

namespace mldeck {

// Writes log lines to one stream, one line per event, flushed at once: in the journal's format
// when the stream is the one systemd connected to the journal, readable with timestamps
// otherwise (see formatLogLine). Thread-safe.
class EventLog final
{
public:
    explicit EventLog(std::FILE *out); // journal format when $JOURNAL_STREAM names this stream
    EventLog(std::FILE *out, bool journal);
    ~EventLog();
    EventLog(const EventLog &) = delete;
    EventLog &operator=(const EventLog &) = delete;

    bool journal() const { return m_journal; }
    void write(const LogEntry &entry);
    void write(LogSeverity severity, const QString &text) { write(LogEntry{severity, text}); }

    // Until this writer is destroyed, Qt's messages (qWarning, qCInfo, ...) of the whole process
    // go through it too, with their severity, so that library warnings follow the same format.
    void captureQtMessages();

private:
    std::FILE *m_out;
    bool m_journal;
    bool m_capturing = false;
    QMutex m_mutex;
};

} // namespace mldeck
