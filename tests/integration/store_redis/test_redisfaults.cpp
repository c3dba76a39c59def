// Faults: a frozen Redis makes every call time out readably within the timeout; wrong port and
// wrong password give readable errors. Each test runs its own redis-server to freeze or protect.
#include "PrivateRedis.h"

#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestServers.h"

#include <QElapsedTimer>
#include <QtTest>

using namespace mldeck;

class TestRedisFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void frozenRedisTimesOut()
    {
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({}, &why), qPrintable(why));
        RedisEndpoint e = server.endpoint();
        e.timeoutMs = 400;
        auto opened = RedisConnection::open(e);
        QVERIFY2(opened, qPrintable(opened.errorMessage()));
        std::unique_ptr<RedisConnection> conn = std::move(opened).value();
        FlagStore store(*conn);
        QVERIFY(store.initialiseIfMissing(QStringLiteral("eta"), FlagChange{true, 10, true, QStringLiteral("t@test")}));

        test::ProcessFreezer freezer(pid_t(server.pid()));
        QElapsedTimer t;
        t.start();
        auto w = store.write(QStringLiteral("eta"), FlagChange{true, 20, {}, QStringLiteral("t@test")}, 1);
        const qint64 elapsed = t.elapsed();
        QVERIFY(!w);
        QVERIFY2(w.errorMessage().contains(QLatin1String("did not answer")), qPrintable(w.errorMessage()));
        QVERIFY2(w.errorMessage().contains(QLatin1String("400 ms")), qPrintable(w.errorMessage()));
        qInfo("frozen Redis: write failed after %lld ms (timeout 400 ms): %s", elapsed, qPrintable(w.errorMessage()));
        QVERIFY(elapsed >= 350 && elapsed < 1200);
        QVERIFY(conn->isBroken());
        t.restart();
        QVERIFY(!conn->ping()); // a broken connection fails at once
        QVERIFY(t.elapsed() < 100);

        // Connecting to a frozen server fails within the timeout too (the kernel accepts the TCP
        // connection; the server never answers).
        t.restart();
        auto second = RedisConnection::open(e);
        QVERIFY(!second);
        QVERIFY2(t.elapsed() < 1200, qPrintable(QString::number(t.elapsed())));
        QVERIFY2(second.errorMessage().contains(QLatin1String("did not answer")), qPrintable(second.errorMessage()));

        freezer.thaw();
        auto third = RedisConnection::open(e);
        QVERIFY2(third, qPrintable(third.errorMessage()));
        // Whether the timed-out write was applied is unknown to the client; the CAS version tells.
        auto s = FlagStore(**third).read(QStringLiteral("eta"));
        QVERIFY(s && s->isValid());
        QVERIFY(s->version == 1 || (s->version == 2 && s->trafficPercentage == 20));
    }

    void wrongPortIsReadable()
    {
        RedisEndpoint e;
        e.host = QStringLiteral("127.0.0.1");
        e.port = test::PrivateRedis::freePort();
        QElapsedTimer t;
        t.start();
        auto c = RedisConnection::open(e);
        QVERIFY(!c);
        QVERIFY2(
            c.errorMessage().contains(QLatin1String("Cannot connect to Redis at 127.0.0.1:") + QString::number(e.port)),
            qPrintable(c.errorMessage()));
        QVERIFY2(c.errorMessage().contains(QLatin1String("refused")), qPrintable(c.errorMessage()));
        QVERIFY(t.elapsed() < 1000);
    }

    void wrongPasswordIsReadable()
    {
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({QStringLiteral("--requirepass"), QStringLiteral("s3cret")}, &why), qPrintable(why));
        RedisEndpoint e = server.endpoint();

        auto none = RedisConnection::open(e);
        QVERIFY(!none);
        QVERIFY2(none.errorMessage().contains(QLatin1String("requires a password")), qPrintable(none.errorMessage()));

        e.password = QStringLiteral("wrong");
        auto wrong = RedisConnection::open(e);
        QVERIFY(!wrong);
        QVERIFY2(wrong.errorMessage().contains(QLatin1String("rejected")), qPrintable(wrong.errorMessage()));
        QVERIFY2(!wrong.errorMessage().contains(QLatin1String("wrong")), "the password must never appear in a message");
        qInfo("no password: %s", qPrintable(none.errorMessage()));
        qInfo("wrong password: %s", qPrintable(wrong.errorMessage()));

        e.password = QStringLiteral("s3cret");
        auto right = RedisConnection::open(e);
        QVERIFY2(right, qPrintable(right.errorMessage()));
        QVERIFY((*right)->ping());
    }

    void aclUserAndPassword()
    {
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({QStringLiteral("--user"), QStringLiteral("ops"), QStringLiteral("on"),
                               QStringLiteral(">opspw"), QStringLiteral("~mldeck:*"), QStringLiteral("&*"),
                               QStringLiteral("+@all")},
                              &why),
                 qPrintable(why));
        RedisEndpoint e = server.endpoint();
        e.user = QStringLiteral("ops");
        e.password = QStringLiteral("opspw");
        auto ok = RedisConnection::open(e);
        QVERIFY2(ok, qPrintable(ok.errorMessage()));
        QVERIFY(FlagStore(**ok).initialiseIfMissing(QStringLiteral("eta"),
                                                    FlagChange{{}, {}, {}, QStringLiteral("ops@test")}));
        e.password = QStringLiteral("nope");
        auto bad = RedisConnection::open(e);
        QVERIFY(!bad);
        QVERIFY2(bad.errorMessage().contains(QLatin1String("\"ops\"")), qPrintable(bad.errorMessage()));
    }

    void wrongDatabaseIsReadable()
    {
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({}, &why), qPrintable(why));
        RedisEndpoint e = server.endpoint();
        e.db = 999;
        auto c = RedisConnection::open(e);
        QVERIFY(!c);
        QVERIFY2(c.errorMessage().contains(QLatin1String("999")), qPrintable(c.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestRedisFaults)
#include "test_redisfaults.moc"
