#include "core/store/pg/AlertStore.h"

#include "core/Text.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace mldeck {

namespace {

// Times as epoch milliseconds: no text-format parsing.
const char *kColumns =
    "id, deployment, kind, severity, coalesce(dedup_key, ''), title, details::text, "
    "(extract(epoch FROM raised_at) * 1000)::bigint, (extract(epoch FROM last_seen_at) * 1000)::bigint, "
    "(extract(epoch FROM acknowledged_at) * 1000)::bigint, acknowledged_by, "
    "(extract(epoch FROM silenced_until) * 1000)::bigint, silenced_by, "
    "(extract(epoch FROM resolved_at) * 1000)::bigint";

using pg::text;

Alert toAlert(const pqxx::row &r)
{
    Alert a;
    a.id = r[0].as<qint64>();
    a.deployment = text(r[1]);
    a.kind = text(r[2]);
    a.severity = text(r[3]);
    a.dedupKey = text(r[4]);
    a.title = text(r[5]);
    a.details = pg::jsonObject(r[6]);
    a.raisedAt = pg::msecs(r[7]);
    a.lastSeenAt = pg::msecs(r[8]);
    a.acknowledgedAt = pg::msecs(r[9]);
    a.acknowledgedBy = text(r[10]);
    a.silencedUntil = pg::msecs(r[11]);
    a.silencedBy = text(r[12]);
    a.resolvedAt = pg::msecs(r[13]);
    return a;
}

QJsonObject snapshot(const Alert &a)
{
    auto t = [](const QDateTime &d) { return d.isValid() ? QJsonValue(d.toString(Qt::ISODateWithMs)) : QJsonValue(); };
    return {
        {QStringLiteral("id"), a.id},
        {QStringLiteral("kind"), a.kind},
        {QStringLiteral("title"), a.title},
        {QStringLiteral("state"), a.resolved() ? QStringLiteral("resolved") : QStringLiteral("firing")},
        {QStringLiteral("acknowledged_at"), t(a.acknowledgedAt)},
        {QStringLiteral("acknowledged_by"), a.acknowledgedBy.isEmpty() ? QJsonValue() : QJsonValue(a.acknowledgedBy)},
        {QStringLiteral("silenced_until"), t(a.silencedUntil)},
        {QStringLiteral("silenced_by"), a.silencedBy.isEmpty() ? QJsonValue() : QJsonValue(a.silencedBy)}};
}

std::string json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// The audit row of an acknowledge/silence: change id from the client, time stamped by the server.
AuditRecord auditOf(const char *action, const AlertActor &actor, const Alert &before, const Alert &after,
                    const QString &reason)
{
    AuditRecord r;
    r.changeId = QUuid::createUuid();
    r.actorOs = actor.name;
    r.host = actor.host;
    r.action = QString::fromLatin1(action);
    r.deployment = before.deployment;
    r.before = snapshot(before);
    r.after = snapshot(after);
    r.reason = reason;
    return r;
}

} // namespace

AlertStore::AlertStore(PgConnection &conn) : m_conn(conn) {}

Result<AlertStore::Raised> AlertStore::raise(const QString &deployment, const QString &kind, const QString &severity,
                                             const QString &dedupKey, const QString &title, const QJsonObject &details)
{
    if (kind.isEmpty() || dedupKey.isEmpty() || title.isEmpty())
        return Error{StoreText::tr("An alert needs a kind, a deduplication key and a title.")};
    if (severity != QLatin1String("info") && severity != QLatin1String("warning") &&
        severity != QLatin1String("critical"))
        return Error{StoreText::tr("Unknown alert severity \"%1\": use info, warning or critical.").arg(severity)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1(
            "INSERT INTO mldeck.alerts (deployment, kind, severity, dedup_key, title, details) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb) "
            "ON CONFLICT (deployment, kind, dedup_key) WHERE resolved_at IS NULL AND dedup_key IS NOT NULL "
            "DO UPDATE SET last_seen_at = now(), details = EXCLUDED.details, title = EXCLUDED.title, "
            "severity = EXCLUDED.severity "
            "RETURNING id, (xmax = 0)",
            pg::utf8(deployment), pg::utf8(kind), pg::utf8(severity), pg::utf8(dedupKey), pg::utf8(title),
            json(details));
        tx.commit();
        return Raised{r[0].as<qint64>(), r[1].as<bool>()};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("raising alert \"%1\"").arg(title));
    }
}

Result<bool> AlertStore::resolve(const QString &deployment, const QString &kind, const QString &dedupKey,
                                 const AlertActor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "UPDATE mldeck.alerts SET resolved_at = greatest(now(), raised_at), resolved_by = $4 "
            "WHERE deployment = $1 AND kind = $2 AND dedup_key = $3 AND resolved_at IS NULL RETURNING id",
            pg::utf8(deployment), pg::utf8(kind), pg::utf8(dedupKey), pg::utf8(actor.name));
        tx.commit();
        return !r.empty();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("resolving alert %1").arg(dedupKey));
    }
}

