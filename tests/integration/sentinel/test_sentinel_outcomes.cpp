// Two outcomes of a flag change behind Sentinel, against real servers of the test's own
// (tests/support/SentinelCluster): the master has the change but the (frozen) replica did not
// acknowledge it, and a connection left on a demoted master answers READONLY and is followed.
#include "core/services/FlagService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/Sentinel.h"
#include "tests/support/PgSql.h"
#include "tests/support/SentinelCluster.h"
#include "tests/support/TestServers.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;

class TestSentinelOutcomes : public QObject
{
    Q_OBJECT

    test::SentinelCluster m_cluster;
    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_pg;
    QTemporaryDir m_spool;

    std::unique_ptr<FlagService> service() const
    {
        return std::make_unique<FlagService>(m_cluster.endpoint(), m_db->endpoint(), m_spool.path());
    }

    static std::unique_ptr<RedisConnection> openNode(const HostPort &node)
    {
        RedisEndpoint e;
        e.host = node.host;
        e.port = node.port;
        auto c = RedisConnection::open(e);
        if (!c)
            qWarning("%s", qPrintable(c.errorMessage()));
        return c ? std::move(c).value() : nullptr;
    }

    static std::optional<FlagState> readOn(const HostPort &node, const QString &deployment)
    {
        auto c = openNode(node);
        if (!c)
            return std::nullopt;
        auto s = FlagStore(*c).read(deployment);
        return s ? std::optional<FlagState>(*s) : std::nullopt;
    }

    // How many READONLY error replies the node has sent (INFO errorstats); -1 when it does not answer.
    static int readonlyReplies(const HostPort &node)
    {
        auto c = openNode(node);
        if (!c)
            return -1;
        auto r = c->command({QByteArrayLiteral("INFO"), QByteArrayLiteral("errorstats")});
        if (!r)
            return -1;
        for (const QByteArray &line : r->string.split('\n'))
            if (line.startsWith("errorstat_READONLY:count="))
                return line.trimmed().mid(25).toInt();
        return 0;
    }

