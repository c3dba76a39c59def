// FlagService against real Redis and PostgreSQL: audited CAS, a write injected between read and
// commit, rollback racing an edit, Redis killed mid-change, invalid values planted with raw
// commands, rollback while PostgreSQL is unreachable (spooled, flushed exactly once), a retried
// audit row stored once, the audit log required for ordinary changes.
#include "RolloutFixture.h"

#include "core/store/pg/AuditLog.h"
#include "tests/integration/store_redis/PrivateRedis.h"

#include <QDir>
#include <QtConcurrent>

using namespace mldeck;

class TestFlagService : public QObject
{
    Q_OBJECT

private:
    static PgEndpoint closedPort()
    {
        PgEndpoint e = test::TestServers::pg();
        e.port = test::PrivateRedis::freePort();
        e.connectTimeoutS = 2;
        return e;
    }

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void applyIsAuditedOnce()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        auto svc = f.service();
        FlagEdit edit;
        edit.trafficPercentage = 25;
        const ApplyOutcome out = svc->apply(f.deployment, edit, 1, QStringLiteral("step up"), Actor::current());
        QVERIFY2(out.applied, qPrintable(out.message));
        QVERIFY(!out.conflict);
        QCOMPARE(out.state.trafficPercentage, 25);
        QCOMPARE(out.state.version, qint64(2));
        QCOMPARE(f.state().trafficPercentage, 25);
        QCOMPARE(f.auditRows(), 1);
        auto row = test::query(*f.pg,
                               QStringLiteral("SELECT action, reason, before->>'ml_traffic_percentage', "
                                              "after->>'ml_traffic_percentage', actor_os, host, actor_db, change_id "
                                              "FROM mldeck.audit_log WHERE deployment = $1"),
                               {f.deployment});
        QVERIFY(row);
        const QStringList r = row->first();
        QCOMPARE(r.at(0), QStringLiteral("flags.apply"));
        QCOMPARE(r.at(1), QStringLiteral("step up"));
        QCOMPARE(r.at(2), QStringLiteral("10"));
        QCOMPARE(r.at(3), QStringLiteral("25"));
        QVERIFY(!r.at(4).isEmpty() && !r.at(5).isEmpty() && !r.at(6).isEmpty());
        QCOMPARE(r.at(7), out.changeId.toString(QUuid::WithoutBraces));
        // The change id is in Redis too (how a client tells whether its broken write was applied).
        QCOMPARE(*FlagStore(*f.redis).lastChangeId(f.deployment), out.changeId.toString(QUuid::WithoutBraces));

