// Migrator against a real PostgreSQL: fresh database, idempotence, refusals that change
// nothing, concurrent runs, and the append-only audit log.
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QtTest>

#include <memory>
#include <thread>
#include <vector>

using namespace mldeck;
using namespace mldeck::test;

namespace {

// Null, and the test function failed, when the connection cannot be opened (the caller checks MLDECK_HELPERS_OK()).
std::unique_ptr<PgConnection> openOrFail(const PgEndpoint &e)
{
    auto c = PgConnection::open(e, QStringLiteral("test_migrator"));
    if (!c.ok()) {
        MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot open %1: %2").arg(e.display(), c.errorMessage()));
        return nullptr;
    }
    return std::move(c).value();
}

QString scalar(PgConnection &conn, const QString &sql, const QStringList &params = {})
{
    const auto r = test::query(conn, sql, params);
    if (!r.ok() || r->isEmpty())
        return QStringLiteral("<error: %1>").arg(r.errorMessage());
    return r->first().first();
}

// A fingerprint of everything in the mldeck schema: relations, columns, functions.
QString schemaFingerprint(PgConnection &conn)
{
    return scalar(conn,
                  QStringLiteral(
                      "SELECT coalesce(string_agg(x, ';' ORDER BY x), '') FROM ("
                      " SELECT c.relname || ':' || c.relkind || ':' || coalesce((SELECT string_agg(a.attname || ' ' || "
                      "   format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) FROM pg_attribute a "
                      "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS x"
                      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'mldeck'"
                      " UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                      " WHERE n.nspname = 'mldeck') s"));
}

} // namespace

class TestMigrator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void shipsItsSteps()
    {
        QVERIFY(Migrator::latestVersion() >= 3);
        const QStringList names = Migrator::stepNames();
        QCOMPARE(names.size(), Migrator::latestVersion());
        QCOMPARE(names.first(), QStringLiteral("001_prediction_log"));
    }

    void freshDatabaseThenIdempotent()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();

        const auto before = Migrator::status(*conn);
        QVERIFY2(before.ok(), qPrintable(before.errorMessage()));
        QCOMPARE(before->current, 0);
        QCOMPARE(before->latest, Migrator::latestVersion());
        QCOMPARE(before->pending, Migrator::stepNames());
        QVERIFY(!before->foreignSchema);

        const auto first = Migrator::migrate(*conn);
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        QCOMPARE(*first, Migrator::stepNames());

        const auto after = Migrator::status(*conn);
        QVERIFY(after.ok());
        QCOMPARE(after->current, Migrator::latestVersion());
        QVERIFY(after->pending.isEmpty());
        QVERIFY(after->modified.isEmpty());

        const QStringList tables{
            QStringLiteral("deployments"),   QStringLiteral("feature_schemas"),  QStringLiteral("predictions"),
            QStringLiteral("outcomes"),      QStringLiteral("feedback"),         QStringLiteral("models"),
            QStringLiteral("model_aliases"), QStringLiteral("audit_log"),        QStringLiteral("alerts"),
            QStringLiteral("retrain_runs"),  QStringLiteral("schema_migrations")};
        for (const QString &t : tables)
            QVERIFY2(scalar(*conn, QStringLiteral("SELECT to_regclass($1) IS NOT NULL"),
                            {QStringLiteral("mldeck.") + t}) == QLatin1String("t"),
                     qPrintable(t));
        // predictions is partitioned: default + yesterday .. today+7.
        QCOMPARE(
            scalar(*conn,
                   QStringLiteral("SELECT count(*) FROM pg_inherits WHERE inhparent = 'mldeck.predictions'::regclass")),
            QStringLiteral("10"));
        for (const char *role : {"mldeck_viewer", "mldeck_operator", "mldeck_scientist"})
            QCOMPARE(scalar(*conn, QStringLiteral("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1"),
                            {QString::fromLatin1(role)}),
                     QStringLiteral("f"));
        QCOMPARE(scalar(*conn,
                        QStringLiteral("SELECT has_table_privilege('mldeck_viewer', 'mldeck.predictions', 'SELECT')")),
                 QStringLiteral("t"));
        QCOMPARE(
            scalar(*conn, QStringLiteral("SELECT has_table_privilege('mldeck_viewer', 'mldeck.audit_log', 'INSERT')")),
            QStringLiteral("f"));
        QCOMPARE(scalar(*conn,
                        QStringLiteral("SELECT has_table_privilege('mldeck_operator', 'mldeck.audit_log', 'INSERT')")),
                 QStringLiteral("t"));
        QCOMPARE(
            scalar(*conn, QStringLiteral("SELECT has_table_privilege('mldeck_scientist', 'mldeck.models', 'INSERT')")),
            QStringLiteral("t"));
        QCOMPARE(
            scalar(*conn, QStringLiteral("SELECT has_table_privilege('mldeck_operator', 'mldeck.models', 'INSERT')")),
            QStringLiteral("f"));

