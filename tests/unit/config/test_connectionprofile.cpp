#include "core/config/ConnectionProfile.h"

#include <QtTest>

using namespace mldeck;

class TestConnectionProfile final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsWithNameAreValid()
    {
        ConnectionProfile p;
        p.name = QStringLiteral("local");
        const Status st = p.validate();
        QVERIFY2(st.ok(), qPrintable(st.errorMessage()));
    }

    void rejects_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("name with surrounding spaces") << 0;
        QTest::newRow("name too long") << 1;
        QTest::newRow("negative redis db") << 2;
        QTest::newRow("redis host with @") << 3;
        QTest::newRow("negative pg port") << 4;
        QTest::newRow("name with a newline") << 5;
    }
    void rejects()
    {
        QFETCH(int, which);
        ConnectionProfile p;
        p.name = QStringLiteral("ok");
        switch (which) {
        case 0:
            p.name = QStringLiteral(" prod ");
            break;
        case 1:
            p.name = QString(65, QLatin1Char('x'));
            break;
        case 2:
            p.redis.db = -1;
            break;
        case 3:
            p.redis.host = QStringLiteral("user@host");
            break;
        case 4:
            p.pg.port = -1;
            break;
        case 5:
            p.name = QStringLiteral("a\nb");
            break;
        }
        const Status st = p.validate();
        QVERIFY(!st.ok());
        QVERIFY(!st.errorMessage().isEmpty());
    }

    void secretAccountsDifferPerServerAndProfile()
    {
        ConnectionProfile a;
        a.name = QStringLiteral("a");
        ConnectionProfile b;
        b.name = QStringLiteral("b");
        QVERIFY(a.redisSecretAccount() != a.pgSecretAccount());
        QVERIFY(a.redisSecretAccount() != b.redisSecretAccount());
        QVERIFY(a.pgSecretAccount().contains(QStringLiteral("a")));
    }

    // A password with a space or an '@' (percent-encoded in the URL) survives toUrl() and back.
    void urlsWithEncodedPasswordsReadBack()
    {
        const auto pg =
            PgEndpoint::fromUrl(QStringLiteral("postgresql://ops:p%20w%40rd@db:5433/mldeck?sslmode=require"));
        QVERIFY2(pg.ok(), qPrintable(pg.errorMessage()));
        QCOMPARE(pg->password, QStringLiteral("p w@rd"));
        const auto pgAgain = PgEndpoint::fromUrl(pg->toUrl(true));
        QVERIFY2(pgAgain.ok(), qPrintable(pgAgain.errorMessage()));
        QCOMPARE(pgAgain->password, pg->password);
        const auto redis = RedisEndpoint::fromUrl(QStringLiteral("redis://:a%20b@cache:6380/2"));
        QVERIFY2(redis.ok(), qPrintable(redis.errorMessage()));
        const auto redisAgain = RedisEndpoint::fromUrl(redis->toUrl(true));
        QVERIFY2(redisAgain.ok(), qPrintable(redisAgain.errorMessage()));
        QCOMPARE(redisAgain->password, QStringLiteral("a b"));
        QCOMPARE(redisAgain->db, 2);
    }

    // Errors show the URL without its password: they reach logs and screens.
    void urlErrorsMaskThePassword()
    {
        const auto pg = PgEndpoint::fromUrl(QStringLiteral("postgresql://ops:hunter2@db:99999/mldeck"));
        QVERIFY(!pg.ok());
        QVERIFY2(!pg.errorMessage().contains(QStringLiteral("hunter2")), qPrintable(pg.errorMessage()));
        QVERIFY2(pg.errorMessage().contains(QStringLiteral("postgresql://ops:***@db:99999/mldeck")),
                 qPrintable(pg.errorMessage()));
        const auto redis = RedisEndpoint::fromUrl(QStringLiteral("redis://:hunter2 x@cache:6379"));
        QVERIFY(!redis.ok());
        QVERIFY2(!redis.errorMessage().contains(QStringLiteral("hunter2")), qPrintable(redis.errorMessage()));
        // A typed password with an unencoded '@': hidden up to the authority's last '@'.
        const auto at = PgEndpoint::fromUrl(QStringLiteral("postgresql://ops:hun@ter2@db:99999/mldeck"));
        QVERIFY(!at.ok());
        QVERIFY2(!at.errorMessage().contains(QStringLiteral("hun")) &&
                     !at.errorMessage().contains(QStringLiteral("ter2")),
                 qPrintable(at.errorMessage()));
        QVERIFY2(at.errorMessage().contains(QStringLiteral("ops:***@db")), qPrintable(at.errorMessage()));
    }

    // libpq would take password= from the query, MLDeck would not: refused, and the message masks it.
    void passwordInTheQueryIsRefused()
    {
        const auto pg =
            PgEndpoint::fromUrl(QStringLiteral("postgresql://ops@db:5432/mldeck?sslmode=require&password=hunter2"));
        QVERIFY(!pg.ok());
        QVERIFY2(pg.errorMessage().contains(QStringLiteral("password=***")), qPrintable(pg.errorMessage()));
        QVERIFY2(!pg.errorMessage().contains(QStringLiteral("hunter2")), qPrintable(pg.errorMessage()));
        QVERIFY(PgEndpoint::fromUrl(QStringLiteral("postgresql://ops@db:5432/mldeck?sslmode=require")).ok());
    }

    // The CA file travels in the URL's query (a file name with '&', '=' or a space included) and reaches libpq.
    void caFileInUrlAndConnInfo()
    {
        const auto pg = PgEndpoint::fromUrl(QStringLiteral(
            "postgresql://ops@db:5433/mldeck?sslmode=verify-full&sslrootcert=/etc/ca%20dir/a%26b%3D.crt"));
        QVERIFY2(pg.ok(), qPrintable(pg.errorMessage()));
        QCOMPARE(pg->sslMode, QStringLiteral("verify-full"));
        QCOMPARE(pg->sslRootCert, QStringLiteral("/etc/ca dir/a&b=.crt"));
        const auto again = PgEndpoint::fromUrl(pg->toUrl());
        QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
        QCOMPARE(again->sslRootCert, pg->sslRootCert);
        QCOMPARE(again->sslMode, pg->sslMode);
        QVERIFY2(pg->toConnInfo().contains(QStringLiteral(" sslrootcert='/etc/ca dir/a&b=.crt'")),
                 qPrintable(pg->toConnInfo()));
        QVERIFY(!PgEndpoint().toConnInfo().contains(QStringLiteral("sslrootcert")));
    }

    void caFileIsCheckedBeforeConnecting()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        PgEndpoint e;
        e.sslMode = QStringLiteral("verify-full");
        e.sslRootCert = dir.filePath(QStringLiteral("missing.crt"));
        Status st = e.checkTlsFiles();
        QVERIFY(!st.ok());
        QVERIFY2(st.errorMessage().contains(QStringLiteral("does not exist")), qPrintable(st.errorMessage()));

        e.sslRootCert = dir.path(); // a directory
        st = e.checkTlsFiles();
        QVERIFY2(st.errorMessage().contains(QStringLiteral("not a readable file")), qPrintable(st.errorMessage()));

        QFile ca(dir.filePath(QStringLiteral("ca.crt")));
        QVERIFY(ca.open(QIODevice::WriteOnly));
        ca.write("-----BEGIN CERTIFICATE-----\n");
        ca.close();
        e.sslRootCert = ca.fileName();
        QVERIFY2(e.checkTlsFiles().ok(), qPrintable(e.checkTlsFiles().errorMessage()));

        // verify-full without a CA file: refused unless libpq's default one exists.
        qputenv("HOME", dir.path().toUtf8());
        qunsetenv("PGSSLROOTCERT");
        e.sslRootCert.clear();
        st = e.checkTlsFiles();
        QVERIFY(!st.ok());
        QVERIFY2(st.errorMessage().contains(dir.filePath(QStringLiteral(".postgresql/root.crt"))),
                 qPrintable(st.errorMessage()));
        e.sslMode = QStringLiteral("prefer");
        QVERIFY(e.checkTlsFiles().ok());

        ConnectionProfile p;
        p.name = QStringLiteral("tls");
        p.pg.sslRootCert = QStringLiteral("relative/ca.crt");
        QVERIFY(!p.validate().ok());
        QVERIFY2(p.validate().errorMessage().contains(QStringLiteral("full path")),
                 qPrintable(p.validate().errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestConnectionProfile)
#include "test_connectionprofile.moc"
