#pragma once

// Peak resident memory of a process (Linux /proc), for tests and benches that show memory stays bounded.
#include <QByteArray>
#include <QFile>
#include <QString>

namespace mldeck::test {

// The peak resident size (VmHWM) of process pid (0: this process), in MB; 0 when it cannot be read.
inline qint64 peakResidentMb(qint64 pid = 0)
{
    QFile status(pid > 0 ? QStringLiteral("/proc/%1/status").arg(pid) : QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() / 1024;
    return 0;
}

// Starts this process's peak resident size again from its current size, so that a later peakResidentMb()
// measures what came after. False when the kernel refuses.
inline bool resetPeakResident()
{
    QFile clear(QStringLiteral("/proc/self/clear_refs"));
    return clear.open(QIODevice::WriteOnly) && clear.write("5") == 1;
}

} // namespace mldeck::test