        const QString fingerprint = schemaFingerprint(*conn);
        const QString appliedAt =
            scalar(*conn, QStringLiteral("SELECT max(applied_at)::text FROM mldeck.schema_migrations"));
        const auto second = Migrator::migrate(*conn);
        QVERIFY2(second.ok(), qPrintable(second.errorMessage()));
        QVERIFY(second->isEmpty());
        QCOMPARE(schemaFingerprint(*conn), fingerprint);
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT max(applied_at)::text FROM mldeck.schema_migrations")),
                 appliedAt);
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT count(*) FROM mldeck.schema_migrations")),
                 QString::number(Migrator::latestVersion()));
    }

    void newerSchemaRefusedAndUnchanged()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();
        QVERIFY(Migrator::migrate(*conn).ok());
        const int future = Migrator::latestVersion() + 7;
        QVERIFY(test::exec(*conn,
                           QStringLiteral("INSERT INTO mldeck.schema_migrations (version, name, checksum) VALUES (%1, "
                                          "'%1_from_the_future', 'x')")
                               .arg(future))
                    .ok());
        // Drop a partition the next migrate would otherwise re-create: proves nothing ran.
        const QString tomorrow = scalar(
            *conn, QStringLiteral(
                       "SELECT 'mldeck.predictions_' || to_char((now() AT TIME ZONE 'UTC')::date + 1, 'YYYYMMDD')"));
        QVERIFY(test::exec(*conn, QStringLiteral("DROP TABLE ") + tomorrow).ok());
        const QString fingerprint = schemaFingerprint(*conn);

        const auto st = Migrator::status(*conn);
        QVERIFY(st.ok());
        QCOMPARE(st->current, future);
        QVERIFY(st->pending.isEmpty());

        const auto r = Migrator::migrate(*conn);
        QVERIFY(!r.ok());
        QCOMPARE(r.errorMessage(),
                 QStringLiteral("database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck")
                     .arg(future)
                     .arg(Migrator::latestVersion()));
        QCOMPARE(schemaFingerprint(*conn), fingerprint);
    }

    void foreignSchemaRefusedAndUntouched()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();
        QVERIFY(test::exec(*conn, QStringLiteral("CREATE SCHEMA mldeck; CREATE TABLE mldeck.predictions (x int); "
                                                 "INSERT INTO mldeck.predictions VALUES (1), (2)"))
                    .ok());
        const QString fingerprint = schemaFingerprint(*conn);

        const auto st = Migrator::status(*conn);
        QVERIFY(st.ok());
        QVERIFY(st->foreignSchema);

        const auto r = Migrator::migrate(*conn);
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(QStringLiteral("did not create")), qPrintable(r.errorMessage()));
        QVERIFY2(r.errorMessage().contains(db.name()), qPrintable(r.errorMessage()));
        QCOMPARE(schemaFingerprint(*conn), fingerprint);
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT string_agg(x::text, ',' ORDER BY x) FROM mldeck.predictions")),
                 QStringLiteral("1,2"));
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT to_regclass('mldeck.schema_migrations') IS NULL")),
                 QStringLiteral("t"));
    }

    void emptyPrecreatedSchemaIsAdopted()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();
        QVERIFY(test::exec(*conn, QStringLiteral("CREATE SCHEMA mldeck")).ok());
        const auto r = Migrator::migrate(*conn);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->size(), Migrator::latestVersion());
    }

    void modifiedStepRefused()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();
        QVERIFY(Migrator::migrate(*conn).ok());
        QVERIFY(test::exec(*conn, QStringLiteral(
                                      "UPDATE mldeck.schema_migrations SET checksum = 'tampered' WHERE version = 2"))
                    .ok());
        const auto r = Migrator::migrate(*conn);
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(Migrator::stepNames().at(1)), qPrintable(r.errorMessage()));
    }

    void concurrentMigratesOnOneDatabase()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        constexpr int kRunners = 4;
        std::vector<std::unique_ptr<PgConnection>> conns;
        for (int i = 0; i < kRunners; ++i)
            conns.push_back(openOrFail(db.endpoint()));
        MLDECK_HELPERS_OK();
        std::vector<Result<QStringList>> results(kRunners, Result<QStringList>(Error{QStringLiteral("not run")}));
        std::vector<std::thread> threads;
        for (int i = 0; i < kRunners; ++i)
            threads.emplace_back([&, i] { results[size_t(i)] = Migrator::migrate(*conns[size_t(i)]); });
        for (auto &t : threads)
            t.join();
        QStringList all;
        for (const auto &r : results) {
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
            all << *r;
        }
        all.sort();
        QCOMPARE(all, Migrator::stepNames()); // each step applied exactly once overall
        QCOMPARE(scalar(*conns[0], QStringLiteral("SELECT count(*) FROM mldeck.schema_migrations")),
                 QString::number(Migrator::latestVersion()));
    }

    void concurrentMigratesOnSeveralDatabases()
    {
        // Roles are cluster-wide: several databases migrating at once must not trip over them.
        constexpr int kDatabases = 3;
        std::vector<std::unique_ptr<ScratchDatabase>> dbs;
        std::vector<std::unique_ptr<PgConnection>> conns;
        for (int i = 0; i < kDatabases; ++i) {
            dbs.push_back(std::make_unique<ScratchDatabase>(QStringLiteral("migc")));
            conns.push_back(openOrFail(dbs.back()->endpoint()));
            MLDECK_HELPERS_OK();
        }
        std::vector<Result<QStringList>> results(kDatabases, Result<QStringList>(Error{QStringLiteral("not run")}));
        std::vector<std::thread> threads;
        for (int i = 0; i < kDatabases; ++i)
            threads.emplace_back([&, i] { results[size_t(i)] = Migrator::migrate(*conns[size_t(i)]); });
        for (auto &t : threads)
            t.join();
        for (const auto &r : results) {
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
            QCOMPARE(*r, Migrator::stepNames());
        }
    }

    void auditLogIsAppendOnly()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();
        QVERIFY(Migrator::migrate(*conn).ok());
        QVERIFY(test::exec(
                    *conn,
                    QStringLiteral("INSERT INTO mldeck.audit_log (action, deployment, actor_db, before, after, reason) "
                                   "VALUES ('flags.set', 'eta', 'forged', '{\"pct\": 10}', '{\"pct\": 25}', 'ramp')"))
                    .ok());
        // actor_db is stamped by the server, not taken from the client.
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT actor_db FROM mldeck.audit_log")), conn->currentUser());
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT change_id IS NOT NULL FROM mldeck.audit_log")),
                 QStringLiteral("t"));

        const Status upd = test::exec(*conn, QStringLiteral("UPDATE mldeck.audit_log SET reason = 'rewritten'"));
        QVERIFY(!upd.ok());
        QVERIFY2(upd.errorMessage().contains(QStringLiteral("append-only")), qPrintable(upd.errorMessage()));
        const Status del = test::exec(*conn, QStringLiteral("DELETE FROM mldeck.audit_log"));
        QVERIFY(!del.ok());
        QVERIFY2(del.errorMessage().contains(QStringLiteral("append-only")), qPrintable(del.errorMessage()));
        QVERIFY(!test::exec(*conn, QStringLiteral("TRUNCATE mldeck.audit_log")).ok());
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT reason FROM mldeck.audit_log")), QStringLiteral("ramp"));

        // A duplicate change_id (a retried write) is rejected, so retries are recognisable.
        const QString id = scalar(*conn, QStringLiteral("SELECT change_id::text FROM mldeck.audit_log"));
        QVERIFY(!test::exec(
                     *conn,
                     QStringLiteral("INSERT INTO mldeck.audit_log (change_id, action) VALUES ('%1', 'again')").arg(id))
                     .ok());
        // Predictions are never rewritten either.
        QVERIFY(test::exec(*conn, QStringLiteral("INSERT INTO mldeck.predictions (ts, path, deployment, request_key) "
                                                 "VALUES (now(), 'ml', 'eta', 'k1')"))
                    .ok());
        const Status updPred = test::exec(*conn, QStringLiteral("UPDATE mldeck.predictions SET predicted = 1"));
        QVERIFY(!updPred.ok());
        QVERIFY2(updPred.errorMessage().contains(QStringLiteral("append-only")), qPrintable(updPred.errorMessage()));
    }

    void lostConnectionIsReadable()
    {
        ScratchDatabase db(QStringLiteral("mig"));
        auto conn = openOrFail(db.endpoint());
        auto killer = openOrFail(db.endpoint());
        MLDECK_HELPERS_OK();
        const QString pid = scalar(*conn, QStringLiteral("SELECT pg_backend_pid()"));
        QVERIFY(test::exec(*killer, QStringLiteral("SELECT pg_terminate_backend(%1)").arg(pid)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(*killer, QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1").arg(pid)),
            QStringLiteral("0"), 10000); // the backend is gone
        const auto st = Migrator::status(*conn);
        // libpqxx may transparently reconnect; either way no exception escapes and errors read well.
        if (!st.ok()) {
            qInfo("after the backend was killed: %s", qPrintable(st.errorMessage()));
            QVERIFY2(st.errorMessage().contains(QStringLiteral("PostgreSQL")), qPrintable(st.errorMessage()));
        } else {
            QCOMPARE(st->current, 0);
        }
        // A migrate on a broken session fails readably or works after libpqxx reconnects; never throws.
        const auto again = Migrator::migrate(*conn);
        if (!again.ok())
            QVERIFY2(again.errorMessage().contains(QStringLiteral("PostgreSQL")), qPrintable(again.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestMigrator)
#include "test_migrator.moc"
