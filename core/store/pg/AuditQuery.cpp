#include "core/store/pg/AuditQuery.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QSet>

namespace mldeck {

namespace {

constexpr int kMaxPage = 1000;
constexpr int kCursorBatch = 1000;

constexpr char kColumns[] =
    "id, (extract(epoch FROM ts) * 1000)::bigint, action, actor_db, actor_os, host, reason, before::text, "
    "after::text, deployment, change_id::text, (extract(epoch FROM occurred_at) * 1000)::bigint, spooled, chain_seq";

AuditEntry entryOf(const pqxx::row &r)
{
    const auto optionalJson = [](const pqxx::field &f) {
        return f.is_null() ? std::optional<QJsonObject>() : std::optional<QJsonObject>(pg::jsonObject(f));
    };
    AuditEntry e;
    e.id = r[0].as<qint64>();
    e.at = pg::msecs(r[1]);
    e.action = pg::text(r[2]);
    e.actorDb = pg::text(r[3]);
    e.actorOs = pg::text(r[4]);
    e.host = pg::text(r[5]);
    e.reason = pg::text(r[6]);
    e.before = optionalJson(r[7]);
    e.after = optionalJson(r[8]);
    e.deployment = pg::text(r[9]);
    e.changeId = QUuid::fromString(pg::text(r[10]));
    e.occurredAt = pg::msecs(r[11]);
    e.spooled = r[12].as<bool>(false);
    e.chainSeq = r[13].is_null() ? 0 : r[13].as<qint64>();
    return e;
}

QList<AuditEntry> entriesOf(const pqxx::result &rows)
{
    QList<AuditEntry> out;
    out.reserve(qsizetype(rows.size()));
    for (const auto &r : rows)
        out.append(entryOf(r));
    return out;
}

// The text a search looks in: action, actors, reason, deployment, before and after, lower-cased,
// one field per line. The index audit_log_search_trgm (016_audit_search.sql) is on exactly this expression.
constexpr char kSearchText[] =
    "lower(action || chr(10) || coalesce(actor_os, '') || chr(10) || actor_db || chr(10) || coalesce(reason, '') "
    "|| chr(10) || coalesce(deployment, '') || chr(10) || coalesce(before::text, '') || chr(10) || "
    "coalesce(after::text, ''))";

// A LIKE pattern matching any text that contains `text` literally (its %, _ and \ escaped).
QString likeContaining(QString text)
{
    text.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('%'), QStringLiteral("\\%"))
        .replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return QLatin1Char('%') + text + QLatin1Char('%');
}

// A PostgreSQL text[] literal of validated kinds (dotted lower-case words: nothing to quote).
QString kindArray(const QStringList &kinds)
{
    return QLatin1Char('{') + kinds.join(QLatin1Char(',')) + QLatin1Char('}');
}

QString isoParam(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

// The one WHERE clause of every read: conditions with numbered parameters, values never spliced
// into the SQL text. `params` holds the values already numbered before ($1.. of the caller).
struct Where
{
    std::string sql;
    QStringList params;

    std::string next(const QString &value)
    {
        params.append(value);
        return "$" + std::to_string(params.size());
    }
    void add(const std::string &condition) { sql += " AND " + condition; }
};

void addFilter(Where &w, const AuditFilter &f)
{
    if (!f.deployment.isEmpty())
        w.add("deployment = " + w.next(f.deployment));
    if (!f.actor.isEmpty()) {
        const std::string p = w.next(f.actor.toLower());
        w.add("(strpos(lower(coalesce(actor_os, '')), " + p + ") > 0 OR strpos(lower(actor_db), " + p + ") > 0)");
    }
    if (!f.kinds.isEmpty()) // a kind is an action or its family: "flags" is "flags" and "flags.*"
        w.add("EXISTS (SELECT 1 FROM unnest(" + w.next(kindArray(f.kinds)) +
              "::text[]) k WHERE action = k OR starts_with(action, k || '.'))");
    if (f.from.isValid())
        w.add("ts >= " + w.next(isoParam(f.from)) + "::timestamptz");
    if (f.to.isValid())
        w.add("ts < " + w.next(isoParam(f.to)) + "::timestamptz");
    if (!f.text.isEmpty()) // one LIKE over the searched columns: the expression a trigram index can serve
        w.add(std::string(kSearchText) + " LIKE " + w.next(likeContaining(f.text.toLower())));
}

Error invalid(const QString &why)
{
    return Error{StoreText::tr("Cannot read the audit log: %1").arg(why)};
}

} // namespace

AuditQuery::AuditQuery(PgConnection &conn) : m_conn(conn) {}

Result<qint64> AuditQuery::newestId()
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        return tx.exec1("SELECT coalesce(max(id), 0) FROM mldeck.audit_log")[0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

Result<qint64> AuditQuery::settledTop(int settleSeconds)
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        // A backward walk of the id index that stops at the first settled row.
        return pg::execParams(tx,
                              "SELECT coalesce(max(id), 0) FROM mldeck.audit_log "
                              "WHERE ts < now() - make_interval(secs => $1::int)",
                              {QString::number(qMax(settleSeconds, 0))})[0][0]
            .as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

Result<qint64> AuditQuery::count(const AuditFilter &filter, qint64 topId)
{
    if (const QString why = filter.validate(); !why.isEmpty())
        return invalid(why);
    Where w;
    w.sql = "id <= " + w.next(QString::number(topId)) + "::bigint";
    addFilter(w, filter);
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        return pg::execParams(tx, "SELECT count(*) FROM mldeck.audit_log WHERE " + w.sql, w.params)[0][0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("counting audit rows"));
    }
}

Result<QList<AuditEntry>> AuditQuery::page(const AuditFilter &filter, qint64 topId, qint64 offset, int limit,
                                           qint64 total)
{
    if (const QString why = filter.validate(); !why.isEmpty())
        return invalid(why);
    if (offset < 0 || limit < 1 || limit > kMaxPage)
        return invalid(StoreText::tr("a page starts at 0 or later and holds 1 to %1 rows.").arg(kMaxPage));
    // Past the middle of a known count, skip from the oldest end (rows at or below the top never
    // change: the log is append-only).
    const bool fromOldest = total >= 0 && offset > total / 2;
    qint64 skip = offset, take = limit;
    if (fromOldest) {
        skip = total - offset - limit;
        if (skip < 0) {
            take += skip;
            skip = 0;
        }
        if (take <= 0)
            return QList<AuditEntry>();
    }
    Where w;
    w.sql = "id <= " + w.next(QString::number(topId)) + "::bigint";
    addFilter(w, filter);
    const std::string offsetParam = w.next(QString::number(skip));
    const std::string limitParam = w.next(QString::number(take));
    // The page's ids first (an index-only walk of the id order when the filter allows), then their
    // rows: a deep offset skips index entries, not whole rows.
    const std::string sql = std::string("SELECT ") + kColumns +
                            " FROM mldeck.audit_log WHERE id IN (SELECT id FROM mldeck.audit_log WHERE " + w.sql +
                            (fromOldest ? " ORDER BY id" : " ORDER BY id DESC") + " OFFSET " + offsetParam +
                            "::bigint LIMIT " + limitParam + "::bigint) ORDER BY id DESC";
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        return entriesOf(pg::execParams(tx, sql, w.params));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

Result<QList<AuditEntry>> AuditQuery::newerThan(const AuditFilter &filter, qint64 afterId, int limit)
{
    if (const QString why = filter.validate(); !why.isEmpty())
        return invalid(why);
    if (limit < 1 || limit > kMaxPage)
        return invalid(StoreText::tr("a page starts at 0 or later and holds 1 to %1 rows.").arg(kMaxPage));
    Where w;
    w.sql = "id > " + w.next(QString::number(afterId)) + "::bigint";
    addFilter(w, filter);
    const std::string sql = std::string("SELECT ") + kColumns + " FROM mldeck.audit_log WHERE " + w.sql +
                            " ORDER BY id DESC LIMIT " + w.next(QString::number(limit)) + "::bigint";
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        return entriesOf(pg::execParams(tx, sql, w.params));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

Status AuditQuery::forEach(const AuditFilter &filter, const std::function<bool(const QList<AuditEntry> &)> &batch)
{
    if (const QString why = filter.validate(); !why.isEmpty())
        return invalid(why);
    Where w;
    w.sql = "true";
    addFilter(w, filter);
    try {
        // One snapshot for the whole export; the cursor hands rows over a batch at a time.
        pqxx::read_transaction tx(pg::raw(m_conn));
        pg::execParams(tx,
                       std::string("DECLARE audit_rows NO SCROLL CURSOR FOR SELECT ") + kColumns +
                           " FROM mldeck.audit_log WHERE " + w.sql + " ORDER BY id DESC",
                       w.params);
        for (;;) {
            const pqxx::result rows = tx.exec("FETCH " + std::to_string(kCursorBatch) + " FROM audit_rows");
            if (rows.empty() || !batch(entriesOf(rows)))
                break;
        }
        tx.exec0("CLOSE audit_rows");
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

Result<ServedTimeline> AuditQuery::timeline(const QString &deployment, const QDateTime &from, const QDateTime &to)
{
    AuditFilter filter;
    filter.deployment = deployment;
    filter.kinds = ServedTimeline::servingActions();
    filter.from = from;
    filter.to = to;
    if (deployment.isEmpty())
        return invalid(StoreText::tr("a timeline is of one deployment."));
    if (!from.isValid() || !to.isValid())
        return invalid(StoreText::tr("a timeline needs both ends of its range."));
    if (const QString why = filter.validate(); !why.isEmpty())
        return invalid(why);

    AuditFilter serving = filter;
    serving.from = serving.to = QDateTime();
    // Before the range only the last flag state and the last champion move matter, each taken by when the
    // change happened, as in the range and in ServedTimeline: a written row at its server time, a spooled
    // one at its occurred_at. Spooled rows are few (016 indexes them apart), so for each the newest written
    // and the newest spooled row are read, and ServedTimeline puts them in order.
    Where before;
    before.sql = "true";
    addFilter(before, serving);
    const std::string beforeFrom = before.next(isoParam(from)) + "::timestamptz";
    const auto lastOf = [&](const std::string &what) {
        const std::string base =
            std::string("SELECT ") + kColumns + " FROM mldeck.audit_log WHERE " + before.sql + " AND " + what;
        return "(" + base + " AND NOT spooled AND ts < " + beforeFrom +
               " ORDER BY ts DESC, id DESC LIMIT 1) UNION ALL (" + base +
               " AND spooled AND coalesce(occurred_at, ts) < " + beforeFrom +
               " ORDER BY coalesce(occurred_at, ts) DESC, id DESC LIMIT 1)";
    };
    const std::string earlierRows =
        lastOf("after ? 'ml_traffic_percentage'") + " UNION ALL " +
        lastOf("action IN ('model.promote', 'model.restore_previous') AND after->>'alias' = 'champion'");
    // In the range by server time, or, for a spooled row, by when it occurred (it took effect then).
    Where in;
    in.sql = "true";
    addFilter(in, serving);
    const std::string fromParam = in.next(isoParam(from)), toParam = in.next(isoParam(to));
    in.add("((ts >= " + fromParam + "::timestamptz AND ts < " + toParam +
           "::timestamptz) OR (spooled AND occurred_at >= " + fromParam + "::timestamptz AND occurred_at < " + toParam +
           "::timestamptz))");
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        QList<AuditEntry> earlier = entriesOf(pg::execParams(tx, earlierRows + " ORDER BY 2, 1", before.params));
        QList<AuditEntry> inRange = entriesOf(pg::execParams(
            tx, std::string("SELECT ") + kColumns + " FROM mldeck.audit_log WHERE " + in.sql + " ORDER BY ts, id",
            in.params));
        // A spooled row that occurred before the range but arrived in it is read by both queries: once is enough.
        QSet<qint64> inRangeIds;
        for (const AuditEntry &e : std::as_const(inRange))
            inRangeIds.insert(e.id);
        earlier.removeIf([&inRangeIds](const AuditEntry &e) { return inRangeIds.contains(e.id); });
        return ServedTimeline::build(deployment, from, to, earlier, inRange);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading what served %1").arg(deployment));
    }
}

Result<QStringList> AuditQuery::actors(int limit)
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        QStringList out;
        for (const auto &r : tx.exec_params("SELECT DISTINCT coalesce(actor_os, actor_db) AS a FROM mldeck.audit_log "
                                            "ORDER BY a LIMIT $1",
                                            std::max(1, limit)))
            out.append(pg::text(r[0]));
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

Result<QStringList> AuditQuery::actions(int limit)
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        QStringList out;
        for (const auto &r : tx.exec_params("SELECT DISTINCT action FROM mldeck.audit_log ORDER BY action LIMIT $1",
                                            std::max(1, limit)))
            out.append(pg::text(r[0]));
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

} // namespace mldeck