Result<QList<Alert>> AlertStore::list(const QString &deployment, bool includeResolved, int limit)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows =
            tx.exec_params(std::string("SELECT ") + kColumns +
                               " FROM mldeck.alerts WHERE ($1 = '' OR deployment = $1) AND ($2 OR resolved_at IS NULL) "
                               "ORDER BY (resolved_at IS NULL) DESC, raised_at DESC, id DESC LIMIT $3",
                           pg::utf8(deployment), includeResolved, std::max(1, limit));
        QList<Alert> out;
        for (const auto &r : rows)
            out << toAlert(r);
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing alerts"));
    }
}

Result<Alert> AlertStore::get(qint64 id)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows =
            tx.exec_params(std::string("SELECT ") + kColumns + " FROM mldeck.alerts WHERE id = $1", id);
        if (rows.empty())
            return Error{StoreText::tr("There is no alert %1.").arg(id)};
        return toAlert(rows[0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading alert %1").arg(id));
    }
}

Result<QList<Alert>> AlertStore::activeDuring(const QString &deployment, qint64 fromMs, qint64 toMs, int limit)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kColumns +
                " FROM mldeck.alerts WHERE deployment = $1 AND raised_at < to_timestamp($3::double precision / 1000) "
                "AND (resolved_at IS NULL OR resolved_at >= to_timestamp($2::double precision / 1000)) "
                "ORDER BY raised_at, id LIMIT $4",
            pg::utf8(deployment), fromMs, toMs, std::max(1, limit));
        QList<Alert> out;
        for (const auto &r : rows)
            out << toAlert(r);
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the alerts of a period"));
    }
}

Result<qint64> AlertStore::openCount(const QString &deployment, const QString &kind)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT count(*) FROM mldeck.alerts WHERE deployment = $1 AND kind = $2 "
                          "AND resolved_at IS NULL",
                          pg::utf8(deployment), pg::utf8(kind))[0]
            .as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("counting open %1 alerts").arg(kind));
    }
}

Status AlertStore::acknowledge(qint64 id, const AlertActor &actor, const QString &reason)
{
    if (actor.name.trimmed().isEmpty())
        return Error{StoreText::tr("Acknowledging an alert needs the name of who does it.")};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result rows =
            tx.exec_params(std::string("SELECT ") + kColumns + " FROM mldeck.alerts WHERE id = $1 FOR UPDATE", id);
        if (rows.empty())
            return Error{StoreText::tr("There is no alert %1.").arg(id)};
        const Alert before = toAlert(rows[0]);
        if (before.resolved())
            return Error{StoreText::tr("Alert %1 is already resolved: nothing to acknowledge.").arg(id)};
        const pqxx::result after = tx.exec_params(
            std::string(
                "UPDATE mldeck.alerts SET acknowledged_at = now(), acknowledged_by = $2 WHERE id = $1 RETURNING ") +
                kColumns,
            id, pg::utf8(actor.name));
        pg::writeAudit(tx, auditOf("alert.acknowledge", actor, before, toAlert(after[0]), reason));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("acknowledging alert %1").arg(id));
    }
}

Status AlertStore::silence(qint64 id, const QDateTime &until, const AlertActor &actor, const QString &reason)
{
    if (actor.name.trimmed().isEmpty())
        return Error{StoreText::tr("Silencing an alert needs the name of who does it.")};
    if (until.isValid() && until <= QDateTime::currentDateTimeUtc())
        return Error{
            StoreText::tr("A silence must end in the future (asked until %1).").arg(until.toString(Qt::ISODate))};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result rows =
            tx.exec_params(std::string("SELECT ") + kColumns + " FROM mldeck.alerts WHERE id = $1 FOR UPDATE", id);
        if (rows.empty())
            return Error{StoreText::tr("There is no alert %1.").arg(id)};
        const Alert before = toAlert(rows[0]);
        if (before.resolved())
            return Error{StoreText::tr("Alert %1 is already resolved: nothing to silence.").arg(id)};
        const pqxx::result after =
            until.isValid()
                ? tx.exec_params(
                      std::string("UPDATE mldeck.alerts SET silenced_until = $2::timestamptz, silenced_by = $3 "
                                  "WHERE id = $1 RETURNING ") +
                          kColumns,
                      id, until.toUTC().toString(Qt::ISODateWithMs).toStdString(), pg::utf8(actor.name))
                : tx.exec_params(std::string("UPDATE mldeck.alerts SET silenced_until = NULL, silenced_by = NULL "
                                             "WHERE id = $1 RETURNING ") +
                                     kColumns,
                                 id);
        pg::writeAudit(tx, auditOf(until.isValid() ? "alert.silence" : "alert.unsilence", actor, before,
                                   toAlert(after[0]), reason));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("silencing alert %1").arg(id));
    }
}

} // namespace mldeck
