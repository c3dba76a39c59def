// The audit log's hash chain and append-only rule on a real PostgreSQL: UPDATE/DELETE/TRUNCATE refused
// for every MLDeck role and the owner; `verify` names a row changed by a superuser, a deleted row, a
// forged insert and removed last rows; parallel writers, bulk inserts and savepoints keep one chain; a
// back-dated history load and spooled rollback rows are chained; the guard raises an "audit" alert on a break.
#include "core/services/guard/GuardJob.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/AuditChainStore.h"
#include "core/store/pg/AuditLog.h"
#include "core/store/pg/HistoryStore.h"
#include "tests/integration/rollout/RolloutFixture.h"
#include "tests/integration/store_redis/PrivateRedis.h"
#include "tests/support/LoginRole.h"
#include "tests/support/TestChecks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QtTest>

#include <thread>
#include <vector>

using namespace mldeck;

namespace {

std::unique_ptr<PgConnection> openOrFail(const PgEndpoint &endpoint)
{
    auto c = PgConnection::open(endpoint, QStringLiteral("test-audit-chain"));
    if (!c)
        qWarning("%s", qPrintable(c.errorMessage()));
    return c ? std::move(c).value() : nullptr;
}

// A migrated scratch database and a superuser session on it.
struct ChainDb
{
    test::ScratchDatabase db{QStringLiteral("chain")};
    std::unique_ptr<PgConnection> conn;

    bool setUp()
    {
        conn = openOrFail(db.endpoint());
        return conn && Migrator::migrate(*conn).ok();
    }

    // n audit rows for the deployment through the application's writer.
    bool write(const QString &deployment, int n, const QString &reason = QStringLiteral("step"))
    {
        AuditLog log(*conn);
        for (int i = 0; i < n; ++i) {
            AuditRecord r = AuditRecord::make(QStringLiteral("flags.apply"), deployment, Actor::current(),
                                              QStringLiteral("%1 %2 é ☕").arg(reason).arg(i));
            r.before = QJsonObject{{QStringLiteral("ml_traffic_percentage"), i}};
            r.after = QJsonObject{{QStringLiteral("ml_traffic_percentage"), i + 1},
                                  {QStringLiteral("nested"), QJsonObject{{QStringLiteral("b"), 1.5}}}};
            if (auto w = log.insert(r); !w || !*w)
                return false;
        }
        return true;
    }

    // SQL run as a superuser with the audit log's triggers off: what an attacker with full rights does.
    Status tamper(const QString &sql, const QString &trigger = QStringLiteral("audit_log_append_only"))
    {
        return test::exec(*conn, QStringLiteral("ALTER TABLE mldeck.audit_log DISABLE TRIGGER %1; %2; "
                                                "ALTER TABLE mldeck.audit_log ENABLE TRIGGER %1")
                                     .arg(trigger, sql));
    }

    QString idAt(const QString &deployment, int seq)
    {
        return test::queryValue(
            *conn, QStringLiteral("SELECT id FROM mldeck.audit_log WHERE deployment = $1 AND chain_seq = $2"),
            {deployment, QString::number(seq)});
    }

    std::optional<AuditChainResult> verify(const QString &deployment)
    {
        auto r = AuditChainStore(*conn).verify(deployment);
        if (!r || r->size() != 1) {
            qWarning("%s", qPrintable(r ? QStringLiteral("%1 results").arg(r->size()) : r.errorMessage()));
            return std::nullopt;
        }
        return r->first();
    }
};

QString breakOf(const AuditChainResult &r)
{
    return r.firstBreak ? r.firstBreak->message : QString();
}

} // namespace

