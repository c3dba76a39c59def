#include "core/services/ConnectionMonitor.h"
#include "tests/integration/services/FreePort.h"
#include "tests/support/TestServers.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace mldeck;
using State = Health::State;

namespace {

// Measures the longest pause of the event loop: a 10 ms timer that records the biggest gap.
class LoopGapMeter final
{
public:
    LoopGapMeter()
    {
        m_timer.setInterval(10);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            m_maxGapMs = std::max(m_maxGapMs, m_clock.restart());
            ++m_ticks;
        });
        m_clock.start();
        m_timer.start();
    }
    qint64 maxGapMs() const { return m_maxGapMs; }
    int ticks() const { return m_ticks; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_maxGapMs = 0;
    int m_ticks = 0;
};

// A redis-server of our own, so that the test may kill it without hurting anyone else.
class PrivateRedis final
{
public:
    explicit PrivateRedis(quint16 port) : m_port(port) {}
    ~PrivateRedis() { stop(); }
    bool start()
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProgram(QStringLiteral("redis-server"));
        m_process->setArguments({QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                                 QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                                 QStringLiteral("--appendonly"), QStringLiteral("no")});
        m_process->start();
        if (!m_process->waitForStarted(5000))
            return false;
        // Ready when it accepts a connection.
        return QTest::qWaitFor(
            [this] {
                QTcpSocket s;
                s.connectToHost(QHostAddress::LocalHost, m_port);
                return s.waitForConnected(100);
            },
            15000);
    }
    void stop()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill(); // SIGKILL: a crash, not a polite shutdown
            m_process->waitForFinished(5000);
        }
    }

private:
    quint16 m_port;
    std::unique_ptr<QProcess> m_process;
};

RedisEndpoint redisAt(quint16 port)
{
    RedisEndpoint e;
    e.host = QStringLiteral("127.0.0.1");
    e.port = port;
    return e;
}

} // namespace

