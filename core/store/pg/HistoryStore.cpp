#include "core/store/pg/HistoryStore.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace mldeck {

namespace {

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QString json(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QString orNull(const QString &s)
{
    return s.isEmpty() ? QString() : s;
}

QString idOrNull(qint64 id)
{
    return id > 0 ? QString::number(id) : QString();
}

} // namespace

HistoryStore::HistoryStore(PgConnection &conn) : m_conn(conn) {}

Result<std::optional<QJsonObject>> HistoryStore::loaded(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT after::text FROM mldeck.audit_log WHERE deployment = $1 "
                                              "AND action = 'demo.history' ORDER BY id DESC LIMIT 1",
                                              pg::utf8(deployment));
        if (r.empty())
            return std::optional<QJsonObject>();
        return std::optional<QJsonObject>(pg::jsonObject(r[0][0]));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("looking for the demo history of \"%1\"").arg(deployment));
    }
}

Result<bool> HistoryStore::hasPredictions(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT EXISTS (SELECT 1 FROM mldeck.predictions WHERE deployment = $1)",
                          pg::utf8(deployment))[0]
            .as<bool>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the log of \"%1\"").arg(deployment));
    }
}

Status HistoryStore::beginLoad()
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        if (!tx.exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0].as<bool>(false))
            return Error{StoreText::tr("Loading a back-dated history needs a PostgreSQL superuser (it turns the "
                                       "audit and aggregate triggers off while it writes); \"%1\" is not one.")
                             .arg(m_conn.currentUser())};
        tx.exec("SET session_replication_role = replica");
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("preparing the history load"));
    }
}

Status HistoryStore::endLoad()
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        tx.exec("RESET session_replication_role");
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("ending the history load"));
    }
}

Status HistoryStore::audit(const QDateTime &at, const AuditRecord &r)
{
    const auto opt = [](const std::optional<QJsonObject> &o) { return o ? json(*o) : QString(); };
    try {
        pqxx::work tx(pg::raw(m_conn));
        pg::execParams(tx,
                       "INSERT INTO mldeck.audit_log (change_id, ts, actor_db, actor_os, host, action, deployment, "
                       "before, after, reason, occurred_at) VALUES ($1::uuid, $2::timestamptz, current_user, $3, $4, "
                       "$5, $6, $7::jsonb, $8::jsonb, $9, $2::timestamptz)",
                       {r.changeId.toString(QUuid::WithoutBraces), iso(at), orNull(r.actorOs), orNull(r.host), r.action,
                        orNull(r.deployment), opt(r.before), opt(r.after), orNull(r.reason)});
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("writing the audit row \"%1\"").arg(r.action));
    }
}

Result<qint64> HistoryStore::insertAlert(const AlertRow &a)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = pg::execParams(
            tx,
            "INSERT INTO mldeck.alerts (deployment, kind, severity, dedup_key, title, details, raised_at, "
            "last_seen_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by) VALUES ($1, $2, $3, $4, $5, "
            "$6::jsonb, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10, $11::timestamptz, $12) RETURNING id",
            {a.deployment, a.kind, a.severity, orNull(a.dedupKey), a.title, json(a.details), iso(a.raisedAt),
             iso(a.lastSeenAt.isValid() ? a.lastSeenAt : a.raisedAt), iso(a.acknowledgedAt), orNull(a.acknowledgedBy),
             iso(a.resolvedAt), orNull(a.resolvedBy)});
        tx.commit();
        return r[0][0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("writing the alert \"%1\"").arg(a.title));
    }
}

Status HistoryStore::savePlan(const QString &deployment, const StagedPlan &plan, int currentStep,
                              const QDateTime &stepSince, const QString &updatedBy)
{
    QStringList steps;
    for (int s : plan.steps)
        steps << QString::number(s);
    const PlanGates &g = plan.gates;
    try {
        pqxx::work tx(pg::raw(m_conn));
        pg::execParams(tx,
                       "INSERT INTO mldeck.rollout_plans (deployment, steps, min_samples, min_soak_s, max_mae, "
                       "min_r2, max_latency_p95_ms, max_error_rate, current_step, step_started_at, updated_at, "
                       "updated_by) VALUES ($1, $2::integer[], $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, "
                       "$10::timestamptz, $11) ON CONFLICT (deployment) DO UPDATE SET steps = EXCLUDED.steps, "
                       "min_samples = EXCLUDED.min_samples, min_soak_s = EXCLUDED.min_soak_s, max_mae = "
                       "EXCLUDED.max_mae, min_r2 = EXCLUDED.min_r2, max_latency_p95_ms = EXCLUDED.max_latency_p95_ms, "
                       "max_error_rate = EXCLUDED.max_error_rate, current_step = EXCLUDED.current_step, "
                       "step_started_at = EXCLUDED.step_started_at, updated_at = EXCLUDED.updated_at, "
                       "updated_by = EXCLUDED.updated_by",
                       {deployment, QLatin1Char('{') + steps.join(QLatin1Char(',')) + QLatin1Char('}'),
                        QString::number(g.minSamples), QString::number(g.minSoakSeconds), QString::number(g.maxMae),
                        QString::number(g.minR2), QString::number(g.maxLatencyP95Ms), QString::number(g.maxErrorRate),
                        QString::number(currentStep), iso(stepSince), updatedBy});
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("writing the staged plan of \"%1\"").arg(deployment));
    }
}

