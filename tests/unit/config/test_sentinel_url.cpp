// redis-sentinel:// URLs: the forms accepted, round trips, and clear errors for bad ones.
#include "core/config/ConnectionProfile.h"
#include "core/config/Endpoints.h"

#include <QtTest>

using namespace mldeck;

class TestSentinelUrl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fullFormParses()
    {
        const auto e = RedisEndpoint::fromUrl(
            QStringLiteral("redis-sentinel://ops:p%40ss@s1.example:26380,10.0.0.2,[::1]:26381/my-master?db=3"));
        QVERIFY2(e, qPrintable(e.errorMessage()));
        QVERIFY(e->isSentinel());
        QCOMPARE(e->masterName, QStringLiteral("my-master"));
        QCOMPARE(e->user, QStringLiteral("ops"));
        QCOMPARE(e->password, QStringLiteral("p@ss"));
        QCOMPARE(e->db, 3);
        QCOMPARE(e->sentinels.size(), 3);
        QCOMPARE(e->sentinels.at(0).display(), QStringLiteral("s1.example:26380"));
        QCOMPARE(e->sentinels.at(1).display(), QStringLiteral("10.0.0.2:26379")); // the default sentinel port
        QCOMPARE(e->sentinels.at(2).display(), QStringLiteral("[::1]:26381"));
        QVERIFY(e->host.isEmpty()); // not resolved yet
        QCOMPARE(e->display(), QStringLiteral("my-master via sentinels s1.example:26380,10.0.0.2:26379,[::1]:26381"));
    }

    void roundTrip_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("one sentinel") << QStringLiteral("redis-sentinel://127.0.0.1:26379/mymaster");
        QTest::newRow("password only") << QStringLiteral("redis-sentinel://:a%20b@h1:1,h2:2/m?db=2");
        QTest::newRow("user and password") << QStringLiteral("redis-sentinel://u:p@h1:26379,h2:26379/m");
    }

    void roundTrip()
    {
        QFETCH(QString, url);
        const auto e = RedisEndpoint::fromUrl(url);
        QVERIFY2(e, qPrintable(e.errorMessage()));
        QCOMPARE(e->toUrl(true), url);
        const auto again = RedisEndpoint::fromUrl(e->toUrl(true));
        QVERIFY2(again, qPrintable(again.errorMessage()));
        QCOMPARE(again->password, e->password);
        QCOMPARE(again->sentinels, e->sentinels);
        QCOMPARE(again->masterName, e->masterName);
        QCOMPARE(again->db, e->db);
        QVERIFY(!e->toUrl(false).contains(QStringLiteral(":p@"))); // no password unless asked
    }

    void badUrlsSayWhy_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("says");
        QTest::newRow("no sentinel") << QStringLiteral("redis-sentinel:///mymaster") << QStringLiteral("no sentinel");
        QTest::newRow("no master") << QStringLiteral("redis-sentinel://h1:26379") << QStringLiteral("no master name");
        QTest::newRow("empty master") << QStringLiteral("redis-sentinel://h1:26379/")
                                      << QStringLiteral("no master name");
        QTest::newRow("bad port") << QStringLiteral("redis-sentinel://h1:99999/m") << QStringLiteral("99999");
        QTest::newRow("port not a number") << QStringLiteral("redis-sentinel://h1:x/m") << QStringLiteral("\"x\"");
        QTest::newRow("empty host in list") << QStringLiteral("redis-sentinel://h1,,h2/m") << QStringLiteral("host");
        QTest::newRow("bad db") << QStringLiteral("redis-sentinel://h1/m?db=x") << QStringLiteral("database");
        QTest::newRow("unknown option") << QStringLiteral("redis-sentinel://h1/m?foo=1") << QStringLiteral("foo");
        QTest::newRow("path in master") << QStringLiteral("redis-sentinel://h1/m/x") << QStringLiteral("master name");
    }

    void badUrlsSayWhy()
    {
        QFETCH(QString, url);
        QFETCH(QString, says);
        const auto e = RedisEndpoint::fromUrl(url);
        QVERIFY(!e);
        QVERIFY2(e.errorMessage().contains(says), qPrintable(e.errorMessage()));
    }

    void passwordIsMaskedInErrors()
    {
        const auto e = RedisEndpoint::fromUrl(QStringLiteral("redis-sentinel://u:hunter2@h1:0/m"));
        QVERIFY(!e);
        QVERIFY2(!e.errorMessage().contains(QStringLiteral("hunter2")), qPrintable(e.errorMessage()));
    }

    // A GUI profile behind Sentinel is checked on its sentinels, not on a data node it does not name.
    void profileWithSentinelsValidates()
    {
        ConnectionProfile p;
        p.name = QStringLiteral("ha");
        p.redis = *RedisEndpoint::fromUrl(QStringLiteral("redis-sentinel://h1:26379,h2:26379/mymaster"));
        QVERIFY2(p.validate(), qPrintable(p.validate().errorMessage()));
        p.redis.sentinels.clear();
        QVERIFY(!p.validate());
        QVERIFY2(p.validate().errorMessage().contains(QStringLiteral("sentinel")),
                 qPrintable(p.validate().errorMessage()));
    }

    // redis:// is untouched: same fields, same URL back.
    void plainRedisUnchanged()
    {
        const auto e = RedisEndpoint::fromUrl(QStringLiteral("redis://u:p@cache:6380/2"));
        QVERIFY2(e, qPrintable(e.errorMessage()));
        QVERIFY(!e->isSentinel());
        QCOMPARE(e->display(), QStringLiteral("cache:6380"));
        QCOMPARE(e->toUrl(true), QStringLiteral("redis://u:p@cache:6380/2"));
    }
};

QTEST_GUILESS_MAIN(TestSentinelUrl)
#include "test_sentinel_url.moc"
