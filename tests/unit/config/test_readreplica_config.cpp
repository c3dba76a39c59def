#include "core/config/ReadReplica.h"
#include "core/config/Settings.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;

// The read replica's configuration: the URL and max lag are checked (a clear error, nothing kept), a profile
// with one saves and loads it without any password, and without one nothing differs from before.
class TestReadReplicaConfig final : public QObject
{
    Q_OBJECT

    static ConnectionProfile profile()
    {
        ConnectionProfile p;
        p.name = QStringLiteral("prod");
        p.pg.host = QStringLiteral("db.internal");
        p.pg.user = QStringLiteral("viewer");
        p.pg.password = QStringLiteral("pg-S3CRET");
        return p;
    }

private Q_SLOTS:
    void noUrlIsNoReplica()
    {
        const auto r = ReadReplica::fromUrl(QStringLiteral("  "));
        QVERIFY(r.ok());
        QVERIFY(!r->endpoint);
        QCOMPARE(r->maxLagSeconds, ReadReplica::kDefaultMaxLagSeconds);
        QCOMPARE(ConnectionProfile{}.pgRead.endpoint.has_value(), false);
    }

    void badInputIsRefusedWithItsReason()
    {
        const auto notUrl = ReadReplica::fromUrl(QStringLiteral("standby:5432"));
        QVERIFY(!notUrl.ok());
        QVERIFY2(notUrl.errorMessage().startsWith(QStringLiteral("Read replica: Not a PostgreSQL URL")),
                 qPrintable(notUrl.errorMessage()));
        const auto noLag = ReadReplica::fromUrl(QStringLiteral("postgresql://standby/mldeck"), 0);
        QVERIFY(!noLag.ok());
        QVERIFY(noLag.errorMessage().contains(QStringLiteral("at least 1 s")));

        qputenv("MLDECK_PG_READ_URL", "postgresql://standby:5433/mldeck");
        qputenv("MLDECK_PG_READ_MAX_LAG", "soon");
        const auto badEnv = ReadReplica::fromEnvironment();
        QVERIFY(!badEnv.ok());
        QVERIFY(badEnv.errorMessage().startsWith(QStringLiteral("MLDECK_PG_READ_MAX_LAG")));
        qputenv("MLDECK_PG_READ_MAX_LAG", "12");
        const auto env = ReadReplica::fromEnvironment();
        QVERIFY2(env.ok(), qPrintable(env.errorMessage()));
        QCOMPARE(env->endpoint->port, 5433);
        QCOMPARE(env->maxLagSeconds, 12);
        qputenv("MLDECK_PG_READ_URL", "mysql://standby");
        QVERIFY(ReadReplica::fromEnvironment().errorMessage().startsWith(QStringLiteral("MLDECK_PG_READ_URL: ")));
        qunsetenv("MLDECK_PG_READ_URL");
        qunsetenv("MLDECK_PG_READ_MAX_LAG");
        QVERIFY(!ReadReplica::fromEnvironment()->endpoint);

        ConnectionProfile p = profile();
        p.pgRead = *ReadReplica::fromUrl(QStringLiteral("postgresql://standby/mldeck"));
        QVERIFY(p.validate().ok());
        p.pgRead.endpoint->sslMode = QStringLiteral("sometimes");
        QVERIFY(p.validate().errorMessage().startsWith(QStringLiteral("Read replica sslmode")));
        p.pgRead.endpoint->sslMode = QStringLiteral("prefer");
        p.pgRead.endpoint->port = 70000;
        QVERIFY(p.validate().errorMessage().startsWith(QStringLiteral("Read replica port")));
        p.pgRead.endpoint->port = 5432;
        p.pgRead.maxLagSeconds = 0;
        QVERIFY(!p.validate().ok());
    }

    void savedWithoutPasswordAndLoadedBack()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("mldeck.ini"));
        {
            Settings settings(path);
            ConnectionProfile p = profile();
            p.pgRead =
                *ReadReplica::fromUrl(QStringLiteral("postgresql://viewer:typed-S3CRET@standby:5433/mldeck"), 45);
            QVERIFY(settings.saveProfile(p).ok());
            ConnectionProfile plain = profile();
            plain.name = QStringLiteral("plain");
            QVERIFY(settings.saveProfile(plain).ok());
            QVERIFY(settings.sync().ok());
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray raw = f.readAll();
        QVERIFY(!raw.contains("S3CRET"));
        Settings settings(path);
        const auto loaded = settings.profile(QStringLiteral("prod"));
        QVERIFY(loaded && loaded->pgRead.endpoint);
        QCOMPARE(loaded->pgRead.endpoint->host, QStringLiteral("standby"));
        QCOMPARE(loaded->pgRead.endpoint->port, 5433);
        QCOMPARE(loaded->pgRead.endpoint->user, QStringLiteral("viewer"));
        QVERIFY(loaded->pgRead.endpoint->password.isEmpty());
        QCOMPARE(loaded->pgRead.maxLagSeconds, 45);
        const auto plain = settings.profile(QStringLiteral("plain"));
        QVERIFY(plain && !plain->pgRead.endpoint);
        QCOMPARE(plain->pgRead.maxLagSeconds, ReadReplica::kDefaultMaxLagSeconds);
    }
};

QTEST_GUILESS_MAIN(TestReadReplicaConfig)
#include "test_readreplica_config.moc"
