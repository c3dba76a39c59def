#include "core/store/pg/RetrainStore.h"

#include "core/store/pg/PgConnection.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QUuid>

namespace mldeck {

namespace {

QString jsonText(const QJsonObject &o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }

QJsonObject jsonObject(const QString &text)
{
    return text.isEmpty() ? QJsonObject() : QJsonDocument::fromJson(text.toUtf8()).object();
}

QString iso(const QDateTime &t) { return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString(); }

QDateTime fromMillis(const QString &text)
{
    return text.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(text.toLongLong(), Qt::UTC);
}

QString orNull(const QString &s) { return s.isEmpty() ? QString() : s; }

constexpr char kRunColumns[] =
    "id, deployment, trigger, state, dry_run, requested_by, "
    "(extract(epoch FROM requested_at) * 1000)::bigint, (extract(epoch FROM started_at) * 1000)::bigint, "
    "(extract(epoch FROM finished_at) * 1000)::bigint, params::text, coalesce(base_version, ''), "
    "coalesce(result_version, ''), metrics::text, coalesce(decision, ''), coalesce(decision_reason, ''), "
    "coalesce(error, '')";

RetrainRun runOf(const QStringList &r)
{
    RetrainRun run;
    run.id = r.value(0).toLongLong();
    run.deployment = r.value(1);
    run.trigger = r.value(2);
    run.state = r.value(3);
    run.dryRun = r.value(4) == QLatin1String("t");
    run.requestedBy = r.value(5);
    run.requestedAt = fromMillis(r.value(6));
    run.startedAt = fromMillis(r.value(7));
    run.finishedAt = fromMillis(r.value(8));
    run.params = jsonObject(r.value(9));
    run.baseVersion = r.value(10);
    run.resultVersion = r.value(11);
    run.metrics = jsonObject(r.value(12));
    run.decision = r.value(13);
    run.decisionReason = r.value(14);
    run.error = r.value(15);
    return run;
}

// The audit columns every audited statement here fills: $A+0 change id, +1 actor_os, +2 host, +3 reason.
QStringList auditParams(const Actor &actor, const QString &reason)
{
    return {QUuid::createUuid().toString(QUuid::WithoutBraces), orNull(actor.osUser.isEmpty() ? actor.name : actor.osUser),
            orNull(actor.host), orNull(reason)};
}

} // namespace

RetrainStore::RetrainStore(PgConnection &conn) : m_conn(conn) {}

Result<qint64> RetrainStore::insertRun(const QString &deployment, const QString &trigger, bool dryRun,
                                       const QJsonObject &params)
{
    const auto r = m_conn.query(
        QStringLiteral("INSERT INTO mldeck.retrain_runs (deployment, trigger, dry_run, params) "
                       "VALUES ($1, $2, $3::boolean, $4::jsonb) "
                       "ON CONFLICT (deployment) WHERE state IN ('queued', 'running') DO NOTHING RETURNING id"),
        {deployment, trigger, dryRun ? QStringLiteral("true") : QStringLiteral("false"), jsonText(params)});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return Error{StoreText::tr("A retrain run of \"%1\" is already queued or running; wait for it to finish or cancel it.")
                         .arg(deployment)};
    return r->first().first().toLongLong();
}

Status RetrainStore::markRunning(qint64 id, const QJsonObject &params, const QString &baseVersion,
                                 std::optional<qint64> baseModelId, const QDateTime &dataFrom, const QDateTime &dataTo)
{
    const auto r = m_conn.query(
        QStringLiteral("UPDATE mldeck.retrain_runs SET state = 'running', started_at = now(), params = $2::jsonb, "
                       "base_version = $3, base_model_id = $4::bigint, data_from = $5::timestamptz, "
                       "data_to = $6::timestamptz WHERE id = $1::bigint AND state = 'queued' RETURNING id"),
        {QString::number(id), jsonText(params), orNull(baseVersion),
         baseModelId ? QString::number(*baseModelId) : QString(), iso(dataFrom), iso(dataTo)});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return Error{StoreText::tr("Retrain run %1 is no longer queued.").arg(id)};
    return {};
}

Status RetrainStore::finish(qint64 id, const Finish &f)
{
    const auto r = m_conn.query(
        QStringLiteral("UPDATE mldeck.retrain_runs SET state = $2, finished_at = now(), "
                       "started_at = coalesce(started_at, now()), error = $3, metrics = $4::jsonb, "
                       "decision = $5, decision_reason = $6, result_version = $7, result_model_id = $8::bigint "
                       "WHERE id = $1::bigint AND state IN ('queued', 'running') RETURNING id"),
        {QString::number(id), f.state, orNull(f.error), jsonText(f.metrics), orNull(f.decision), orNull(f.decisionReason),
         orNull(f.resultVersion), f.resultModelId ? QString::number(*f.resultModelId) : QString()});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return Error{StoreText::tr("Retrain run %1 has already finished.").arg(id)};
    return {};
}

Status RetrainStore::setDecision(qint64 id, const QString &decision, const QString &reason)
{
    const auto r = m_conn.query(QStringLiteral("UPDATE mldeck.retrain_runs SET decision = $2, decision_reason = $3 "
                                               "WHERE id = $1::bigint RETURNING id"),
                                {QString::number(id), decision, orNull(reason)});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return Error{StoreText::tr("Retrain run %1 does not exist.").arg(id)};
    return {};
}

Status RetrainStore::requestCancel(qint64 id)
{
    const auto r = m_conn.query(QStringLiteral("UPDATE mldeck.retrain_runs SET cancel_requested = true "
                                               "WHERE id = $1::bigint AND state IN ('queued', 'running') RETURNING id"),
                                {QString::number(id)});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return Error{StoreText::tr("Retrain run %1 is not running.").arg(id)};
    return {};
}

Result<bool> RetrainStore::cancelRequested(qint64 id)
{
    const auto r = m_conn.query(QStringLiteral("SELECT cancel_requested FROM mldeck.retrain_runs WHERE id = $1::bigint"),
                                {QString::number(id)});
    if (!r)
        return r.error();
    return !r->isEmpty() && r->first().first() == QLatin1String("t");
}

Result<RetrainRun> RetrainStore::run(qint64 id)
{
    const auto r = m_conn.query(QStringLiteral("SELECT %1 FROM mldeck.retrain_runs WHERE id = $1::bigint")
                                    .arg(QLatin1String(kRunColumns)),
                                {QString::number(id)});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return Error{StoreText::tr("Retrain run %1 does not exist.").arg(id)};
    return runOf(r->first());
}

Result<QList<RetrainRun>> RetrainStore::list(const QString &deployment, int limit)
{
    const auto r = m_conn.query(QStringLiteral("SELECT %1 FROM mldeck.retrain_runs WHERE ($1 = '' OR deployment = $1) "
                                               "ORDER BY id DESC LIMIT $2::int")
                                    .arg(QLatin1String(kRunColumns)),
                                {deployment.isNull() ? QStringLiteral("") : deployment, QString::number(qMax(1, limit))});
    if (!r)
        return r.error();
    QList<RetrainRun> runs;
    for (const QStringList &row : *r)
        runs << runOf(row);
    return runs;
}

Result<std::optional<QJsonObject>> RetrainStore::loadSettings(const QString &deployment)
{
    const auto r = m_conn.query(QStringLiteral("SELECT settings::text FROM mldeck.retrain_settings WHERE deployment = $1"),
                                {deployment});
    if (!r)
        return r.error();
    if (r->isEmpty())
        return std::optional<QJsonObject>();
    return std::optional<QJsonObject>(jsonObject(r->first().first()));
}

Status RetrainStore::saveSettings(const QString &deployment, const QJsonObject &settings, const Actor &actor)
{
    QStringList params{deployment, jsonText(settings)};
    params += auditParams(actor, QString());
    const auto r = m_conn.query(
        QStringLiteral(
            "WITH old AS (SELECT settings FROM mldeck.retrain_settings WHERE deployment = $1), "
            "up AS (INSERT INTO mldeck.retrain_settings (deployment, settings) VALUES ($1, $2::jsonb) "
            "       ON CONFLICT (deployment) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now(), "
            "       updated_by = session_user RETURNING settings) "
            "INSERT INTO mldeck.audit_log (change_id, actor_os, host, action, deployment, before, after, reason) "
            "SELECT $3::uuid, $4, $5, 'retrain.settings', $1, (SELECT settings FROM old), up.settings, $6 FROM up "
            "RETURNING id"),
        params);
    if (!r)
        return r.error();
    return {};
}

Result<qint64> RetrainStore::countFeedbackOlderThan(const QString &deployment, int olderThanDays)
{
    const auto r = m_conn.query(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1 "
                                               "AND ts < now() - make_interval(days => $2::int)"),
                                {deployment, QString::number(olderThanDays)});
    if (!r)
        return r.error();
    return r->first().first().toLongLong();
}

