#include "core/logging/JournalFormat.h"

#include <QRegularExpression>

#include <sys/stat.h>

namespace mldeck {

bool isJournalStream(int fd, const QByteArray &journalStream)
{
    const int colon = journalStream.indexOf(':');
    if (colon <= 0)
        return false;
    bool devOk = false;
    bool inoOk = false;
    const qulonglong dev = journalStream.left(colon).toULongLong(&devOk);
    const qulonglong ino = journalStream.mid(colon + 1).toULongLong(&inoOk);
    if (!devOk || !inoOk)
        return false;
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0)
        return false;
    return qulonglong(st.st_dev) == dev && qulonglong(st.st_ino) == ino;
}

QString formatLogLine(const LogEntry &entry, bool journal, const QDateTime &nowUtc)
{
    static const QRegularExpression breaks(QStringLiteral("\\s*[\\r\\n]+\\s*"));
    QString text = entry.text.trimmed();
    text.replace(breaks, QStringLiteral(" | "));
    if (journal)
        return QStringLiteral("<%1>").arg(int(entry.severity)) + text;
    QString word;
    switch (entry.severity) {
    case LogSeverity::Error:
        word = QStringLiteral("ERROR ");
        break;
    case LogSeverity::Warning:
        word = QStringLiteral("WARN ");
        break;
    case LogSeverity::Debug:
        word = QStringLiteral("DEBUG ");
        break;
    case LogSeverity::Info:
        break;
    }
    return nowUtc.toString(Qt::ISODate) + QLatin1Char(' ') + word + text;
}

} // namespace mldeck
