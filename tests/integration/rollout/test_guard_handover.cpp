// Two real `mldeckctl guard` processes on the test servers: SIGTERM to the leader makes it
// release the leadership at once and exit 0, and the other guard leads within 2 s although its
// round interval is 5 s; a leader killed outright is replaced as fast (the server frees the lock).
#include "tests/integration/rollout/RolloutFixture.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QtTest>

#include <memory>

#include <csignal>

using namespace mldeck;

namespace {

constexpr int kHandoverLimitMs = 2000;

// One guard process and everything it printed so far.
struct Guard
{
    std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
    QByteArray output;

    void start(const test::RolloutFixture &f)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
        env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_AUDIT_SPOOL_DIR"), f.spool());
        env.remove(QStringLiteral("JOURNAL_STREAM"));
        process->setProcessEnvironment(env);
        process->setProcessChannelMode(QProcess::MergedChannels);
        process->start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                       {QStringLiteral("guard"), QStringLiteral("--deployment"), f.deployment,
                        QStringLiteral("--scope"), f.deployment, QStringLiteral("--interval"), QStringLiteral("5s")});
    }
    void read()
    {
        process->waitForReadyRead(20);
        output += process->readAll();
    }
    // Waits until the output holds text; false after timeoutMs.
    bool waitFor(const char *text, int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!output.contains(text) && !deadline.hasExpired() && process->state() != QProcess::NotRunning)
            read();
        read();
        return output.contains(text);
    }
    ~Guard()
    {
        if (process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
};

// The backend holding this scope's advisory lock in the scratch database, 0 when nobody holds it.
int lockHolder(const test::RolloutFixture &f)
{
    auto r =
        test::query(*f.pg,
                    QStringLiteral("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                   "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                                   "AND objid = (hashtext($1)::bigint & 4294967295)::oid AND objsubid = 2"),
                    {f.deployment});
    return r && r->size() > 0 ? r->value(0).value(0).toInt() : 0;
}

// Waits until somebody other than `previous` holds the lock; returns the new holder, 0 on timeout.
int waitForNewHolder(const test::RolloutFixture &f, int previous, int timeoutMs)
{
    int holder = 0;
    const bool moved = QTest::qWaitFor(
        [&] {
            holder = lockHolder(f);
            return holder != 0 && holder != previous;
        },
        timeoutMs);
    return moved ? holder : 0;
}

const char kLeading[] = "leading: this guard is now the leader";
const char kStandingBy[] = "standing by: another guard is the leader";

} // namespace

class TestGuardHandover : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void sigtermHandsLeadershipOverAtOnce()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 20), qPrintable(why));

        Guard a;
        a.start(f);
        QVERIFY2(a.waitFor(kLeading, 30000), a.output.constData());
        const int holderA = lockHolder(f);
        QVERIFY(holderA > 0);
        Guard b;
        b.start(f);
        QVERIFY2(b.waitFor(kStandingBy, 30000), b.output.constData());
        QCOMPARE(lockHolder(f), holderA); // still A's: B only stands by

        QElapsedTimer handover;
        qint64 exitMs = -1;
        connect(a.process.get(), &QProcess::finished, this, [&] { exitMs = handover.elapsed(); });
        handover.start();
        a.process->terminate(); // SIGTERM
        const int holderB = waitForNewHolder(f, holderA, 10000);
        const qint64 lockMs = handover.elapsed();
        QVERIFY2(holderB > 0, "no guard took the lock over within 10 s");
        QVERIFY2(b.waitFor(kLeading, 10000), b.output.constData());
        const qint64 leadingMs = handover.elapsed();
        if (a.process->state() != QProcess::NotRunning)
            QVERIFY2(a.process->waitForFinished(5000), "the stopped guard still runs 5 s later");
        QVERIFY(exitMs >= 0);
        a.read();
        qInfo("SIGTERM to the leader: lock taken over by the other guard after %lld ms, its first round as "
              "leader "
              "reported after %lld ms; the stopped guard exited after %lld ms",
              lockMs, leadingMs, exitMs);
        QCOMPARE(a.process->exitStatus(), QProcess::NormalExit);
        QCOMPARE(a.process->exitCode(), 0);
        QVERIFY2(a.output.contains("guard stopped (SIGTERM): leadership of scope"), a.output.constData());
        QVERIFY2(lockMs < kHandoverLimitMs, qPrintable(QStringLiteral("handover took %1 ms").arg(lockMs)));
        QVERIFY2(exitMs < 5000, qPrintable(QStringLiteral("the stopped guard took %1 ms to exit").arg(exitMs)));
        // The standby's line was printed once, not once per round (a count may follow it).
        int plain = 0;
        for (const QByteArray &line : b.output.split('\n'))
            plain += line.endsWith(kStandingBy) ? 1 : 0;
        QCOMPARE(plain, 1);
    }

    void aKilledLeaderIsReplacedAsFast()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 20), qPrintable(why));
        Guard a;
        a.start(f);
        QVERIFY2(a.waitFor(kLeading, 30000), a.output.constData());
        const int holderA = lockHolder(f);
        Guard b;
        b.start(f);
        QVERIFY2(b.waitFor(kStandingBy, 30000), b.output.constData());

        QElapsedTimer handover;
        handover.start();
        a.process->kill(); // SIGKILL: no release; the server frees the lock when the session ends
        const int holderB = waitForNewHolder(f, holderA, 10000);
        const qint64 lockMs = handover.elapsed();
        QVERIFY2(holderB > 0, "no guard took the lock over within 10 s");
        qInfo("SIGKILL to the leader: lock taken over after %lld ms", lockMs);
        QVERIFY2(lockMs < kHandoverLimitMs, qPrintable(QStringLiteral("handover took %1 ms").arg(lockMs)));
        QVERIFY2(b.waitFor(kLeading, 10000), b.output.constData());
    }
};

QTEST_GUILESS_MAIN(TestGuardHandover)
#include "test_guard_handover.moc"
#include "tests/support/PgSql.h"
