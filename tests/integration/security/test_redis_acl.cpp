// The Redis ACL users of resources/contract/security.md, as mldeck-dev creates them: the reader
// reads flags and dependencies, follows the change channel, and is refused (NOPERM) every write,
// the rollback script included, with the flags left as they were; the writer may do all of it;
// the probe that MLDeck shows as "read-only" tells them apart.
#include "core/services/FlagService.h"
#include "core/services/RedisAccessService.h"
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/FlagSubscriber.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/integration/store_redis/PrivateRedis.h"
#include "tests/support/TestServers.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;

class TestRedisAcl : public QObject
{
    Q_OBJECT

private:
    RedisEndpoint m_readerEndpoint;
    std::unique_ptr<RedisConnection> m_writer;
    std::unique_ptr<RedisConnection> m_reader;
    QStringList m_created;

    static int canWrite(RedisConnection &conn) // 1, 0, or -1 when the probe failed
    {
        auto r = FlagStore(conn).canWrite();
        if (!r)
            qWarning("%s", qPrintable(r.errorMessage()));
        return r ? int(*r) : -1;
    }

    QString newDeployment()
    {
        const QString d = test::uniqueName(QStringLiteral("t_acl"));
        m_created.append(d);
        auto made = FlagStore(*m_writer).initialiseIfMissing(d, FlagChange{true, 30, true, QStringLiteral("acl@test")});
        if (!made)
            qWarning("%s", qPrintable(made.errorMessage()));
        return d;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        const QString readUrl = qEnvironmentVariable("MLDECK_TEST_REDIS_READ_URL");
        QVERIFY2(!readUrl.isEmpty(), "MLDECK_TEST_REDIS_READ_URL is not set: run the tests through "
                                     "packaging/local-stack/mldeck-dev, which creates the Redis reader user.");
        auto endpoint = RedisEndpoint::fromUrl(readUrl);
        QVERIFY2(endpoint, qPrintable(endpoint.errorMessage()));
        m_readerEndpoint = *endpoint;
        auto w = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(w, qPrintable(w.errorMessage()));
        m_writer = std::move(w).value();
        auto r = RedisConnection::open(m_readerEndpoint);
        QVERIFY2(r, qPrintable(r.errorMessage()));
        m_reader = std::move(r).value();
    }

    void cleanupTestCase()
    {
        if (!m_writer)
            return;
        for (const QString &d : std::as_const(m_created)) {
            (void)m_writer->command({"DEL", FlagStore::key(d)});
            (void)m_writer->command({"SREM", FlagStore::deploymentsKey(), d.toUtf8()});
        }
    }

    void readerReadsFlagsAndDependencies()
    {
        const QString d = newDeployment();
        auto state = FlagStore(*m_reader).read(d);
        QVERIFY2(state, qPrintable(state.errorMessage()));
        QVERIFY(state->exists && state->isValid());
        QCOMPARE(state->mlEnabled, true);
        QCOMPARE(state->trafficPercentage, 30);
        auto names = FlagStore(*m_reader).deployments();
        QVERIFY2(names, qPrintable(names.errorMessage()));
        QVERIFY(names->contains(d));
        auto changeId = FlagStore(*m_reader).lastChangeId(d);
        QVERIFY2(changeId, qPrintable(changeId.errorMessage()));
        auto deps = DependencyStore(*m_reader).read(d);
        QVERIFY2(deps, qPrintable(deps.errorMessage()));
        QVERIFY(deps->empty());
    }

