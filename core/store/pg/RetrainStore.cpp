#include "core/store/pg/RetrainStore.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/RawRowsCheck.h"

#include <QJsonDocument>
#include <QUuid>

namespace mldeck {

namespace {

std::string json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// NULL for an empty text or an invalid time.
std::optional<std::string> orNull(const QString &s)
{
    return s.isEmpty() ? std::nullopt : std::optional(pg::utf8(s));
}
std::optional<std::string> orNull(const QDateTime &t)
{
    return t.isValid() ? std::optional(t.toUTC().toString(Qt::ISODateWithMs).toStdString()) : std::nullopt;
}

constexpr char kRunColumns[] =
    "id, deployment, trigger, state, dry_run, requested_by, "
    "(extract(epoch FROM requested_at) * 1000)::bigint, (extract(epoch FROM started_at) * 1000)::bigint, "
    "(extract(epoch FROM finished_at) * 1000)::bigint, params::text, coalesce(base_version, ''), "
    "coalesce(result_version, ''), metrics::text, coalesce(decision, ''), coalesce(decision_reason, ''), "
    "coalesce(error, ''), coalesce(checks, '{}'::jsonb)::text";

RetrainRun runOf(const pqxx::row &r)
{
    RetrainRun run;
    run.id = r[0].as<qint64>();
    run.deployment = pg::text(r[1]);
    run.trigger = pg::text(r[2]);
    run.state = pg::text(r[3]);
    run.dryRun = r[4].as<bool>();
    run.requestedBy = pg::text(r[5]);
    run.requestedAt = pg::msecs(r[6]);
    run.startedAt = pg::msecs(r[7]);
    run.finishedAt = pg::msecs(r[8]);
    run.params = pg::jsonObject(r[9]);
    run.baseVersion = pg::text(r[10]);
    run.resultVersion = pg::text(r[11]);
    run.metrics = pg::jsonObject(r[12]);
    run.decision = pg::text(r[13]);
    run.decisionReason = pg::text(r[14]);
    run.error = pg::text(r[15]);
    run.checks = pg::jsonObject(r[16]);
    return run;
}

// An UPDATE ... RETURNING id of one run, committed; false when no row matched.
template <typename... Args> bool updateRun(PgConnection &conn, const char *sql, Args &&...args)
{
    pqxx::work tx(pg::raw(conn));
    const bool matched = !tx.exec_params(sql, std::forward<Args>(args)...).empty();
    tx.commit();
    return matched;
}

} // namespace

RetrainStore::RetrainStore(PgConnection &conn) : m_conn(conn) {}

Result<qint64> RetrainStore::insertRun(const QString &deployment, const QString &trigger, bool dryRun,
                                       const QJsonObject &params)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "INSERT INTO mldeck.retrain_runs (deployment, trigger, dry_run, params) VALUES ($1, $2, $3, $4::jsonb) "
            "ON CONFLICT (deployment) WHERE state IN ('queued', 'running') DO NOTHING RETURNING id",
            pg::utf8(deployment), pg::utf8(trigger), dryRun, json(params));
        tx.commit();
        if (r.empty())
            return Error{
                StoreText::tr(
                    "A retrain run of \"%1\" is already queued or running; wait for it to finish or cancel it.")
                    .arg(deployment)};
        return r[0][0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("recording a retrain run of \"%1\"").arg(deployment));
    }
}

Status RetrainStore::markRunning(qint64 id, const QJsonObject &params, const QString &baseVersion,
                                 std::optional<qint64> baseModelId, const QDateTime &dataFrom, const QDateTime &dataTo)
{
    try {
        if (!updateRun(m_conn,
                       "UPDATE mldeck.retrain_runs SET state = 'running', started_at = now(), params = $2::jsonb, "
                       "base_version = $3, base_model_id = $4, data_from = $5::timestamptz, data_to = $6::timestamptz "
                       "WHERE id = $1 AND state = 'queued' RETURNING id",
                       id, json(params), orNull(baseVersion), baseModelId, orNull(dataFrom), orNull(dataTo)))
            return Error{StoreText::tr("Retrain run %1 is no longer queued.").arg(id)};
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("starting retrain run %1").arg(id));
    }
}