Result<qint64> RetrainStore::purgeFeedback(const QString &deployment, int olderThanDays, const Actor &actor)
{
    QStringList params{deployment, QString::number(olderThanDays)};
    params += auditParams(actor, StoreText::tr("Feedback retention: older than %n days", nullptr, olderThanDays));
    const auto r = m_conn.query(
        QStringLiteral(
            "WITH cutoff AS (SELECT now() - make_interval(days => $2::int) AS t), "
            "gone AS (DELETE FROM mldeck.feedback WHERE deployment = $1 AND ts < (SELECT t FROM cutoff) RETURNING 1), "
            "n AS (SELECT count(*) AS c FROM gone) "
            "INSERT INTO mldeck.audit_log (change_id, actor_os, host, action, deployment, before, after, reason) "
            "SELECT $3::uuid, $4, $5, 'feedback.purge', $1, NULL, "
            "       jsonb_build_object('deleted', n.c, 'older_than_days', $2::int, 'cutoff', (SELECT t FROM cutoff)), $6 "
            "FROM n RETURNING after->>'deleted'"),
        params);
    if (!r)
        return r.error();
    return r->first().first().toLongLong();
}

Status RetrainStore::mergeModelMetrics(qint64 modelId, const QJsonObject &metrics)
{
    const auto r = m_conn.query(QStringLiteral("UPDATE mldeck.models SET metrics = metrics || $2::jsonb "
                                               "WHERE id = $1::bigint RETURNING id"),
                                {QString::number(modelId), jsonText(metrics)});
    if (!r)
        return r.error();
    return {};
}

Result<qint64> RetrainStore::fileUsers(const QString &filePath, qint64 excludeModelId)
{
    const auto r = m_conn.query(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE file_path = $1 AND id <> $2::bigint"),
                                {filePath, QString::number(excludeModelId)});
    if (!r)
        return r.error();
    return r->first().first().toLongLong();
}

Result<qint64> RetrainStore::previousChampionId(const QString &deployment)
{
    // The same reading as ModelRegistry::restorePrevious: the latest champion move's "before".
    const auto r = m_conn.query(
        QStringLiteral("SELECT coalesce((before->>'model_id')::bigint, 0) FROM mldeck.audit_log WHERE deployment = $1 "
                       "AND action IN ('model.promote', 'model.restore_previous') AND after->>'alias' = 'champion' "
                       "ORDER BY id DESC LIMIT 1"),
        {deployment});
    if (!r)
        return r.error();
    return r->isEmpty() ? 0 : r->first().first().toLongLong();
}

} // namespace mldeck
