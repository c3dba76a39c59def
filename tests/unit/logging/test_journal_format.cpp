// Under systemd the guard's lines carry the "<N>" priority prefix journald reads; anywhere else
// they stay readable: a timestamp and ERROR / WARN words.
#include "core/logging/EventLog.h"
#include "core/logging/JournalFormat.h"

#include <QTemporaryFile>
#include <QtTest>

#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

using namespace mldeck;

namespace {

QByteArray journalStreamOf(int fd)
{
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0)
        return {};
    return QByteArray::number(qulonglong(st.st_dev)) + ':' + QByteArray::number(qulonglong(st.st_ino));
}

const QDateTime kNow = QDateTime(QDate(2024, 5, 1), QTime(12, 0, 5), Qt::UTC);

} // namespace

class TestJournalFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void journalPrefixes()
    {
        QCOMPARE(formatLogLine({LogSeverity::Error, QStringLiteral("x")}, true, kNow), QStringLiteral("<3>x"));
        QCOMPARE(formatLogLine({LogSeverity::Warning, QStringLiteral("x")}, true, kNow), QStringLiteral("<4>x"));
        QCOMPARE(formatLogLine({LogSeverity::Info, QStringLiteral("x")}, true, kNow), QStringLiteral("<6>x"));
        QCOMPARE(formatLogLine({LogSeverity::Debug, QStringLiteral("x")}, true, kNow), QStringLiteral("<7>x"));
    }

    void readableWords()
    {
        QCOMPARE(formatLogLine({LogSeverity::Error, QStringLiteral("x")}, false, kNow),
                 QStringLiteral("2024-05-01T12:00:05Z ERROR x"));
        QCOMPARE(formatLogLine({LogSeverity::Warning, QStringLiteral("x")}, false, kNow),
                 QStringLiteral("2024-05-01T12:00:05Z WARN x"));
        QCOMPARE(formatLogLine({LogSeverity::Info, QStringLiteral("x")}, false, kNow),
                 QStringLiteral("2024-05-01T12:00:05Z x"));
    }

    void oneEventIsOneLine()
    {
        const LogEntry e{LogSeverity::Error, QStringLiteral("ERROR:  relation missing\nDETAIL:  x\r\n  HINT: y\n")};
        QCOMPARE(formatLogLine(e, true, kNow), QStringLiteral("<3>ERROR:  relation missing | DETAIL:  x | HINT: y"));
    }

    void journalStreamMustNameThisVeryStream()
    {
        QTemporaryFile a;
        QTemporaryFile b;
        QVERIFY(a.open() && b.open());
        const QByteArray ofA = journalStreamOf(a.handle());
        QVERIFY(!ofA.isEmpty());
        QVERIFY(isJournalStream(a.handle(), ofA));
        QVERIFY(!isJournalStream(b.handle(), ofA)); // redirected elsewhere: readable format
        QVERIFY(!isJournalStream(a.handle(), QByteArray()));
        QVERIFY(!isJournalStream(a.handle(), QByteArrayLiteral("garbage")));
        QVERIFY(!isJournalStream(a.handle(), ofA + 'x'));
        QVERIFY(!isJournalStream(-1, ofA));
    }

    void writerChoosesTheFormatFromTheEnvironment()
    {
        for (const bool underSystemd : {true, false}) {
            QTemporaryFile file;
            QVERIFY(file.open());
            std::FILE *out = ::fdopen(::dup(file.handle()), "w");
            QVERIFY(out);
            qputenv("JOURNAL_STREAM", underSystemd ? journalStreamOf(fileno(out)) : QByteArrayLiteral("1:1"));
            {
                EventLog log(out);
                QCOMPARE(log.journal(), underSystemd);
                log.write(LogSeverity::Error, QStringLiteral("cannot reach Redis"));
                log.captureQtMessages();
                qWarning("a library warning");
            }
            qunsetenv("JOURNAL_STREAM");
            std::fclose(out);
            file.seek(0);
            const QList<QByteArray> lines = file.readAll().split('\n');
            QCOMPARE(lines.size(), 3); // two lines and the final newline
            if (underSystemd) {
                QCOMPARE(lines.at(0), QByteArrayLiteral("<3>cannot reach Redis"));
                QCOMPARE(lines.at(1), QByteArrayLiteral("<4>a library warning"));
            } else {
                QVERIFY2(lines.at(0).endsWith("Z ERROR cannot reach Redis"), lines.at(0).constData());
                QVERIFY2(lines.at(1).endsWith("Z WARN a library warning"), lines.at(1).constData());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestJournalFormat)
#include "test_journal_format.moc"