    void readerCannotChangeAFlag()
    {
        const QString d = newDeployment();
        FlagStore reader(*m_reader);
        const FlagState before = FlagStore(*m_writer).read(d).value();

        auto write =
            reader.write(d, FlagChange{std::nullopt, 100, std::nullopt, QStringLiteral("mallory")}, before.version);
        QVERIFY(!write);
        QVERIFY2(write.errorMessage().contains(QLatin1String("NOPERM")), qPrintable(write.errorMessage()));
        QVERIFY2(write.errorMessage().contains(
                     QStringLiteral("Redis user \"%1\" may not change flags").arg(m_readerEndpoint.user)),
                 qPrintable(write.errorMessage()));

        auto rollback = reader.rollback(d, QStringLiteral("mallory"));
        QVERIFY(!rollback);
        QVERIFY2(rollback.errorMessage().contains(QLatin1String("NOPERM")), qPrintable(rollback.errorMessage()));

        // Not through MLDeck's scripts either: plain writes, EVAL_RO smuggling a write, a fake notice.
        for (const QList<QByteArray> &argv :
             {QList<QByteArray>{"HSET", FlagStore::key(d), "ml_traffic_percentage", "100"},
              QList<QByteArray>{"DEL", FlagStore::key(d)},
              QList<QByteArray>{"EVAL_RO", "return redis.call('HSET', KEYS[1], 'ml_enabled', '0')", "1",
                                FlagStore::key(d)},
              QList<QByteArray>{"PUBLISH", FlagStore::channel(), "{}"}, QList<QByteArray>{"FLUSHDB"}}) {
            auto r = m_reader->command(argv);
            QVERIFY2(!r, argv.first().constData());
        }

        const FlagState after = FlagStore(*m_writer).read(d).value();
        QCOMPARE(after.version, before.version);
        QCOMPARE(after.trafficPercentage, 30);
        QCOMPARE(after.mlEnabled, true);
        QCOMPARE(after.updatedBy, before.updatedBy);
    }

    void writerChangesAndRollsBack()
    {
        const QString d = newDeployment();
        FlagStore writer(*m_writer);
        const FlagState before = writer.read(d).value();
        auto written =
            writer.write(d, FlagChange{std::nullopt, 60, std::nullopt, QStringLiteral("alice")}, before.version);
        QVERIFY2(written, qPrintable(written.errorMessage()));
        QCOMPARE(written->trafficPercentage, 60);
        auto rolled = writer.rollback(d, QStringLiteral("alice"));
        QVERIFY2(rolled, qPrintable(rolled.errorMessage()));
        QCOMPARE(rolled->after.mlEnabled, false);
        QCOMPARE(rolled->after.trafficPercentage, 0);
    }

    void readerFollowsTheChangeChannel()
    {
        const QString d = newDeployment();
        auto subscriber = FlagSubscriber::open(m_readerEndpoint);
        QVERIFY2(subscriber, qPrintable(subscriber.errorMessage()));
        auto rolled = FlagStore(*m_writer).rollback(d, QStringLiteral("alice"));
        QVERIFY2(rolled, qPrintable(rolled.errorMessage()));
        // Other tests write beside this one: wait for this deployment's message.
        QDeadlineTimer deadline(5000);
        bool seen = false;
        while (!seen && !deadline.hasExpired()) {
            auto event = (*subscriber)->waitForChange(int(std::max<qint64>(1, deadline.remainingTime())));
            QVERIFY2(event, qPrintable(event.errorMessage()));
            seen = *event && (*event)->deployment == d && (*event)->version == rolled->after.version;
        }
        QVERIFY(seen);
        // A channel outside MLDeck's is not the reader's to follow.
        auto other = RedisConnection::open(m_readerEndpoint);
        QVERIFY2(other, qPrintable(other.errorMessage()));
        QVERIFY(!(*other)->subscribe({QByteArrayLiteral("elsewhere:changed")}));
    }

