// Redis behind Sentinel, against real servers of the test's own (one master, one replica, three
// sentinels; tests/support/SentinelCluster): resolution, confirmed writes, a frozen sentinel, the status
// command, and a SIGKILLed master in the middle of a stream of flag changes and a rollback.
#include "core/services/FlagService.h"
#include "core/services/Probes.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/Sentinel.h"
#include "tests/support/PgSql.h"
#include "tests/support/SentinelCluster.h"
#include "tests/support/TestServers.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace mldeck;

namespace {

constexpr int kStreamSize = 400;

QString nodeOf(const RedisConnection &c)
{
    return HostPort{c.endpoint().host, c.endpoint().port}.display();
}

QString streamDeployment(int i)
{
    return QStringLiteral("stream-%1").arg(i);
}

// Joins a thread however the test function is left (a failed QVERIFY returns early).
struct Joiner
{
    std::atomic<bool> &stop;
    std::thread &thread;
    ~Joiner()
    {
        stop = true;
        if (thread.joinable())
            thread.join();
    }
};

} // namespace

class TestSentinel : public QObject
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

    std::unique_ptr<RedisConnection> openNode(const HostPort &node)
    {
        RedisEndpoint e;
        e.host = node.host;
        e.port = node.port;
        auto c = RedisConnection::open(e);
        if (!c)
            qWarning("%s", qPrintable(c.errorMessage()));
        return c ? std::move(c).value() : nullptr;
    }

    // Flags at version 1 on the master, acknowledged by the replica, and a deployment row for the audit.
    bool createDeployments(const QStringList &names, QString *why)
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
        QStringList values;
        for (const QString &name : names) {
            if (auto s = FlagStore(**conn).initialiseIfMissing(name, init); !s) {
                *why = s.errorMessage();
                return false;
            }
            values << QStringLiteral("('%1')").arg(name);
        }
        auto acked = (*conn)->waitForReplicas(1, 5000);
        if (!acked || *acked < 1) {
            *why = QStringLiteral("the replica did not acknowledge the initial flags");
            return false;
        }
        const Status inserted =
            test::exec(*m_pg, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES %1").arg(values.join(u',')));
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
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("sentinel"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(c, qPrintable(c.errorMessage()));
        m_pg = std::move(c).value();
        auto migrated = Migrator::migrate(*m_pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
    }

    // The URL names the sentinels; the connection lands on the master, and ROLE agrees.
    void resolvesTheMaster()
    {
        const auto parsed = RedisEndpoint::fromUrl(m_cluster.url());
        QVERIFY2(parsed, qPrintable(parsed.errorMessage()));
        QCOMPARE(parsed->sentinels.size(), 3);
        auto conn = RedisConnection::open(*parsed);
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        QCOMPARE(nodeOf(**conn), m_cluster.node(0).display());
        auto role = sentinel::role(**conn);
        QVERIFY2(role, qPrintable(role.errorMessage()));
        QCOMPARE(role->value_or(QString()), QStringLiteral("master"));
    }

    // A change is "applied" once the replica acknowledged it, and the replica indeed has it.
    void confirmedWriteIsOnTheReplica()
    {
        QString why;
        QVERIFY2(createDeployments({QStringLiteral("confirmed")}, &why), qPrintable(why));
        FlagEdit edit;
        edit.trafficPercentage = 42;
        const ApplyOutcome out =
            service()->apply(QStringLiteral("confirmed"), edit, 1, QStringLiteral("test"), Actor::current());
        QVERIFY2(out.applied, qPrintable(out.message));
        QVERIFY2(!out.notReplicated, qPrintable(out.message));
        auto replica = openNode(m_cluster.node(1));
        QVERIFY(replica);
        auto onReplica = FlagStore(*replica).read(QStringLiteral("confirmed"));
        QVERIFY2(onReplica, qPrintable(onReplica.errorMessage()));
        QCOMPARE(onReplica->trafficPercentage, 42);
        QCOMPARE(onReplica->version, 2);
    }

    // A frozen sentinel accepts the connection and never answers: the next one is asked after 500 ms.
    void frozenSentinelIsSkipped()
    {
        test::ProcessFreezer frozen(pid_t(m_cluster.sentinelPid(0)));
        QElapsedTimer timer;
        timer.start();
        auto conn = RedisConnection::open(m_cluster.endpoint());
        const qint64 ms = timer.elapsed();
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        QCOMPARE(nodeOf(**conn), m_cluster.node(0).display());
        QVERIFY2(ms < 1500, qPrintable(QStringLiteral("resolution took %1 ms").arg(ms)));
    }

    // mldeckctl status on the sentinel URL names the master, the sentinels reached and the replica.
    void statusShowsMasterAndReplication()
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), m_cluster.url());
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                {QStringLiteral("status")});
        QVERIFY(p.waitForFinished(60000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("master      ") + m_cluster.node(0).display()), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("sentinels   3 of 3 reached, 3 known to them")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("replica     ") + m_cluster.node(1).display() + QStringLiteral(" online")),
                 qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("mymaster via sentinels")), qPrintable(out));
        // The probe behind the GUI's status bar says the same in one line.
        const ProbeResult probe = probeRedis(m_cluster.endpoint());
        QVERIFY2(probe.up, qPrintable(probe.detail));
        QVERIFY2(probe.detail.contains(QStringLiteral(", master ") + m_cluster.node(0).display() +
                                       QStringLiteral(", 1 replica(s) online")),
                 qPrintable(probe.detail));
    }

    // A switch the sentinels make on purpose (SENTINEL FAILOVER): the old master stays up as a replica.
    // A service that keeps its connection follows it: its next changes land on the new master.
    void switchoverIsFollowed()
    {
        QString why;
        QVERIFY2(createDeployments({QStringLiteral("switched")}, &why), qPrintable(why));
        auto svc = service();
        FlagEdit edit;
        edit.trafficPercentage = 20;
        ApplyOutcome out = svc->apply(QStringLiteral("switched"), edit, 1, QStringLiteral("test"), Actor::current());
        QVERIFY2(out.applied && !out.notReplicated, qPrintable(out.message));
        const HostPort oldMaster = *m_cluster.masterAddress();
        {
            RedisEndpoint first;
            first.host = m_cluster.endpoint().sentinels.at(0).host;
            first.port = m_cluster.endpoint().sentinels.at(0).port;
            auto s = RedisConnection::open(first);
            QVERIFY2(s, qPrintable(s.errorMessage()));
            auto r = (*s)->command({"SENTINEL", "FAILOVER", "mymaster"});
            QVERIFY2(r, qPrintable(r.errorMessage()));
        }
        QVERIFY2(m_cluster.waitForFailover(oldMaster, 20000), "no switchover within 20 s");
        const HostPort newMaster = *m_cluster.masterAddress();
        QVERIFY(m_cluster.waitForReplicas(newMaster, 1, 20000));
        // The kept connection is dropped by the switch (or answers READONLY): one failed attempt at most.
        edit.trafficPercentage = 30;
        int attempts = 0;
        do {
            auto now = svc->read(QStringLiteral("switched"));
            out = now ? svc->apply(QStringLiteral("switched"), edit, now->version, QStringLiteral("test"),
                                   Actor::current())
                      : ApplyOutcome{};
        } while (!(out.applied && !out.notReplicated) && ++attempts < 3);
        QVERIFY2(out.applied && !out.notReplicated, qPrintable(out.message));
        QCOMPARE(nodeOf(**svc->redis()), newMaster.display());
        auto master = openNode(newMaster);
        QVERIFY(master);
        QCOMPARE(FlagStore(*master).read(QStringLiteral("switched"))->trafficPercentage, 30);
    }

    // The master is SIGKILLed while changes stream in and a rollback is issued during the failover:
    // every change reported applied and replicated is on the new master, every other one said so, and
    // the rollback ends confirmed on the new master, audited once.
    void failoverLosesNoConfirmedChange()
    {
        QStringList names;
        for (int i = 0; i < kStreamSize; ++i)
            names << streamDeployment(i);
        names << QStringLiteral("rolled");
        QString why;
        QVERIFY2(createDeployments(names, &why), qPrintable(why));

        std::vector<ApplyOutcome> outcomes(kStreamSize);
        std::atomic<int> attempted{0};
        std::atomic<int> confirmed{0};
        std::atomic<bool> stop{false};
        std::thread stream([&] {
            auto svc = service();
            FlagEdit edit;
            edit.trafficPercentage = 50;
            for (int i = 0; i < kStreamSize && !stop; ++i) {
                outcomes[size_t(i)] =
                    svc->apply(streamDeployment(i), edit, 1, QStringLiteral("stream"), Actor::current());
                if (outcomes[size_t(i)].applied && !outcomes[size_t(i)].notReplicated)
                    ++confirmed;
                attempted = i + 1;
            }
        });
        Joiner streamJoiner{stop, stream};
        QTRY_VERIFY_WITH_TIMEOUT(confirmed >= 10, 15000);

        const HostPort oldMaster = *m_cluster.masterAddress();
        const int oldIndex = m_cluster.node(0) == oldMaster ? 0 : 1;
        m_cluster.killNode(oldIndex);
        ApplyOutcome rolledBack;
        std::atomic<bool> rollbackStop{false};
        std::thread rollback([&] {
            rolledBack = service()->rollback(QStringLiteral("rolled"), QStringLiteral("failover"), Actor::current());
        });
        Joiner rollbackJoiner{rollbackStop, rollback};

        QVERIFY2(m_cluster.waitForFailover(oldMaster, 20000), "no failover within 20 s");
        const auto newMaster = m_cluster.masterAddress();
        QVERIFY(newMaster);
        QCOMPARE(newMaster->display(), m_cluster.node(1 - oldIndex).display());
        // The old master comes back as a replica (as Sentinel would reconfigure it).
        QVERIFY2(m_cluster.restartNodeAsReplicaOf(oldIndex, *newMaster, &why), qPrintable(why));
        QVERIFY(m_cluster.waitForReplicas(*newMaster, 1, 15000));
        const int confirmedBefore = confirmed;
        QTRY_VERIFY_WITH_TIMEOUT(confirmed >= confirmedBefore + 5 || attempted == kStreamSize, 20000);
        stop = true;
        stream.join();
        rollback.join();

        auto master = openNode(*newMaster);
        QVERIFY(master);
        int applied = 0, notReplicated = 0, failed = 0;
        for (int i = 0; i < attempted; ++i) {
            const ApplyOutcome &o = outcomes[size_t(i)];
            QVERIFY2(!o.message.isEmpty(), "an outcome without a message");
            auto s = FlagStore(*master).read(streamDeployment(i));
            QVERIFY2(s, qPrintable(s.errorMessage()));
            if (o.applied && !o.notReplicated) {
                ++applied;
                QVERIFY2(s->trafficPercentage == 50 && s->version == 2,
                         qPrintable(QStringLiteral("confirmed change %1 lost: %2").arg(i).arg(o.message)));
            } else if (o.applied) {
                ++notReplicated;
                QVERIFY2(o.message.contains(QStringLiteral("not yet replicated")), qPrintable(o.message));
            } else {
                ++failed;
                QVERIFY2(o.message.startsWith(QStringLiteral("not applied")), qPrintable(o.message));
            }
        }
        qInfo("%d changes: %d confirmed, %d applied on the master only, %d not applied", int(attempted), applied,
              notReplicated, failed);
        QVERIFY(notReplicated + failed > 0); // the failover was seen by the stream

        qInfo("rollback: %s", qPrintable(rolledBack.message));
        QVERIFY2(rolledBack.applied, qPrintable(rolledBack.message));
        QVERIFY2(rolledBack.attempts > 1, "the rollback did not meet the failover"); // the first met a dead master
        QVERIFY2(!rolledBack.notReplicated, qPrintable(rolledBack.message));
        QVERIFY2(rolledBack.message.contains(QStringLiteral("Confirmed by the master ") + newMaster->display()),
                 qPrintable(rolledBack.message));
        auto rolled = FlagStore(*master).read(QStringLiteral("rolled"));
        QVERIFY2(rolled, qPrintable(rolled.errorMessage()));
        QVERIFY(!rolled->mlEnabled);
        QCOMPARE(rolled->trafficPercentage, 0);
        const QString rows = test::queryValue(
            *m_pg, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = 'rolled'"));
        QCOMPARE(rows, QStringLiteral("1")); // one row however many attempts
    }
};

QTEST_GUILESS_MAIN(TestSentinel)
#include "test_sentinel.moc"
