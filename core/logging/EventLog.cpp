#include "core/logging/EventLog.h"

#include "core/logging/JournalFormat.h"

#include <QDateTime>
#include <QMutexLocker>

#include <atomic>

namespace mldeck {

namespace {

std::atomic<EventLog *> g_capturing{nullptr};
QtMessageHandler g_previous = nullptr;

LogSeverity severityOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return LogSeverity::Debug;
    case QtInfoMsg:
        return LogSeverity::Info;
    case QtWarningMsg:
        return LogSeverity::Warning;
    case QtCriticalMsg:
    case QtFatalMsg:
        return LogSeverity::Error;
    }
    return LogSeverity::Info;
}

void onQtMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    EventLog *writer = g_capturing.load();
    if (!writer) {
        if (g_previous)
            g_previous(type, context, message);
        return;
    }
    const QString category = QString::fromLatin1(context.category ? context.category : "default");
    writer->write(severityOf(type),
                  category == QLatin1String("default") ? message : category + QStringLiteral(": ") + message);
}

} // namespace

EventLog::EventLog(std::FILE *out) : EventLog(out, isJournalStream(fileno(out), qgetenv("JOURNAL_STREAM"))) {}

EventLog::EventLog(std::FILE *out, bool journal) : m_out(out), m_journal(journal) {}

EventLog::~EventLog()
{
    if (m_capturing) {
        g_capturing = nullptr;
        qInstallMessageHandler(g_previous);
    }
}

void EventLog::write(const LogEntry &entry)
{
    const QByteArray line = formatLogLine(entry, m_journal, QDateTime::currentDateTimeUtc()).toUtf8() + '\n';
    QMutexLocker lock(&m_mutex);
    std::fwrite(line.constData(), 1, size_t(line.size()), m_out);
    std::fflush(m_out);
}

void EventLog::captureQtMessages()
{
    if (m_capturing)
        return;
    m_capturing = true;
    g_capturing = this;
    g_previous = qInstallMessageHandler(onQtMessage);
}

} // namespace mldeck