Result<qint64> HistoryStore::insertModel(const NewModelVersion &m, std::optional<qint64> parentId, const QDateTime &at,
                                         const QString &createdBy)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = pg::execParams(
            tx,
            "INSERT INTO mldeck.models (deployment, name, version, sha256, file_path, task, feature_schema, "
            "feature_names, scaler, target_unit, parent_id, train_from, train_to, metrics, created_at, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::integer, $8::text[], $9::jsonb, $10, $11::bigint, "
            "$12::timestamptz, $13::timestamptz, $14::jsonb, $15::timestamptz, $16) RETURNING id",
            {m.deployment, m.name, m.version, m.sha256, m.filePath, m.task,
             m.featureSchemaId ? QString::number(*m.featureSchemaId) : QString(),
             QString::fromStdString(pgtext::textArray(m.featureNames)), json(m.scaler), m.targetUnit,
             parentId ? QString::number(*parentId) : QString(), iso(m.trainFrom), iso(m.trainTo), json(m.metrics),
             iso(at), createdBy});
        tx.commit();
        return r[0][0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("registering %1@%2 in the history").arg(m.deployment, m.version));
    }
}

Status HistoryStore::setAlias(const QString &deployment, const QString &alias, qint64 modelId, const QDateTime &at,
                              const QString &by)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        pg::execParams(tx,
                       "INSERT INTO mldeck.model_aliases (deployment, alias, model_id, updated_at, updated_by) "
                       "VALUES ($1, $2, $3::bigint, $4::timestamptz, $5) ON CONFLICT (deployment, alias) DO UPDATE "
                       "SET model_id = EXCLUDED.model_id, updated_at = EXCLUDED.updated_at, "
                       "updated_by = EXCLUDED.updated_by",
                       {deployment, alias, QString::number(modelId), iso(at), by});
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("moving the %1 of \"%2\"").arg(alias, deployment));
    }
}

Result<qint64> HistoryStore::insertRetrainRun(const RetrainRow &run)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = pg::execParams(
            tx,
            "INSERT INTO mldeck.retrain_runs (deployment, trigger, state, requested_by, requested_at, started_at, "
            "finished_at, params, base_model_id, result_model_id, metrics, log, decision, decision_reason, "
            "base_version, result_version, data_from, data_to) VALUES ($1, $2, 'succeeded', $3, $4::timestamptz, "
            "$5::timestamptz, $6::timestamptz, $7::jsonb, $8::bigint, $9::bigint, $10::jsonb, $11, $12, $13, $14, "
            "$15, $16::timestamptz, $17::timestamptz) RETURNING id",
            {run.deployment, run.trigger, run.requestedBy, iso(run.requestedAt), iso(run.startedAt),
             iso(run.finishedAt), json(run.params), idOrNull(run.baseModelId), idOrNull(run.resultModelId),
             json(run.metrics), orNull(run.log), run.decision, orNull(run.decisionReason), orNull(run.baseVersion),
             orNull(run.resultVersion), iso(run.dataFrom), iso(run.dataTo)});
        tx.commit();
        return r[0][0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("writing the retrain run of \"%1\"").arg(run.deployment));
    }
}

Result<qint64> HistoryStore::buildAggregates(const QString &deployment, const QDateTime &from, const QDateTime &to)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const std::string d = pg::utf8(deployment);
        tx.exec_params("INSERT INTO mldeck.kpi_outcome_state AS s (deployment, request_key, outcome_id, observed_at, "
                       "actual) SELECT DISTINCT ON (request_key) deployment, request_key, id, observed_at, actual "
                       "FROM mldeck.outcomes WHERE deployment = $1 ORDER BY request_key, observed_at DESC, id DESC "
                       "ON CONFLICT (deployment, request_key) DO UPDATE SET outcome_id = EXCLUDED.outcome_id, "
                       "observed_at = EXCLUDED.observed_at, actual = EXCLUDED.actual "
                       "WHERE (EXCLUDED.observed_at, EXCLUDED.outcome_id) > (s.observed_at, s.outcome_id)",
                       d);
        // Fresh partitions have no statistics: the rebuild's join is planned on real figures.
        tx.exec("ANALYZE mldeck.kpi_outcome_state");
        tx.exec("ANALYZE mldeck.predictions");
        const qint64 written = tx.exec_params1("SELECT mldeck.kpi_rebuild($1, $2::timestamptz, $3::timestamptz)", d,
                                               pg::utf8(iso(from)), pg::utf8(iso(to)))[0]
                                   .as<qint64>();
        qint64 feedback = 0;
        for (const char *grain : {"minute", "hour"}) {
            const std::string table = std::string("mldeck.kpi_feedback_") + grain;
            feedback +=
                tx.exec_params("INSERT INTO " + table +
                                   " AS k (deployment, bucket, positive, total) SELECT deployment, date_trunc('" +
                                   grain +
                                   "', ts, 'UTC'), count(*) FILTER (WHERE positive), count(*) FROM mldeck.feedback "
                                   "WHERE deployment = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz "
                                   "GROUP BY 1, 2 ON CONFLICT (deployment, bucket) DO UPDATE SET positive = "
                                   "k.positive + EXCLUDED.positive, total = k.total + EXCLUDED.total",
                               d, pg::utf8(iso(from)), pg::utf8(iso(to)))
                    .affected_rows();
        }
        tx.commit();
        return written + feedback;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("building the KPI aggregates of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