Status RetrainStore::finish(qint64 id, const Finish &f)
{
    try {
        if (!updateRun(m_conn,
                       "UPDATE mldeck.retrain_runs SET state = $2, finished_at = now(), "
                       "started_at = coalesce(started_at, now()), error = $3, metrics = $4::jsonb, decision = $5, "
                       "decision_reason = $6, result_version = $7, result_model_id = $8 "
                       "WHERE id = $1 AND state IN ('queued', 'running') RETURNING id",
                       id, pg::utf8(f.state), orNull(f.error), json(f.metrics), orNull(f.decision),
                       orNull(f.decisionReason), orNull(f.resultVersion), f.resultModelId))
            return Error{StoreText::tr("Retrain run %1 has already finished.").arg(id)};
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("recording the end of retrain run %1").arg(id));
    }
}

Status RetrainStore::setDecision(qint64 id, const QString &decision, const QString &reason)
{
    try {
        if (!updateRun(m_conn,
                       "UPDATE mldeck.retrain_runs SET decision = $2, decision_reason = $3 WHERE id = $1 RETURNING id",
                       id, pg::utf8(decision), orNull(reason)))
            return Error{StoreText::tr("Retrain run %1 does not exist.").arg(id)};
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("recording the decision of retrain run %1").arg(id));
    }
}

Status RetrainStore::requestCancel(qint64 id)
{
    try {
        if (!updateRun(m_conn,
                       "UPDATE mldeck.retrain_runs SET cancel_requested = true "
                       "WHERE id = $1 AND state IN ('queued', 'running') RETURNING id",
                       id))
            return Error{StoreText::tr("Retrain run %1 is not running.").arg(id)};
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("cancelling retrain run %1").arg(id));
    }
}

Result<bool> RetrainStore::cancelRequested(qint64 id)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT cancel_requested FROM mldeck.retrain_runs WHERE id = $1", id);
        return !r.empty() && r[0][0].as<bool>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading retrain run %1").arg(id));
    }
}

Result<RetrainRun> RetrainStore::run(qint64 id)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params(std::string("SELECT ") + kRunColumns + " FROM mldeck.retrain_runs WHERE id = $1", id);
        if (r.empty())
            return Error{StoreText::tr("Retrain run %1 does not exist.").arg(id)};
        return runOf(r[0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading retrain run %1").arg(id));
    }
}

Result<QList<RetrainRun>> RetrainStore::list(const QString &deployment, int limit)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows =
            tx.exec_params(std::string("SELECT ") + kRunColumns +
                               " FROM mldeck.retrain_runs WHERE ($1 = '' OR deployment = $1) ORDER BY id DESC LIMIT $2",
                           pg::utf8(deployment), qMax(1, limit));
        QList<RetrainRun> runs;
        for (const auto &r : rows)
            runs << runOf(r);
        return runs;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing retrain runs"));
    }
}

Result<std::optional<QJsonObject>> RetrainStore::loadSettings(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT settings::text FROM mldeck.retrain_settings WHERE deployment = $1", pg::utf8(deployment));
        if (r.empty())
            return std::optional<QJsonObject>();
        return std::optional<QJsonObject>(pg::jsonObject(r[0][0]));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the retrain settings of \"%1\"").arg(deployment));
    }
}