class TestConnectionMonitor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void reportsUpForBoth()
    {
        ConnectionMonitor monitor;
        QSignalSpy redisSpy(&monitor, &ConnectionMonitor::redisHealthChanged);
        QSignalSpy pgSpy(&monitor, &ConnectionMonitor::pgHealthChanged);
        monitor.setEndpoints(test::TestServers::redis(), test::TestServers::pg());
        // Probing never happens on this thread: right after the call both are still connecting.
        QCOMPARE(monitor.redisHealth().state, State::Connecting);
        QCOMPARE(monitor.pgHealth().state, State::Connecting);

        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Up, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.pgHealth().state, State::Up, 5000);
        QVERIFY2(monitor.redisHealth().detail.contains(QStringLiteral("ms")), qPrintable(monitor.redisHealth().detail));
        QVERIFY2(monitor.pgHealth().detail.contains(QStringLiteral("schema")), qPrintable(monitor.pgHealth().detail));
        QVERIFY(monitor.pgHealth().since.isValid());
        QVERIFY(!redisSpy.isEmpty());
        QCOMPARE(redisSpy.last().at(0).value<Health>().state, State::Up);
        QCOMPARE(pgSpy.last().at(0).value<Health>().state, State::Up);
        qInfo("redis: %s | postgresql: %s", qPrintable(monitor.redisHealth().detail),
              qPrintable(monitor.pgHealth().detail));

        // Keeps probing while up (every ~2 s): the latency in the detail is refreshed.
        const int before = int(redisSpy.size());
        QTRY_VERIFY_WITH_TIMEOUT(redisSpy.size() > before || monitor.redisHealth().state == State::Up, 5000);
    }

    void unreachableAtOnceIsDownWithBackoff()
    {
        const quint16 closed = freeLoopbackPort();
        QVERIFY(closed != 0);
        PgEndpoint pg = test::TestServers::pg();
        pg.port = freeLoopbackPort();
        ConnectionMonitor monitor;
        monitor.setEndpoints(redisAt(closed), pg);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Down, 3000);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.pgHealth().state, State::Down, 3000);
        QVERIFY(!monitor.redisHealth().detail.isEmpty());
        QVERIFY(!monitor.pgHealth().detail.isEmpty());
        QCOMPARE(monitor.redisHealth().nextRetrySeconds, 1);
        qInfo("closed redis: %s | closed pg: %s", qPrintable(monitor.redisHealth().detail),
              qPrintable(monitor.pgHealth().detail));
        // Backoff grows: 1 → 2 → 4 s.
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().nextRetrySeconds, 2, 3000);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().nextRetrySeconds, 4, 5000);
        QVERIFY(monitor.redisHealth().nextRetryAt > QDateTime::currentDateTimeUtc().addMSecs(-100));
    }

    void privateRedisKilledThenRestarted()
    {
        const quint16 port = freeLoopbackPort();
        QVERIFY(port != 0);
        PrivateRedis redis(port);
        QVERIFY(redis.start());

        ConnectionMonitor monitor;
        monitor.setEndpoints(redisAt(port), test::TestServers::pg());
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Up, 5000);

        QElapsedTimer clock;
        clock.start();
        redis.stop();
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Down, 5000);
        const qint64 downAfter = clock.elapsed();
        QVERIFY(monitor.redisHealth().nextRetrySeconds >= 1);
        QVERIFY(!monitor.redisHealth().detail.isEmpty());
        QCOMPARE(monitor.pgHealth().state, State::Up); // one server down does not drag the other

        // A few failed retries, so the backoff has grown.
        QTRY_VERIFY_WITH_TIMEOUT(monitor.redisHealth().nextRetrySeconds >= 2, 15000);
        const int backoffAtRestart = monitor.redisHealth().nextRetrySeconds;
        QVERIFY2(backoffAtRestart >= 2, QByteArray::number(backoffAtRestart));
        clock.restart();
        QVERIFY(redis.start());
        // Up again within the current backoff step (plus the probe itself).
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Up, (backoffAtRestart + 2) * 1000);
        const qint64 upAfter = clock.elapsed();
        QCOMPARE(monitor.redisHealth().nextRetrySeconds, 0);
        qInfo("redis killed -> Down after %lld ms; restarted -> Up after %lld ms (backoff step %d s)", downAfter,
              upAfter, backoffAtRestart);
    }

    // SIGSTOP on the postmaster: connections are accepted by the kernel but nobody answers.
    void frozenPostgresIsDownAndUiNeverWaits()
    {
        const pid_t pid = test::TestServers::pgPid();
        QVERIFY2(pid > 0, "MLDECK_TEST_PG_PID is not set");

        ConnectionMonitor monitor;
        monitor.setEndpoints(test::TestServers::redis(), test::TestServers::pg());
        QTRY_COMPARE_WITH_TIMEOUT(monitor.pgHealth().state, State::Up, 5000);

        LoopGapMeter meter;
        QElapsedTimer clock;
        clock.start();
        qint64 downAfter = -1;
        qint64 destroyMs = -1;
        {
            test::ProcessFreezer freezer(pid);
            QTRY_VERIFY_WITH_TIMEOUT(monitor.pgHealth().state == State::Down, 5000);
            downAfter = clock.elapsed();
            QVERIFY2(monitor.pgHealth().detail.contains(QStringLiteral("not responding")),
                     qPrintable(monitor.pgHealth().detail));
            QCOMPARE(monitor.redisHealth().state, State::Up);

            // A monitor whose probe is hung must still be destroyed at once.
            auto hung = std::make_unique<ConnectionMonitor>();
            hung->setEndpoints(test::TestServers::redis(), test::TestServers::pg());
            QCOMPARE(hung->pgHealth().state, State::Connecting); // its probe is in flight, and cannot end
            QElapsedTimer destroyClock;
            destroyClock.start();
            hung.reset();
            destroyMs = destroyClock.elapsed();

            // Stay frozen a while: several probes hang and are abandoned (the backoff reaches its third
            // step, 4 s), and the loop keeps answering.
            QTRY_VERIFY_WITH_TIMEOUT(monitor.pgHealth().nextRetrySeconds >= 4, 60000);
            QCOMPARE(monitor.pgHealth().state, State::Down);
            QVERIFY(monitor.pgHealth().nextRetrySeconds >= 1);
        }
        clock.restart();
        QTRY_COMPARE_WITH_TIMEOUT(monitor.pgHealth().state, State::Up, 35000);
        const qint64 upAfter = clock.elapsed();
        const int ticksAtUp = meter.ticks();
        QTRY_VERIFY_WITH_TIMEOUT(meter.ticks() >= ticksAtUp + 50, 10000); // the loop, measured a while past Up

        qInfo("pg frozen -> Down after %lld ms; hung monitor destroyed in %lld ms; thawed -> Up after %lld ms; "
              "max event-loop gap %lld ms over %d ticks",
              downAfter, destroyMs, upAfter, meter.maxGapMs(), meter.ticks());
        QVERIFY2(destroyMs < 500, QByteArray::number(destroyMs));
        QVERIFY(meter.ticks() > 500);
        QVERIFY2(meter.maxGapMs() < 50, QByteArray::number(meter.maxGapMs()));
    }

    void setEndpointsAgainSwitchesTargets()
    {
        ConnectionMonitor monitor;
        monitor.setEndpoints(redisAt(freeLoopbackPort()), test::TestServers::pg());
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Down, 3000);
        monitor.setEndpoints(test::TestServers::redis(), test::TestServers::pg());
        QCOMPARE(monitor.redisHealth().state, State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.redisHealth().state, State::Up, 5000);
    }
};

QTEST_GUILESS_MAIN(TestConnectionMonitor)
#include "test_connectionmonitor.moc"