class TestAuditChain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void noRoleNorTheOwnerMayRewriteTheLog()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 2));
        const QStringList roles = test::queryValue(*d.conn, QStringLiteral("SELECT string_agg(rolname, ',' ORDER BY "
                                                                           "rolname) FROM pg_roles WHERE rolname LIKE "
                                                                           "'mldeck\\_%'"))
                                      .split(QLatin1Char(','));
        for (const char *base : {"mldeck_viewer", "mldeck_operator", "mldeck_scientist", "mldeck_backend"})
            QVERIFY2(roles.contains(QLatin1String(base)), qPrintable(roles.join(QLatin1Char(' '))));

        // No privilege to rewrite, held by any MLDeck role (the admin role included when it exists).
        for (const QString &role : roles) {
            for (const char *priv : {"UPDATE", "DELETE", "TRUNCATE"})
                QCOMPARE(test::queryValue(*d.conn,
                                          QStringLiteral("SELECT has_table_privilege($1, "
                                                         "'mldeck.audit_log', $2)"),
                                          {role, QString::fromLatin1(priv)}),
                         QStringLiteral("f"));
            for (const char *priv : {"INSERT", "UPDATE", "DELETE", "TRUNCATE"})
                QCOMPARE(test::queryValue(*d.conn,
                                          QStringLiteral("SELECT has_table_privilege($1, "
                                                         "'mldeck.audit_chain_heads', $2)"),
                                          {role, QString::fromLatin1(priv)}),
                         QStringLiteral("f"));
        }
        // Nor by the owner (its grants, read from the ACL: a superuser owner bypasses has_table_privilege).
        const QString ownerGrants = QStringLiteral(
            "SELECT coalesce(string_agg(a.privilege_type, ',' ORDER BY a.privilege_type), '') "
            "FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1::regclass AND a.grantee = c.relowner");
        QCOMPARE(test::queryValue(*d.conn, ownerGrants, {QStringLiteral("mldeck.audit_log")}),
                 QStringLiteral("INSERT,REFERENCES,SELECT,TRIGGER"));
        QCOMPARE(test::queryValue(*d.conn, ownerGrants, {QStringLiteral("mldeck.audit_chain_heads")}),
                 QStringLiteral("INSERT,SELECT,UPDATE")); // for the SECURITY DEFINER trigger only

        // Each role, through a login user of its own, is refused with a clear error and changes nothing;
        // every role that reads the log may still check the chain.
        for (const QString &role : roles) {
            test::LoginRole user(role);
            auto conn = openOrFail(user.endpoint(d.db.endpoint()));
            QVERIFY(conn);
            for (const QString &sql :
                 {QStringLiteral("UPDATE mldeck.audit_log SET reason = 'x'"),
                  QStringLiteral("DELETE FROM mldeck.audit_log"), QStringLiteral("TRUNCATE mldeck.audit_log"),
                  QStringLiteral("UPDATE mldeck.audit_chain_heads SET seq = 0"),
                  QStringLiteral("DELETE FROM mldeck.audit_chain_heads")}) {
                const Status s = test::exec(*conn, sql);
                QVERIFY2(!s.ok(), qPrintable(role + QStringLiteral(": ") + sql));
                QVERIFY2(s.errorMessage().contains(QLatin1String("permission denied")), qPrintable(s.errorMessage()));
            }
            if (role == QLatin1String("mldeck_backend"))
                continue; // the serving backend does not read the audit log
            const auto checked = AuditChainStore(*conn).verify(QStringLiteral("eta"));
            QVERIFY2(checked, qPrintable(role + QStringLiteral(": ") + checked.errorMessage()));
            QVERIFY(checked->first().ok());
        }
        // The owner (here a superuser, who bypasses privileges) meets the refusing triggers.
        for (const QString &sql :
             {QStringLiteral("UPDATE mldeck.audit_log SET reason = 'x'"),
              QStringLiteral("DELETE FROM mldeck.audit_log"), QStringLiteral("TRUNCATE mldeck.audit_log")}) {
            const Status s = test::exec(*d.conn, sql);
            QVERIFY(!s.ok());
            QVERIFY2(s.errorMessage().contains(QLatin1String("mldeck.audit_log is append-only")),
                     qPrintable(s.errorMessage()));
        }
        for (const QString &sql : {QStringLiteral("UPDATE mldeck.audit_chain_heads SET seq = 0"),
                                   QStringLiteral("INSERT INTO mldeck.audit_chain_heads (chain_key) VALUES ('x')"),
                                   QStringLiteral("DELETE FROM mldeck.audit_chain_heads"),
                                   QStringLiteral("TRUNCATE mldeck.audit_chain_heads")}) {
            const Status s = test::exec(*d.conn, sql);
            QVERIFY(!s.ok());
            QVERIFY2(s.errorMessage().contains(QLatin1String("moves only with the audit log")),
                     qPrintable(s.errorMessage()));
        }
        const auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r && r->ok());
        QCOMPARE(r->rowsChecked, 2);
    }

    void chainMatchesTheTriggerAndRetriesKeepIt()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 5));
        QVERIFY(d.write(QStringLiteral("zeta"), 3));
        AuditRecord none = AuditRecord::make(QStringLiteral("settings.set"), {}, Actor::current(), {});
        QVERIFY(*AuditLog(*d.conn).insert(none));
        // A retried row (same change id) stores nothing and leaves the head where it was.
        QVERIFY(!*AuditLog(*d.conn).insert(none));
        auto all = AuditChainStore(*d.conn).verify();
        QVERIFY2(all, qPrintable(all.errorMessage()));
        QCOMPARE(all->size(), 3);
        QCOMPARE(all->at(0).chainKey, QString()); // rows of no deployment
        QCOMPARE(all->at(1).chainKey, QStringLiteral("eta"));
        for (const auto &c : *all)
            QVERIFY2(c.ok(), qPrintable(breakOf(c)));
        QCOMPARE(all->at(0).rowsChecked, 1);
        QCOMPARE(all->at(1).rowsChecked, 5);
        QCOMPARE(all->at(2).rowsChecked, 3);
        QCOMPARE(all->at(1).headSeq, 5);
        QCOMPARE(QString::fromLatin1(all->at(1).headHash),
                 test::queryValue(*d.conn, QStringLiteral("SELECT row_hash FROM mldeck.audit_log WHERE deployment = "
                                                          "'eta' AND chain_seq = 5")));
    }

    void verifyNamesARowChangedByASuperuser()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 6));
        const QString id = d.idAt(QStringLiteral("eta"), 4);
        QVERIFY(
            d.tamper(QStringLiteral("UPDATE mldeck.audit_log SET reason = 'nothing happened' WHERE id = %1").arg(id))
                .ok());
        const auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r);
        QVERIFY(!r->ok());
        QCOMPARE(r->firstBreak->kind, AuditChainBreak::Kind::Changed);
        QCOMPARE(QString::number(r->firstBreak->id), id);
        QCOMPARE(r->firstBreak->seq, 4);
        QCOMPARE(r->rowsChecked, 3);
        // A jsonb value changed is found the same way.
        ChainDb d2;
        QVERIFY(d2.setUp());
        QVERIFY(d2.write(QStringLiteral("eta"), 3));
        const QString id2 = d2.idAt(QStringLiteral("eta"), 2);
        QVERIFY(d2.tamper(QStringLiteral("UPDATE mldeck.audit_log SET after = '{\"ml_traffic_percentage\": 100}' "
                                         "WHERE id = %1")
                              .arg(id2))
                    .ok());
        const auto r2 = d2.verify(QStringLiteral("eta"));
        QVERIFY(r2 && !r2->ok());
        QCOMPARE(QString::number(r2->firstBreak->id), id2);
    }

    void verifyNamesADeletedRow()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 6));
        const QString next = d.idAt(QStringLiteral("eta"), 4);
        QVERIFY(
            d.tamper(QStringLiteral("DELETE FROM mldeck.audit_log WHERE deployment = 'eta' AND chain_seq = 3")).ok());
        const auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r && !r->ok());
        QCOMPARE(r->firstBreak->kind, AuditChainBreak::Kind::Removed);
        QCOMPARE(QString::number(r->firstBreak->id), next);
        QVERIFY2(r->firstBreak->message.contains(QLatin1String("positions 3 to 3")),
                 qPrintable(r->firstBreak->message));
    }

    void verifyNamesAForgedInsert()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 4));
        // Inserted with the chain trigger off: no place in the chain.
        QVERIFY(d.tamper(QStringLiteral("INSERT INTO mldeck.audit_log (action, deployment, reason) VALUES "
                                        "('model.promote', 'eta', 'forged')"),
                         QStringLiteral("audit_log_stamp_then_chain"))
                    .ok());
        const QString forged =
            test::queryValue(*d.conn, QStringLiteral("SELECT id FROM mldeck.audit_log WHERE reason = 'forged'"));
        auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r && !r->ok());
        QCOMPARE(r->firstBreak->kind, AuditChainBreak::Kind::Inserted);
        QCOMPARE(QString::number(r->firstBreak->id), forged);

        // Forged into the middle: the row takes position 2's place and a made-up hash; the rows from
        // position 2 on are renumbered (the unique index forbids two rows at one position).
        ChainDb d2;
        QVERIFY(d2.setUp());
        QVERIFY(d2.write(QStringLiteral("eta"), 4));
        QVERIFY(d2.tamper(QStringLiteral("UPDATE mldeck.audit_log SET chain_seq = chain_seq + 10 WHERE chain_seq >= 2; "
                                         "UPDATE mldeck.audit_log SET chain_seq = chain_seq - 9 WHERE chain_seq >= 12"))
                    .ok());
        QVERIFY(d2.tamper(QStringLiteral("INSERT INTO mldeck.audit_log (action, deployment, reason, chain_seq, "
                                         "prev_hash, row_hash) SELECT 'model.promote', 'eta', 'forged', 2, row_hash, "
                                         "repeat('a', 64) FROM mldeck.audit_log WHERE chain_seq = 1"),
                          QStringLiteral("audit_log_stamp_then_chain"))
                    .ok());
        r = d2.verify(QStringLiteral("eta"));
        QVERIFY(r && !r->ok());
        QCOMPARE(QString::number(r->firstBreak->id),
                 test::queryValue(*d2.conn, QStringLiteral("SELECT id FROM mldeck.audit_log WHERE reason = 'forged'")));
        QCOMPARE(r->firstBreak->kind, AuditChainBreak::Kind::Changed); // its hash is not its content's
    }

    void verifyNamesRemovedLastRows()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 5));
        QVERIFY(
            d.tamper(QStringLiteral("DELETE FROM mldeck.audit_log WHERE deployment = 'eta' AND chain_seq >= 4")).ok());
        const auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r && !r->ok());
        QCOMPARE(r->firstBreak->kind, AuditChainBreak::Kind::HeadMoved);
        QCOMPARE(r->firstBreak->seq, 4);
        QCOMPARE(r->rowsChecked, 3);
    }

    void parallelWritersKeepOneChain()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        constexpr int kThreads = 4, kRows = 250;
        std::vector<std::unique_ptr<PgConnection>> conns;
        for (int t = 0; t < kThreads + 1; ++t) {
            conns.push_back(openOrFail(d.db.endpoint()));
            QVERIFY(conns.back());
        }
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                AuditLog log(*conns[size_t(t)]);
                for (int i = 0; i < kRows; ++i) {
                    const auto w = log.insert(AuditRecord::make(QStringLiteral("flags.apply"), QStringLiteral("eta"),
                                                                Actor::current(),
                                                                QStringLiteral("writer %1 row %2").arg(t).arg(i)));
                    if (!w || !*w)
                        ++failures;
                }
            });
        }
        // Meanwhile another chain is written: it never waits for eta's.
        threads.emplace_back([&] {
            AuditLog log(*conns[kThreads]);
            for (int i = 0; i < kRows; ++i)
                if (!log.insert(AuditRecord::make(QStringLiteral("flags.apply"), QStringLiteral("zeta"),
                                                  Actor::current(), QStringLiteral("other"))))
                    ++failures;
        });
        for (auto &th : threads)
            th.join();
        QCOMPARE(failures.load(), 0);
        QCOMPARE(test::queryValue(*d.conn,
                                  QStringLiteral("SELECT count(*) || ' ' || count(DISTINCT chain_seq) || ' ' || "
                                                 "min(chain_seq) || ' ' || max(chain_seq) FROM mldeck.audit_log WHERE "
                                                 "deployment = 'eta'")),
                 QStringLiteral("1000 1000 1 1000"));
        QCOMPARE(test::queryValue(*d.conn, QStringLiteral("SELECT seq FROM mldeck.audit_chain_heads WHERE chain_key = "
                                                          "'eta'")),
                 QStringLiteral("1000"));
        const auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r);
        QVERIFY2(r->ok(), qPrintable(breakOf(*r)));
        QCOMPARE(r->rowsChecked, 1000);
        QVERIFY(d.verify(QStringLiteral("zeta"))->ok());
    }

    void bulkInsertsAndSavepointsKeepTheChain()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 2));
        // One statement, many rows over two chains: the head moves once, to the statement's last row.
        QVERIFY(test::exec(*d.conn, QStringLiteral("INSERT INTO mldeck.audit_log (action, deployment, reason) SELECT "
                                                   "'flags.apply', CASE WHEN i % 3 = 0 THEN 'zeta' ELSE 'eta' END, "
                                                   "'bulk ' || i FROM generate_series(1, 300) i"))
                    .ok());
        // A row rolled back to a savepoint leaves no gap: the next row takes its position.
        QVERIFY(
            test::exec(*d.conn, QStringLiteral("BEGIN; "
                                               "INSERT INTO mldeck.audit_log (action, deployment) VALUES ('a', 'eta'); "
                                               "SAVEPOINT s; "
                                               "INSERT INTO mldeck.audit_log (action, deployment) VALUES ('b', 'eta'); "
                                               "ROLLBACK TO s; "
                                               "INSERT INTO mldeck.audit_log (action, deployment) VALUES ('c', 'eta'), "
                                               "('d', 'eta'); COMMIT"))
                .ok());
        QCOMPARE(test::queryValue(*d.conn, QStringLiteral("SELECT string_agg(action || chain_seq, ' ' ORDER BY "
                                                          "chain_seq) FROM mldeck.audit_log WHERE deployment = 'eta' "
                                                          "AND chain_seq > 202")),
                 QStringLiteral("a203 c204 d205"));
        // A statement that fails leaves the head where it was.
        QVERIFY(!test::exec(*d.conn, QStringLiteral("INSERT INTO mldeck.audit_log (action, deployment) VALUES "
                                                    "('e', 'eta'), ('', 'eta')"))
                     .ok());
        QVERIFY(d.write(QStringLiteral("eta"), 1));
        auto all = AuditChainStore(*d.conn).verify();
        QVERIFY2(all, qPrintable(all.errorMessage()));
        QCOMPARE(all->size(), 2);
        for (const auto &c : *all)
            QVERIFY2(c.ok(), qPrintable(breakOf(c)));
        QCOMPARE(all->at(0).rowsChecked, 206);
        QCOMPARE(all->at(0).headSeq, 206);
        QCOMPARE(all->at(1).rowsChecked, 100);
        QCOMPARE(all->at(1).headSeq, 100);
    }

    void backDatedHistoryIsChained()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        HistoryStore history(*d.conn);
        QVERIFY(history.beginLoad().ok());
        const QDateTime t0 = QDateTime::currentDateTimeUtc().addDays(-20);
        for (int i = 0; i < 3; ++i)
            QVERIFY(
                history
                    .audit(t0.addSecs(3600 * i), AuditRecord::make(QStringLiteral("flags.apply"), QStringLiteral("eta"),
                                                                   Actor::current(), QStringLiteral("history")))
                    .ok());
        QVERIFY(history.endLoad().ok());
        QVERIFY(d.write(QStringLiteral("eta"), 1));
        const auto r = d.verify(QStringLiteral("eta"));
        QVERIFY(r && r->ok());
        QCOMPARE(r->rowsChecked, 4);
        // The back-dated rows kept their time.
        QCOMPARE(test::queryValue(*d.conn, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE ts < now() - "
                                                          "interval '10 days'")),
                 QStringLiteral("3"));
    }

    void spooledRowsFlushedStayInTheChain()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 40), qPrintable(why));
        {
            auto up = f.service();
            FlagEdit e;
            e.trafficPercentage = 50;
            const ApplyOutcome a =
                up->apply(f.deployment, e, f.state().version, QStringLiteral("before"), Actor::current());
            QVERIFY2(a.applied, qPrintable(a.message));
        }
        {
            PgEndpoint closed = test::TestServers::pg();
            closed.port = test::PrivateRedis::freePort();
            closed.connectTimeoutS = 2;
            FlagService down(test::TestServers::redis(), closed, f.spool());
            const ApplyOutcome r = down.rollback(f.deployment, QStringLiteral("pg down"), Actor::current());
            QVERIFY2(r.applied && r.auditSpooled, qPrintable(r.message));
        }
        auto up = f.service();
        QVERIFY(up->pg()); // connects and flushes the spool
        QCOMPARE(f.auditRows(QStringLiteral("spooled AND chain_seq = 2")), 1);
        auto r = AuditChainStore(*f.pg).verify(f.deployment);
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(r->first().ok());
        QCOMPARE(r->first().rowsChecked, 2);
        QCOMPARE(r->first().headSeq, 2);
    }

    void cliVerifyNamesTheBreak()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(d.write(QStringLiteral("eta"), 3));
        QVERIFY(d.write(QStringLiteral("zeta"), 2));
        const auto run = [&](const QStringList &args) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("MLDECK_PG_URL"), d.db.endpoint().toUrl(true));
            p.setProcessEnvironment(env);
            p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                    QStringList{QStringLiteral("audit"), QStringLiteral("verify")} + args);
            p.waitForFinished(60000);
            return std::make_pair(p.exitCode(), p.readAllStandardOutput());
        };
        auto [code, out] = run({});
        QCOMPARE(code, 0);
        const QString head = test::queryValue(*d.conn, QStringLiteral("SELECT hash FROM mldeck.audit_chain_heads "
                                                                      "WHERE chain_key = 'eta'"));
        QVERIFY2(out.contains(head.toLatin1()), out.constData()); // printed, to be kept elsewhere
        QVERIFY2(out.contains("Audit chain intact: 2 chain(s), 5 row(s) checked."), out.constData());

        const QString id = d.idAt(QStringLiteral("eta"), 2);
        QVERIFY(d.tamper(QStringLiteral("UPDATE mldeck.audit_log SET reason = 'edited' WHERE id = %1").arg(id)).ok());
        std::tie(code, out) = run({QStringLiteral("--json")});
        QCOMPARE(code, 1);
        const QJsonObject doc = QJsonDocument::fromJson(out).object();
        QCOMPARE(doc.value(QStringLiteral("ok")).toBool(true), false);
        const QJsonArray chains = doc.value(QStringLiteral("chains")).toArray();
        QCOMPARE(chains.size(), 2);
        const QJsonObject eta = chains.at(0).toObject();
        QCOMPARE(eta.value(QStringLiteral("deployment")).toString(), QStringLiteral("eta"));
        QCOMPARE(eta.value(QStringLiteral("rows_checked")).toInt(), 1);
        const QJsonObject b = eta.value(QStringLiteral("break")).toObject();
        QCOMPARE(b.value(QStringLiteral("kind")).toString(), QStringLiteral("changed"));
        QCOMPARE(QString::number(b.value(QStringLiteral("id")).toInteger()), id);
        QCOMPARE(b.value(QStringLiteral("seq")).toInt(), 2);
        QVERIFY(chains.at(1).toObject().value(QStringLiteral("ok")).toBool());
        // One deployment only: the other chain is intact.
        std::tie(code, out) = run({QStringLiteral("--deployment"), QStringLiteral("zeta")});
        QCOMPARE(code, 0);
        // Bad input: exit 2, nothing checked.
        std::tie(code, out) = run({QStringLiteral("--deployment"), QStringLiteral("no such")});
        QCOMPARE(code, 2);
        std::tie(code, out) = run({QStringLiteral("--deployment"), QStringLiteral("ghost")});
        QCOMPARE(code, 2);
    }

    void guardRaisesAnAuditAlertOnABreak()
    {
        ChainDb d;
        QVERIFY(d.setUp());
        QVERIFY(test::exec(*d.conn, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('eta')")).ok());
        QVERIFY(d.write(QStringLiteral("eta"), 4));
        GuardContext ctx;
        ctx.pg = d.db.endpoint();
        ctx.deployment = QStringLiteral("eta");
        auto job = makeAuditChainGuardJob();
        QVERIFY(job->runOnce(ctx).ok());
        QVERIFY2(job->lastSummary().contains(QLatin1String("intact")), qPrintable(job->lastSummary()));
        QCOMPARE(*AlertStore(*d.conn).openCount(QStringLiteral("eta"), QStringLiteral("audit")), 0);

        const QString id = d.idAt(QStringLiteral("eta"), 2);
        QVERIFY(
            d.tamper(QStringLiteral("UPDATE mldeck.audit_log SET actor_db = 'someone' WHERE id = %1").arg(id)).ok());
        // Checked once per period: the same job does not look again within the day.
        QVERIFY(job->runOnce(ctx).ok());
        QCOMPARE(*AlertStore(*d.conn).openCount(QStringLiteral("eta"), QStringLiteral("audit")), 0);
        // A guard that checks (a new day, here a fresh job) raises one critical alert naming the row.
        for (int run = 0; run < 2; ++run) {
            auto daily = makeAuditChainGuardJob();
            QVERIFY(daily->runOnce(ctx).ok());
            QVERIFY2(daily->lastSummary().contains(QLatin1String("BROKEN")), qPrintable(daily->lastSummary()));
        }
        const auto alerts = AlertStore(*d.conn).list(QStringLiteral("eta"), true);
        QVERIFY(alerts);
        QCOMPARE(alerts->size(), 1);
        const Alert &a = alerts->first();
        QCOMPARE(a.kind, QStringLiteral("audit"));
        QCOMPARE(a.severity, QStringLiteral("critical"));
        QVERIFY2(a.title.contains(id), qPrintable(a.title));
        QCOMPARE(QString::number(a.details.value(QStringLiteral("row_id")).toInteger()), id);
    }
};

QTEST_GUILESS_MAIN(TestAuditChain)
#include "test_audit_chain.moc"