Status RetrainStore::saveSettings(const QString &deployment, const QJsonObject &settings, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params(
            "WITH old AS (SELECT settings FROM mldeck.retrain_settings WHERE deployment = $1), "
            "up AS (INSERT INTO mldeck.retrain_settings (deployment, settings) VALUES ($1, $2::jsonb) "
            "       ON CONFLICT (deployment) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now(), "
            "       updated_by = session_user RETURNING settings) "
            "INSERT INTO mldeck.audit_log (change_id, actor_os, host, action, deployment, before, after, reason) "
            "SELECT $3::uuid, $4, $5, 'retrain.settings', $1, (SELECT settings FROM old), up.settings, NULL FROM up",
            pg::utf8(deployment), json(settings), QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString(),
            orNull(actor.osUser.isEmpty() ? actor.name : actor.osUser), orNull(actor.host));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the retrain settings of \"%1\"").arg(deployment));
    }
}

Result<RetrainStore::FeedbackCounts> RetrainStore::feedbackCounts(const QString &deployment, int days)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::rawRowsGoneSince(tx, deployment, qint64(days) * 86'400); !gone.isEmpty())
            return Error{gone};
        const pqxx::row r =
            tx.exec_params1("SELECT count(*), count(*) FILTER (WHERE NOT positive) FROM mldeck.feedback "
                            "WHERE deployment = $1 AND ts >= now() - make_interval(days => $2)",
                            pg::utf8(deployment), days);
        return FeedbackCounts{r[0].as<qint64>(), r[1].as<qint64>()};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("counting the feedback of \"%1\"").arg(deployment));
    }
}

Result<QSet<qint64>> RetrainStore::negativeFeedbackTimes(const QString &deployment, qint64 fromMicros, qint64 toMicros)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::rawRowsGone(tx, deployment, fromMicros); !gone.isEmpty())
            return Error{gone};
        const pqxx::result rows = tx.exec_params(
            "SELECT DISTINCT (extract(epoch FROM p.ts) * 1000000)::bigint FROM "
            "(SELECT DISTINCT ON (request_key) ts, request_key FROM mldeck.predictions "
            " WHERE deployment = $1 AND ts >= to_timestamp($2::double precision / 1e6) "
            " AND ts < to_timestamp($3::double precision / 1e6) AND NOT failed ORDER BY request_key, ts) p "
            "JOIN mldeck.feedback f ON f.deployment = $1 AND f.request_key = p.request_key AND NOT f.positive",
            pg::utf8(deployment), fromMicros, toMicros);
        QSet<qint64> out;
        out.reserve(qsizetype(rows.size()));
        for (const auto &r : rows)
            out.insert(r[0].as<qint64>());
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the negative feedback of \"%1\"").arg(deployment));
    }
}

Result<qint64> RetrainStore::countFeedbackOlderThan(const QString &deployment, int olderThanDays)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1 "
                          "AND ts < now() - make_interval(days => $2)",
                          pg::utf8(deployment), olderThanDays)[0]
            .as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("counting the feedback of \"%1\"").arg(deployment));
    }
}

Result<qint64> RetrainStore::purgeFeedback(const QString &deployment, int olderThanDays, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1(
            "WITH cutoff AS (SELECT now() - make_interval(days => $2) AS t), "
            "gone AS (DELETE FROM mldeck.feedback WHERE deployment = $1 AND ts < (SELECT t FROM cutoff) RETURNING 1), "
            "n AS (SELECT count(*) AS c FROM gone) "
            "INSERT INTO mldeck.audit_log (change_id, actor_os, host, action, deployment, before, after, reason) "
            "SELECT $3::uuid, $4, $5, 'feedback.purge', $1, NULL, "
            "       jsonb_build_object('deleted', n.c, 'older_than_days', $2, 'cutoff', (SELECT t FROM cutoff)), $6 "
            "FROM n RETURNING (after->>'deleted')::bigint",
            pg::utf8(deployment), olderThanDays, QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString(),
            orNull(actor.osUser.isEmpty() ? actor.name : actor.osUser), orNull(actor.host),
            pg::utf8(StoreText::tr("Feedback retention: older than %n days", nullptr, olderThanDays)));
        tx.commit();
        return r[0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("purging the feedback of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
