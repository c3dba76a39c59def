#include "core/store/pg/Migrator.h"
#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QRegularExpression>

#include <vector>

namespace mldeck {

namespace {

struct Step
{
    int version = 0;
    QString name; // "001_prediction_log"
    std::string sql;
    QString checksum;
};

// The embedded steps, sorted by version. Loaded once; the resource is part of the binary.
const std::vector<Step> &steps()
{
    static const std::vector<Step> all = [] {
        std::vector<Step> out;
        static const QRegularExpression stepName(QStringLiteral("^(\\d{3})_([a-z0-9_]+)\\.sql$"));
        const QStringList files =
            QDir(QStringLiteral(":/sql")).entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
        for (const QString &file : files) {
            const auto m = stepName.match(file);
            if (!m.hasMatch())
                continue;
            QFile f(QStringLiteral(":/sql/") + file);
            if (!f.open(QIODevice::ReadOnly))
                continue;
            const QByteArray sql = f.readAll();
            out.push_back(Step{m.captured(1).toInt(), file.chopped(4), sql.toStdString(),
                               QString::fromLatin1(QCryptographicHash::hash(sql, QCryptographicHash::Sha256).toHex())});
        }
        std::sort(out.begin(), out.end(), [](const Step &a, const Step &b) { return a.version < b.version; });
        return out;
    }();
    return all;
}

struct Applied
{
    QString name;
    QString checksum;
};

struct DbState
{
    bool schemaExists = false;
    bool foreign = false;
    QMap<int, Applied> applied;
    int current() const { return applied.isEmpty() ? 0 : applied.lastKey(); }
};

// What the database holds now. A schema "mldeck" without our bookkeeping table is ours only
// when it is empty (e.g. pre-created by a DBA to set its owner); otherwise it is foreign.
DbState inspect(pqxx::transaction_base &tx)
{
    DbState s;
    const pqxx::row r = tx.exec1(R"SQL(
        SELECT n.oid IS NOT NULL,
               (SELECT count(*) FROM information_schema.columns
                 WHERE table_schema = 'mldeck' AND table_name = 'schema_migrations'
                   AND column_name IN ('version', 'name', 'checksum', 'applied_at', 'applied_by')) = 5,
               n.oid IS NOT NULL AND (EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = n.oid)
                                      OR EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = n.oid)
                                      OR EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = n.oid))
        FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = 'mldeck')SQL");
    s.schemaExists = r[0].as<bool>();
    const bool hasMigrations = r[1].as<bool>();
    const bool nonEmpty = r[2].as<bool>();
    if (s.schemaExists && !hasMigrations) {
        s.foreign = nonEmpty;
        return s;
    }
    if (!hasMigrations)
        return s;
    for (const auto &row : tx.exec("SELECT version, name, checksum FROM mldeck.schema_migrations ORDER BY version")) {
        s.applied.insert(row[0].as<int>(), Applied{QString::fromStdString(row[1].as<std::string>()),
                                                   QString::fromStdString(row[2].as<std::string>())});
    }
    return s;
}

SchemaStatus toStatus(const DbState &db)
{
    SchemaStatus st;
    st.latest = Migrator::latestVersion();
    st.foreignSchema = db.foreign;
    st.current = db.current();
    for (const Step &step : steps()) {
        const auto it = db.applied.find(step.version);
        if (it == db.applied.end())
            st.pending << step.name;
        else if (it->checksum != step.checksum)
            st.modified << step.name;
    }
    if (st.current > st.latest)
        st.pending.clear(); // a newer schema: nothing of ours is "pending"
    return st;
}

// The reasons migrate refuses; empty when it may proceed.
QString refusal(const SchemaStatus &st, const PgEndpoint &e)
{
    if (st.foreignSchema)
        return StoreText::
            tr("database \"%1\" already has a schema \"mldeck\" that MLDeck did not create (it has no "
               "mldeck.schema_migrations table): refusing to touch it; use another database or move that schema away")
                .arg(e.database);
    if (st.current > st.latest)
        return StoreText::tr("database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck")
            .arg(st.current)
            .arg(st.latest);
    if (!st.modified.isEmpty())
        return StoreText::tr(
                   "migration step(s) %1 already applied to database \"%2\" differ from the ones this mldeckctl "
                   "ships: refusing to continue")
            .arg(st.modified.join(QStringLiteral(", ")), e.database);
    return {};
}

constexpr const char *kLockSql = "SELECT pg_advisory_xact_lock(hashtext('mldeck.migrate'))";

} // namespace

int Migrator::latestVersion()
{
    return steps().empty() ? 0 : steps().back().version;
}

QStringList Migrator::stepNames()
{
    QStringList names;
    for (const Step &s : steps())
        names << s.name;
    return names;
}

Result<SchemaStatus> Migrator::status(PgConnection &conn)
{
    try {
        pqxx::read_transaction tx(pg::raw(conn));
        const DbState db = inspect(tx);
        tx.commit();
        return toStatus(db);
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), StoreText::tr("reading the schema version"));
    }
}

Result<QStringList> Migrator::migrate(PgConnection &conn)
{
    if (steps().empty())
        return Error{StoreText::tr("this binary carries no migration steps (resources missing)")};
    const auto before = status(conn);
    if (!before)
        return before.error();
    if (const QString why = refusal(*before, conn.endpoint()); !why.isEmpty())
        return Error{why};

    QStringList applied;
    for (const Step &step : steps()) {
        if (!before->pending.contains(step.name))
            continue;
        try {
            pqxx::work tx(pg::raw(conn), "mldeck_migrate");
            tx.exec(kLockSql);
            // Re-read under the lock: a concurrent migrate may have applied this step meanwhile.
            const DbState db = inspect(tx);
            if (const QString why = refusal(toStatus(db), conn.endpoint()); !why.isEmpty())
                return Error{why};
            if (db.applied.contains(step.version))
                continue;
            tx.exec(step.sql);
            tx.exec_params("INSERT INTO mldeck.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                           step.version, pg::utf8(step.name), pg::utf8(step.checksum));
            tx.commit();
            applied << step.name;
            qCDebug(lcPg) << "applied migration" << step.name << "to" << conn.endpoint().display();
        } catch (const std::exception &e) {
            return pg::toError(e, conn.endpoint(),
                               StoreText::tr("applying migration %1 (nothing of this step was kept)").arg(step.name));
        }
    }

    try {
        pqxx::work tx(pg::raw(conn), "mldeck_partitions");
        tx.exec("SELECT mldeck.ensure_prediction_partitions((now() AT TIME ZONE 'UTC')::date - 1, "
                "(now() AT TIME ZONE 'UTC')::date + 7)");
        tx.commit();
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), StoreText::tr("creating the daily prediction partitions"));
    }
    return applied;
}

} // namespace mldeck