        // Bad input changes nothing.
        FlagEdit bad;
        bad.trafficPercentage = 150;
        const ApplyOutcome refused = svc->apply(f.deployment, bad, 2, {}, Actor::current());
        QVERIFY(!refused.applied);
        QVERIFY(refused.message.startsWith(QLatin1String("not applied")));
        QCOMPARE(f.state().version, qint64(2));
        QCOMPARE(f.auditRows(), 1);
    }

    void writeInjectedBetweenReadAndCommitIsAConflict()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        auto alice = f.service();
        auto bob = f.service();
        Actor bobActor{QStringLiteral("bob@console2"), QStringLiteral("bob"), QStringLiteral("console2")};
        // A write that does not go through this service (another tool writing Redis) lands between
        // alice's read and her write.
        alice->setBeforeRedisWriteHook([&] {
            FlagChange c;
            c.trafficPercentage = 50;
            c.actor = bobActor.name;
            QVERIFY(FlagStore(*f.redis).write(f.deployment, c, 1, QUuid::createUuid().toString(QUuid::WithoutBraces)));
        });
        FlagEdit edit;
        edit.trafficPercentage = 25;
        const ApplyOutcome out = alice->apply(f.deployment, edit, 1, QStringLiteral("alice's edit"), Actor::current());
        QVERIFY(!out.applied);
        QVERIFY(out.conflict);
        QVERIFY2(out.message.contains(QLatin1String("bob@console2")), qPrintable(out.message));
        QVERIFY2(out.message.contains(QLatin1String("ml_traffic_percentage=50")), qPrintable(out.message));
        QCOMPARE(out.state.trafficPercentage, 50); // the loser sees the new state
        QCOMPARE(out.state.version, qint64(2));
        QCOMPARE(f.state().trafficPercentage, 50);
        // The loser's prepared row was rolled back.
        QCOMPARE(f.auditRows(), 0);

        // Two audited editors of one deployment take turns: the audit row's chain lock (held from the
        // prepared row to its commit) makes bob wait for alice's commit; his compare-and-set then loses.
        QFuture<ApplyOutcome> bobsEdit;
        alice->setBeforeRedisWriteHook([&] {
            bobsEdit = QtConcurrent::run([&] {
                FlagEdit e;
                e.trafficPercentage = 75;
                return bob->apply(f.deployment, e, 2, QStringLiteral("bob's edit"), bobActor);
            });
        });
        const ApplyOutcome won = alice->apply(f.deployment, edit, 2, QStringLiteral("alice's edit"), Actor::current());
        QVERIFY2(won.applied, qPrintable(won.message));
        const ApplyOutcome lost = bobsEdit.result();
        QVERIFY(lost.conflict);
        QCOMPARE(f.state().trafficPercentage, 25);
        QCOMPARE(f.auditRows(), 1);
        QCOMPARE(f.auditRows(QStringLiteral("reason = 'alice''s edit'")), 1);

        // A stale expected version is refused before anything is prepared.
        alice->setBeforeRedisWriteHook({});
        const ApplyOutcome stale = alice->apply(f.deployment, edit, 1, {}, Actor::current());
        QVERIFY(stale.conflict);
        QCOMPARE(f.auditRows(), 1);
    }

    void rollbackWinsOverAConcurrentEdit()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        auto editor = f.service();
        auto ops = f.service();
        // The rollback lands between the editor's read and its write: the edit loses. The rollback writes
        // Redis at once; its audit row waits for the editor's prepared row (the chain lock) to go.
        QFuture<ApplyOutcome> rollback;
        editor->setBeforeRedisWriteHook([&] {
            rollback = QtConcurrent::run(
                [&] { return ops->rollback(f.deployment, QStringLiteral("incident"), Actor::current()); });
            QTRY_VERIFY(!f.state().mlEnabled);
        });
        FlagEdit edit;
        edit.trafficPercentage = 100;
        const ApplyOutcome out = editor->apply(f.deployment, edit, 1, {}, Actor::current());
        QVERIFY(out.conflict);
        const ApplyOutcome r = rollback.result();
        QVERIFY2(r.applied && !r.auditSpooled, qPrintable(r.message));
        QCOMPARE(f.auditRows(QStringLiteral("action = 'flags.rollback'")), 1);
        FlagState s = f.state();
        QVERIFY(s.isValid());
        QVERIFY(!s.mlEnabled);
        QCOMPARE(s.trafficPercentage, 0);

        // Many editors hammering while a rollback runs: the rollback always lands and the set is
        // never half-applied; after the last rollback, ML is off.
        editor->setBeforeRedisWriteHook({});
        std::atomic<bool> stop{false};
        std::atomic<int> hammered{0};
        auto hammer = QtConcurrent::run([&] {
            auto svc = f.service();
            int n = 0;
            while (!stop) {
                auto st = svc->read(f.deployment);
                if (!st)
                    continue;
                FlagEdit e;
                e.mlEnabled = true;
                e.trafficPercentage = 10 + (n++ % 90);
                (void)svc->apply(f.deployment, e, st->version, {}, Actor::current());
                ++hammered;
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(hammered > 0, 20000); // the editors are at work before the rollbacks start
        for (int i = 0; i < 20; ++i) {
            const ApplyOutcome back = ops->rollback(f.deployment, QStringLiteral("race %1").arg(i), Actor::current());
            QVERIFY2(back.applied, qPrintable(back.message));
            QVERIFY(!back.state.mlEnabled);
            QCOMPARE(back.state.trafficPercentage, 0);
            QVERIFY(back.state.isValid());
        }
        stop = true;
        hammer.waitForFinished();
        const ApplyOutcome last = ops->rollback(f.deployment, QStringLiteral("final"), Actor::current());
        QVERIFY(last.applied);
        s = f.state();
        QVERIFY(!s.mlEnabled && s.trafficPercentage == 0 && s.isValid());
        QCOMPARE(f.auditRows(QStringLiteral("action = 'flags.rollback'")), 22);
    }

    void redisKilledMidChangeIsNotApplied()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        test::PrivateRedis server;
        QVERIFY2(server.start({}, &why), qPrintable(why));
        RedisEndpoint e = server.endpoint();
        e.timeoutMs = 1000;
        {
            auto c = RedisConnection::open(e);
            QVERIFY(c);
            FlagChange init{true, 10, true, QStringLiteral("t@test")};
            QVERIFY(FlagStore(**c).initialiseIfMissing(f.deployment, init));
        }
        auto svc = f.service(e);
        svc->setBeforeRedisWriteHook([&] { server.kill(); });
        FlagEdit edit;
        edit.trafficPercentage = 25;
        const ApplyOutcome out = svc->apply(f.deployment, edit, 1, QStringLiteral("mid-change"), Actor::current());
        QVERIFY(!out.applied);
        QVERIFY(!out.conflict);
        QVERIFY(out.connectionFailure);
        QVERIFY2(out.message.startsWith(QLatin1String("not applied")), qPrintable(out.message));
        QVERIFY(!out.state.exists); // nothing read back: never shown as if it were the live state
        QCOMPARE(f.auditRows(), 0); // the prepared audit row was rolled back
    }

    void invalidValuesAreShownInvalid_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("value");
        QTest::addRow("150") << QByteArray("ml_traffic_percentage") << QByteArray("150");
        QTest::addRow("-1") << QByteArray("ml_traffic_percentage") << QByteArray("-1");
        QTest::addRow("abc") << QByteArray("ml_enabled") << QByteArray("abc");
        QTest::addRow("list") << QByteArray() << QByteArray();
    }

    void invalidValuesAreShownInvalid()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, value);
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        const QByteArray key = FlagStore::key(f.deployment);
        if (field.isEmpty()) {
            QVERIFY(f.redis->command({"DEL", key}));
            QVERIFY(f.redis->command({"RPUSH", key, "1", "50"}));
        } else {
            QVERIFY(f.redis->command({"HSET", key, field, value}));
        }
        auto svc = f.service();
        auto s = svc->read(f.deployment);
        QVERIFY(s);
        QVERIFY(!s->isValid());
        if (!field.isEmpty())
            QVERIFY(s->invalidFields.contains(QString::fromLatin1(field)));
        else
            QCOMPARE(s->invalidFields.size(), 4);
        for (int i = 0; i < 200; ++i)
            QVERIFY(!s->routesToMl(1 + i % 100)); // invalid means ML off, never clamped
        // Read never rewrites: the raw value is still there.
        if (!field.isEmpty())
            QCOMPARE(f.redis->command({"HGET", key, field})->string, value);
        // A rollback repairs it into a valid "ML off" set.
        const ApplyOutcome r = svc->rollback(f.deployment, QStringLiteral("repair"), Actor::current());
        QVERIFY2(r.applied, qPrintable(r.message));
        QVERIFY(r.state.isValid());
        QVERIFY(!r.state.mlEnabled);
    }

    void rollbackWhilePostgresIsDownIsSpooledThenFlushedOnce()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 40), qPrintable(why));
        {
            FlagService down(test::TestServers::redis(), closedPort(), f.spool());
            const ApplyOutcome r = down.rollback(f.deployment, QStringLiteral("pg down"), Actor::current());
            QVERIFY2(r.applied, qPrintable(r.message));
            QVERIFY(r.auditSpooled);
            QVERIFY2(r.message.contains(f.spool()), qPrintable(r.message));
            QVERIFY(!f.state().mlEnabled);
            QCOMPARE(down.spool().pending().size(), 1);
            // Ordinary changes refuse without a writable audit log, and change nothing.
            FlagEdit e;
            e.mlEnabled = true;
            const ApplyOutcome refused = down.apply(f.deployment, e, f.state().version, {}, Actor::current());
            QVERIFY(!refused.applied);
            QVERIFY2(refused.message.contains(QLatin1String("audit log is not writable")), qPrintable(refused.message));
            QVERIFY(!f.state().mlEnabled);
        }
        QCOMPARE(f.auditRows(), 0);
        // PostgreSQL "returns": the service connects and flushes the spool at once, exactly once.
        auto up = f.service();
        auto db = up->pg();
        QVERIFY2(db, qPrintable(db.errorMessage()));
        QCOMPARE(f.auditRows(), 1);
        QCOMPARE(f.auditRows(QStringLiteral("spooled AND reason = 'pg down' AND action = 'flags.rollback' "
                                            "AND occurred_at <= ts AND after->>'ml_enabled' = '0'")),
                 1);
        QVERIFY(up->spool().pending().isEmpty());
        QCOMPARE(*up->flushSpool(), 0);
        auto again = f.service();
        QVERIFY(again->pg());
        QCOMPARE(f.auditRows(), 1);
    }

    // A stalled writer holds the deployment's chain head: an edit gives up after the lock timeout and
    // changes nothing; a rollback still acts and spools its row as in an outage.
    void heldChainHeadRefusesAnEditAndSpoolsARollback()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 40), qPrintable(why));
        auto holderConn = PgConnection::open(f.db->endpoint(), QStringLiteral("test-chain-holder"));
        QVERIFY2(holderConn, qPrintable(holderConn.errorMessage()));
        auto held = AuditLog(**holderConn)
                        .prepare(AuditRecord::make(QStringLiteral("flags.apply"), f.deployment, Actor::current(),
                                                   QStringLiteral("stalled")));
        QVERIFY2(held, qPrintable(held.errorMessage()));
        const FlagState before = f.state();

        auto svc = f.service();
        FlagEdit edit;
        edit.trafficPercentage = 60;
        const ApplyOutcome refused = svc->apply(f.deployment, edit, before.version, {}, Actor::current());
        QVERIFY(!refused.applied);
        QVERIFY2(refused.message.contains(QLatin1String("over 5 s")), qPrintable(refused.message));
        QCOMPARE(f.state().version, before.version);
        QCOMPARE(f.state().trafficPercentage, before.trafficPercentage);

        const ApplyOutcome rolled = svc->rollback(f.deployment, QStringLiteral("held"), Actor::current());
        QVERIFY2(rolled.applied, qPrintable(rolled.message));
        QVERIFY2(rolled.auditSpooled, qPrintable(rolled.message));
        QVERIFY(!f.state().mlEnabled);
        (*held)->abort();
        QCOMPARE(f.auditRows(), 0);
    }

    void retriedAuditRowIsStoredOnce()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why), qPrintable(why));
        AuditRecord r =
            AuditRecord::make(QStringLiteral("flags.apply"), f.deployment, Actor::current(), QStringLiteral("retry"));
        AuditLog log(*f.pg);
        auto first = log.insert(r);
        QVERIFY2(first, qPrintable(first.errorMessage()));
        QVERIFY(*first);
        auto second = log.insert(r);
        QVERIFY(second);
        QVERIFY(!*second);
        QCOMPARE(*log.count(r.changeId), 1);
        // Spooled and flushed after it was already written: still one.
        AuditSpool spool(f.spool());
        QVERIFY(spool.put(r));
        auto svc = f.service();
        QVERIFY(svc->pg());
        QCOMPARE(*log.count(r.changeId), 1);
        QVERIFY(spool.pending().isEmpty());
        // The audit log is append-only.
        QVERIFY(!test::exec(*f.pg, QStringLiteral("DELETE FROM mldeck.audit_log")));
    }
};

QTEST_GUILESS_MAIN(TestFlagService)
#include "test_flag_service.moc"
#include "tests/support/PgSql.h"
