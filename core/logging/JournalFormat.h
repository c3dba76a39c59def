#pragma once

#include "core/logging/LogEntry.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace mldeck {

// Whether the file descriptor is the stream that systemd connected to the journal: systemd puts
// "<device>:<inode>" of that stream in $JOURNAL_STREAM. Comparing with fstat(fd) (rather than
// trusting the variable alone) keeps the readable format when the output was redirected since,
// e.g. `mldeckctl guard | tee file` started from a unit's shell.
bool isJournalStream(int fd, const QByteArray &journalStream);

// The line as written. Journal: "<3>text" (journald takes the priority from the prefix and adds
// its own timestamp). Otherwise "2024-05-01T12:00:00Z ERROR text" (WARN for warnings, no word for
// information, as the guard always printed). Line breaks inside the text become " | ": one
// event is one line.
QString formatLogLine(const LogEntry &entry, bool journal, const QDateTime &nowUtc);

} // namespace mldeck
