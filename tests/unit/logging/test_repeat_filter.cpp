// The guard's log folds a line that every round repeats: printed once, then counted, then one line
// with the count when it stops or changes, and a reminder when it goes on for long.
#include "core/logging/RepeatFilter.h"

#include <QtTest>

using namespace mldeck;

namespace {

const LogEntry kDown{LogSeverity::Error, QStringLiteral("cannot reach PostgreSQL: connection refused")};
const LogEntry kRedis{LogSeverity::Error, QStringLiteral("cannot list the deployments in Redis: timeout")};
const LogEntry kStandby{LogSeverity::Info, QStringLiteral("standing by: another guard is the leader")};

QStringList texts(const QList<LogEntry> &entries)
{
    QStringList out;
    for (const LogEntry &e : entries)
        out << e.text;
    return out;
}

} // namespace

class TestRepeatFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstOccurrenceIsPrintedAsIs()
    {
        RepeatFilter f;
        const auto out = f.pass({kDown, kStandby}, 0);
        QCOMPARE(out, (QList<LogEntry>{kDown, kStandby}));
    }

    void repeatsAreCountedNotPrinted()
    {
        RepeatFilter f;
        QCOMPARE(f.pass({kDown}, 0).size(), 1);
        for (int round = 1; round < 37; ++round)
            QVERIFY(f.pass({kDown}, round * 5000).isEmpty());
    }

    void stopPrintsOneLineWithTheCountAndSpan()
    {
        RepeatFilter f;
        for (int round = 0; round < 37; ++round)
            f.pass({kDown}, round * 5000); // 36 intervals of 5 s: 3 min
        const auto out = f.pass({}, 37 * 5000);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out.at(0).severity, LogSeverity::Info);
        QCOMPARE(out.at(0).text, kDown.text + QStringLiteral(" (repeated 37 times over 3 min, now stopped)"));
        QVERIFY(f.pass({}, 38 * 5000).isEmpty()); // said once
        // After it stopped, the same error is news again.
        QCOMPARE(f.pass({kDown}, 39 * 5000), QList<LogEntry>{kDown});
    }

    void aSingleOccurrenceNeedsNoCount()
    {
        RepeatFilter f;
        f.pass({kDown}, 0);
        QVERIFY(f.pass({}, 5000).isEmpty());
    }

    void aChangedTextIsANewLineAndEndsTheOld()
    {
        RepeatFilter f;
        f.pass({kDown}, 0);
        f.pass({kDown}, 5000);
        const LogEntry timeout{LogSeverity::Error, QStringLiteral("cannot reach PostgreSQL: timeout expired")};
        const auto out = f.pass({timeout}, 10000);
        QCOMPARE(texts(out),
                 (QStringList{timeout.text, kDown.text + QStringLiteral(" (repeated 2 times over 5 s, now stopped)")}));
    }

    void linesAreFoldedEachOnItsOwn()
    {
        RepeatFilter f;
        QCOMPARE(f.pass({kDown, kRedis}, 0).size(), 2);
        QVERIFY(f.pass({kRedis, kDown}, 5000).isEmpty()); // order within a round does not matter
        const auto out = f.pass({kRedis}, 10000);
        QCOMPARE(texts(out), QStringList{kDown.text + QStringLiteral(" (repeated 2 times over 5 s, now stopped)")});
        QVERIFY(f.pass({kRedis}, 15000).isEmpty());
    }

    void twiceInOneRoundIsOneEvent()
    {
        RepeatFilter f;
        QCOMPARE(f.pass({kDown, kDown}, 0).size(), 1);
        const auto out = f.pass({}, 5000);
        QVERIFY(out.isEmpty()); // one occurrence, not two
    }

    void aLongRepetitionIsRecalledOncePerReminderPeriod()
    {
        RepeatFilter f(60 * 60 * 1000);
        QList<LogEntry> printed;
        const int rounds = 2 * 720 + 1; // every 5 s for 2 h
        for (int round = 0; round < rounds; ++round)
            printed += f.pass({kDown}, qint64(round) * 5000);
        QCOMPARE(texts(printed),
                 (QStringList{kDown.text, kDown.text + QStringLiteral(" (repeated 721 times over 60 min so far)"),
                              kDown.text + QStringLiteral(" (repeated 1441 times over 2 h 0 min so far)")}));
        QCOMPARE(printed.at(1).severity, LogSeverity::Error); // a reminder keeps the event's severity
    }

    void flushReportsWhatIsStillRepeating()
    {
        RepeatFilter f;
        f.pass({kDown, kStandby}, 0);
        f.pass({kDown, kStandby}, 5000);
        f.pass({kDown, kStandby}, 10000);
        const auto out = f.flush(); // the steady information needs no count
        QCOMPARE(texts(out),
                 QStringList{kDown.text + QStringLiteral(" (repeated 3 times over 10 s, until this stop)")});
        QVERIFY(f.flush().isEmpty());
    }

    void spans()
    {
        QCOMPARE(RepeatFilter::span(0), QStringLiteral("0 s"));
        QCOMPARE(RepeatFilter::span(45'400), QStringLiteral("45 s"));
        QCOMPARE(RepeatFilter::span(119'000), QStringLiteral("119 s"));
        QCOMPARE(RepeatFilter::span(180'000), QStringLiteral("3 min"));
        QCOMPARE(RepeatFilter::span(7'500'000), QStringLiteral("2 h 5 min"));
    }
};

QTEST_GUILESS_MAIN(TestRepeatFilter)
#include "test_repeat_filter.moc"