    // Flags at version 1 on the master, acknowledged by the replica, and a deployment row for the audit.
    bool createDeployment(const QString &name, QString *why)
    {
        auto conn = RedisConnection::open(m_cluster.endpoint());
        if (!conn) {
            *why = conn.errorMessage();
            return false;
        }
        FlagChange init;
        init.mlEnabled = true;
        init.trafficPercentage = 10;
        init.actor = QStringLiteral("fixture@test");
        if (auto s = FlagStore(**conn).initialiseIfMissing(name, init); !s) {
            *why = s.errorMessage();
            return false;
        }
        auto acked = (*conn)->waitForReplicas(1, 5000);
        if (!acked || *acked < 1) {
            *why = QStringLiteral("the replica did not acknowledge the initial flags");
            return false;
        }
        const Status inserted =
            test::exec(*m_pg, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(name));
        if (!inserted)
            *why = inserted.errorMessage();
        return bool(inserted);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QString why;
        QVERIFY2(m_cluster.start(&why), qPrintable(why));
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("sentinel_outcomes"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(c, qPrintable(c.errorMessage()));
        m_pg = std::move(c).value();
        auto migrated = Migrator::migrate(*m_pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
    }

    // The replica is frozen, so WAIT 1 gets no acknowledgement: the change is on the master and says
    // "applied, not yet replicated" (service and CLI, which exits 0); once thawed, changes are confirmed.
    void frozenReplicaMeansNotYetReplicated()
    {
        const QString name = QStringLiteral("unreplicated");
        QString why;
        QVERIFY2(createDeployment(name, &why), qPrintable(why));
        const HostPort master = m_cluster.node(0);
        const HostPort replica = m_cluster.node(1);
        QCOMPARE(m_cluster.masterAddress()->display(), master.display());
        auto svc = service();
        FlagEdit edit;
        {
            test::ProcessFreezer frozen(pid_t(m_cluster.nodePid(1)));
            edit.trafficPercentage = 33;
            const ApplyOutcome out = svc->apply(name, edit, 1, QStringLiteral("test"), Actor::current());
            QVERIFY2(out.applied, qPrintable(out.message));
            QVERIFY2(out.notReplicated, qPrintable(out.message));
            QVERIFY2(out.message.contains(QStringLiteral("Applied on the master, not yet replicated (no replica "
                                                         "acknowledged it within 1000 ms)")),
                     qPrintable(out.message));
            auto onMaster = readOn(master, name);
            QVERIFY(onMaster);
            QCOMPARE(onMaster->trafficPercentage, 33);
            QCOMPARE(onMaster->version, 2);

            QProcess cli;
            cli.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                      {QStringLiteral("flags"), QStringLiteral("set"), QStringLiteral("--deployment"), name,
                       QStringLiteral("--percentage"), QStringLiteral("44"), QStringLiteral("--reason"),
                       QStringLiteral("test"), QStringLiteral("--redis"), m_cluster.url(), QStringLiteral("--pg"),
                       m_db->endpoint().toUrl(true)});
            QVERIFY(cli.waitForFinished(30000));
            const QString said = QString::fromUtf8(cli.readAllStandardOutput() + cli.readAllStandardError());
            QVERIFY2(cli.exitStatus() == QProcess::NormalExit && cli.exitCode() == 0, qPrintable(said));
            QVERIFY2(said.contains(QStringLiteral("Applied on the master, not yet replicated")), qPrintable(said));
            onMaster = readOn(master, name);
            QVERIFY(onMaster);
            QCOMPARE(onMaster->trafficPercentage, 44);
            QCOMPARE(onMaster->version, 3);
        } // thawed: the replica catches up
        QTRY_VERIFY_WITH_TIMEOUT(readOn(replica, name).value_or(FlagState{}).version == 3, 10000);
        edit.trafficPercentage = 55;
        const ApplyOutcome out = svc->apply(name, edit, 3, QStringLiteral("test"), Actor::current());
        QVERIFY2(out.applied && !out.notReplicated, qPrintable(out.message));
        QCOMPARE(readOn(replica, name)->trafficPercentage, 55);
    }

    // After SENTINEL FAILOVER the old master stays up as a replica. A rollback on a connection still
    // open to it gets READONLY (the node answers: its error count grows), drops that connection, goes
    // back through the sentinels and lands on the new master, confirmed, audited once.
    void readonlyOnTheOldMasterIsFollowed()
    {
        const QString name = QStringLiteral("readonly");
        QString why;
        QVERIFY2(createDeployment(name, &why), qPrintable(why));
        const HostPort oldMaster = *m_cluster.masterAddress();
        RedisEndpoint first;
        first.host = m_cluster.endpoint().sentinels.at(0).host;
        first.port = m_cluster.endpoint().sentinels.at(0).port;
        auto s = RedisConnection::open(first);
        QVERIFY2(s, qPrintable(s.errorMessage()));
        QString refused;
        bool accepted = false;
        const auto failover = [&] { // NOGOODSLAVE while the sentinels still hold an earlier freeze against it
            if (accepted)
                return true; // asked once only: QTRY evaluates the condition again at the end
            auto r = (*s)->command({"SENTINEL", "FAILOVER", "mymaster"});
            refused = r ? QString() : r.errorMessage();
            accepted = bool(r);
            return accepted;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(failover(), qPrintable(refused), 15000);
        QVERIFY2(m_cluster.waitForFailover(oldMaster, 10000), "no switchover within 10 s");
        const HostPort newMaster = *m_cluster.masterAddress();
        // Sentinel demotes the old master (and drops its clients) about 10 s after the switch.
        QVERIFY(m_cluster.waitForReplicas(newMaster, 1, 20000));
        auto held = RedisConnection::open(m_cluster.endpoint().atNode(oldMaster));
        QVERIFY2(held, qPrintable(held.errorMessage()));
        QCOMPARE(sentinel::role(**held)->value_or(QString()), QStringLiteral("slave"));
        const int readonlyBefore = readonlyReplies(oldMaster);
        QVERIFY(readonlyBefore >= 0);

        auto svc = service();
        svc->holdRedisConnection(std::move(held).value());
        const ApplyOutcome out = svc->rollback(name, QStringLiteral("switchover"), Actor::current());
        QVERIFY2(out.applied && !out.notReplicated, qPrintable(out.message));
        QCOMPARE(out.attempts, 2); // the old node refused, the new master took it
        QVERIFY2(out.message.contains(QStringLiteral("Confirmed by the master ") + newMaster.display()),
                 qPrintable(out.message));
        QCOMPARE(readonlyReplies(oldMaster), readonlyBefore + 1); // still up, and it answered READONLY
        auto onMaster = readOn(newMaster, name);
        QVERIFY(onMaster);
        QVERIFY(!onMaster->mlEnabled);
        QCOMPARE(onMaster->trafficPercentage, 0);
        QCOMPARE(test::queryValue(*m_pg, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = "
                                                        "'readonly'")),
                 QStringLiteral("1"));
    }
};

QTEST_GUILESS_MAIN(TestSentinelOutcomes)
#include "test_sentinel_outcomes.moc"