    void probeTellsReaderFromWriter()
    {
        auto writer = FlagStore(*m_writer).canWrite();
        QVERIFY2(writer, qPrintable(writer.errorMessage()));
        QCOMPARE(*writer, true);
        auto reader = FlagStore(*m_reader).canWrite();
        QVERIFY2(reader, qPrintable(reader.errorMessage()));
        QCOMPARE(*reader, false);

        QTemporaryDir spool;
        FlagService readerService(m_readerEndpoint, test::TestServers::pg(), spool.path());
        auto viaService = readerService.canWriteFlags();
        QVERIFY2(viaService, qPrintable(viaService.errorMessage()));
        QCOMPARE(*viaService, false);
        FlagService writerService(test::TestServers::redis(), test::TestServers::pg(), spool.path());
        auto viaWriter = writerService.canWriteFlags();
        QVERIFY2(viaWriter, qPrintable(viaWriter.errorMessage()));
        QCOMPARE(*viaWriter, true);
    }

    void accessServiceReportsReadOnly()
    {
        RedisAccessService service;
        service.setEndpoint(m_readerEndpoint);
        QTRY_VERIFY_WITH_TIMEOUT(service.access().known, 10000);
        QVERIFY(service.access().readOnly);
        QCOMPARE(service.access().user, m_readerEndpoint.user);
        QVERIFY(service.access().encrypted); // loopback

        QSignalSpy changed(&service, &RedisAccessService::accessChanged);
        service.setEndpoint(test::TestServers::redis());
        QTRY_VERIFY_WITH_TIMEOUT(service.access().known, 10000);
        QVERIFY(!service.access().readOnly);
        QVERIFY(changed.count() >= 2); // reset for the new endpoint, then its answer
    }

