#pragma once

#include <QString>

namespace mldeck {

// syslog priorities, as journald reads them from a "<N>" line prefix.
enum class LogSeverity : int
{
    Error = 3,
    Warning = 4,
    Info = 6,
    Debug = 7
};

// One event: one line, whatever it holds.
struct LogEntry
{
    LogSeverity severity = LogSeverity::Info;
    QString text;

    friend bool operator==(const LogEntry &, const LogEntry &) = default;
};

} // namespace mldeck