    // mldeckctl status names the Redis user and says when it is read-only (URLs in the environment).
    void statusSaysReadOnly()
    {
        for (const bool reader : {true, false}) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            const RedisEndpoint endpoint = reader ? m_readerEndpoint : test::TestServers::redis();
            env.insert(QStringLiteral("MLDECK_REDIS_URL"), endpoint.toUrl(true));
            env.insert(QStringLiteral("MLDECK_PG_URL"), test::TestServers::pg().toUrl(true));
            p.setProcessEnvironment(env);
            p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                    {QStringLiteral("status"), QStringLiteral("--json")});
            QVERIFY(p.waitForFinished(60000));
            const QJsonObject redis =
                QJsonDocument::fromJson(p.readAllStandardOutput()).object().value(QStringLiteral("redis")).toObject();
            QCOMPARE(redis.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
            QCOMPARE(redis.value(QStringLiteral("user")).toString(), endpoint.user);
            QCOMPARE(redis.value(QStringLiteral("readOnly")).toBool(true), reader);
            QCOMPARE(redis.value(QStringLiteral("encrypted")).toBool(false), true);
            QCOMPARE(redis.value(QStringLiteral("detail")).toString().contains(QStringLiteral("read-only")), reader);
        }
    }

    // The lines security.md documents are the ones mldeck-dev writes, and they do what it says:
    // a private Redis runs on exactly those lines, the optional backend user included.
    void documentedAclLines()
    {
        QFile doc(QStringLiteral(MLDECK_SOURCE_DIR "/resources/contract/security.md"));
        QVERIFY(doc.open(QIODevice::ReadOnly));
        QFile script(QStringLiteral(MLDECK_SOURCE_DIR "/packaging/local-stack/lib/servers.sh"));
        QVERIFY(script.open(QIODevice::ReadOnly));
        const QString scriptText = QString::fromUtf8(script.readAll());
        // "user NAME on >NAME_PASSWORD rules...": the rules must be mldeck-dev's, word for word.
        static const QRegularExpression line(QStringLiteral("^user (\\S+) (on|off)( >[A-Z_]+)?(.*)$"),
                                             QRegularExpression::MultilineOption);
        QStringList aclLines;
        QHash<QString, QString> passwords;
        for (auto it = line.globalMatch(QString::fromUtf8(doc.readAll())); it.hasNext();) {
            const auto m = it.next();
            const QString user = m.captured(1);
            QString text = m.captured(0);
            if (!m.captured(3).isEmpty()) {
                passwords.insert(user, test::uniqueName(QStringLiteral("pw")));
                text.replace(m.captured(3), QStringLiteral(" >") + passwords.value(user));
            }
            if (user != QLatin1String("mldeck-backend"))
                QVERIFY2(scriptText.contains(m.captured(4).trimmed()), qPrintable(user + QStringLiteral(" differs")));
            aclLines << text;
        }
        QCOMPARE(passwords.keys().size(), 3);
        QTemporaryDir dir;
        QFile acl(dir.filePath(QStringLiteral("users.acl")));
        QVERIFY(acl.open(QIODevice::WriteOnly));
        acl.write(aclLines.join(QLatin1Char('\n')).toUtf8() + '\n');
        acl.close();
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({QStringLiteral("--aclfile"), acl.fileName()}, &why), qPrintable(why));
        auto as = [&](const QString &user) {
            RedisEndpoint e = server.endpoint();
            e.user = user;
            e.password = passwords.value(user);
            return RedisConnection::open(e);
        };
        QVERIFY(!RedisConnection::open(server.endpoint())); // "default" is off: no PING without AUTH

        auto writer = as(QStringLiteral("mldeck-writer"));
        QVERIFY2(writer, qPrintable(writer.errorMessage()));
        const QString d = QStringLiteral("acl");
        QVERIFY(FlagStore(**writer).initialiseIfMissing(d, FlagChange{true, 10, true, QStringLiteral("w")}));
        QVERIFY(FlagStore(**writer).rollback(d, QStringLiteral("w")));
        QVERIFY(!(*writer)->command({"FLUSHDB"}));
        QVERIFY(!(*writer)->command({"SET", "elsewhere", "1"}));

        auto reader = as(QStringLiteral("mldeck-reader"));
        QVERIFY2(reader, qPrintable(reader.errorMessage()));
        QCOMPARE(FlagStore(**reader).read(d)->version, qint64(2));
        QCOMPARE(canWrite(**reader), 0);

        // The backend user reports dependencies and may touch nothing else.
        auto backend = as(QStringLiteral("mldeck-backend"));
        QVERIFY2(backend, qPrintable(backend.errorMessage()));
        DependencyReport report;
        report.deployment = d;
        report.name = QStringLiteral("weather");
        report.state = DependencyHealth::Up;
        report.reportedBy = QStringLiteral("backend@test");
        const Status reported = DependencyStore(**backend).report(report, 15000);
        QVERIFY2(reported, qPrintable(reported.errorMessage()));
        QCOMPARE(DependencyStore(**reader).read(d)->size(), size_t(1));
        QCOMPARE(canWrite(**backend), 0);
        auto rollback = FlagStore(**backend).rollback(d, QStringLiteral("b"));
        QVERIFY2(!rollback && rollback.errorMessage().contains(QLatin1String("NOPERM")),
                 qPrintable(rollback.errorMessage()));
        QVERIFY(!(*backend)->command({"HSET", FlagStore::key(d), "ml_enabled", "1"}));
        QCOMPARE(FlagStore(**reader).read(d)->version, qint64(2));
    }

    void loopbackHosts()
    {
        for (const char *host : {"127.0.0.1", "127.3.2.1", "localhost", "LOCALHOST", "::1", "[::1]"})
            QVERIFY2(isLoopbackRedisHost(QString::fromLatin1(host)), host);
        for (const char *host : {"10.0.0.5", "redis.example.com", "192.168.1.10", "::ffff:10.0.0.1", "0.0.0.0",
                                 "128.0.0.1", "localhost.example.com", ""})
            QVERIFY2(!isLoopbackRedisHost(QString::fromLatin1(host)), host);
        RedisAccessService service;
        RedisEndpoint remote;
        remote.host = QStringLiteral("10.255.255.1");
        remote.timeoutMs = 200;
        service.setEndpoint(remote);
        QVERIFY(!service.access().encrypted);
        QCOMPARE(service.access().user, QStringLiteral("default"));
    }
};

QTEST_GUILESS_MAIN(TestRedisAcl)
#include "test_redis_acl.moc"
