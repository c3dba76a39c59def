#include "core/store/pg/GuardStore.h"

#include "core/Text.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QJsonDocument>

namespace mldeck {

namespace {

std::optional<std::string> orNull(const QString &s)
{
    return s.isEmpty() ? std::nullopt : std::optional(pg::utf8(s));
}
std::optional<std::string> orNull(const QDateTime &t)
{
    return t.isValid() ? std::optional(t.toUTC().toString(Qt::ISODateWithMs).toStdString()) : std::nullopt;
}

std::string jsonText(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

const std::string kRuleColumns =
    "enabled, window_s, interval_s, min_samples, consecutive_breaches, rollback_error_rate, max_latency_p95_ms, "
    "max_mae, rollback_accuracy, min_accuracy, max_log_loss, rollback_combination, halve_combination, hysteresis ";

// A row of SELECT kRuleColumns.
Result<GuardRules> rulesOf(const pqxx::row &c)
{
    GuardRules r;
    r.enabled = c[0].as<bool>();
    r.windowSeconds = c[1].as<int>();
    r.intervalSeconds = c[2].as<int>();
    r.minSamples = c[3].as<qint64>();
    r.consecutiveBreaches = c[4].as<int>();
    r.rollbackErrorRate = c[5].as<double>();
    r.maxLatencyP95Ms = c[6].as<double>();
    r.maxMae = c[7].as<double>();
    r.rollbackAccuracy = c[8].as<double>();
    r.minAccuracy = c[9].as<double>();
    r.maxLogLoss = c[10].as<double>();
    r.readConditionSettings(pg::jsonObject(c[11]), pg::jsonObject(c[12]), pg::jsonObject(c[13]));
    return r;
}

} // namespace

GuardStore::GuardStore(PgConnection &conn) : m_conn(conn) {}

Result<GuardRules> GuardStore::rules(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT " + kRuleColumns + "FROM mldeck.guard_rules WHERE deployment = $1", pg::utf8(deployment));
        return rows.empty() ? Result<GuardRules>(GuardRules{}) : rulesOf(rows[0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the guard rules of \"%1\"").arg(deployment));
    }
}

Status GuardStore::saveRules(const QString &deployment, const GuardRules &r, const Actor &actor, const QString &reason)
{
    if (const QString why = r.validate(); !why.isEmpty())
        return Error{why};
    AuditRecord rec = AuditRecord::make(QStringLiteral("guard.rules"), deployment, actor, reason);
    rec.after = r.toJson();
    try {
        pqxx::work tx(pg::raw(m_conn));
        // The rules in force before (the defaults when the deployment has no row), locked until commit
        // so that two saves at once audit the right "before".
        // The combinations are checked against the deployment's own task (its conditions only).
        const pqxx::result task = tx.exec_params(
            "SELECT task = 'classification' FROM mldeck.deployments WHERE name = $1", pg::utf8(deployment));
        if (!task.empty())
            if (const QString why = r.validate(task[0][0].as<bool>()); !why.isEmpty())
                return Error{why};
        const pqxx::result old =
            tx.exec_params("SELECT " + kRuleColumns + "FROM mldeck.guard_rules WHERE deployment = $1 FOR UPDATE",
                           pg::utf8(deployment));
        const Result<GuardRules> before = old.empty() ? Result<GuardRules>(GuardRules{}) : rulesOf(old[0]);
        rec.before = before ? before->toJson() : QJsonObject{};
        tx.exec_params(
            "INSERT INTO mldeck.guard_rules (deployment, enabled, window_s, interval_s, min_samples, "
            "consecutive_breaches, rollback_error_rate, max_latency_p95_ms, max_mae, rollback_accuracy, min_accuracy, "
            "max_log_loss, rollback_combination, halve_combination, hysteresis) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15::jsonb) "
            "ON CONFLICT (deployment) DO UPDATE SET enabled = EXCLUDED.enabled, window_s = EXCLUDED.window_s, "
            "interval_s = EXCLUDED.interval_s, min_samples = EXCLUDED.min_samples, "
            "consecutive_breaches = EXCLUDED.consecutive_breaches, rollback_error_rate = EXCLUDED.rollback_error_rate, "
            "max_latency_p95_ms = EXCLUDED.max_latency_p95_ms, max_mae = EXCLUDED.max_mae, "
            "rollback_accuracy = EXCLUDED.rollback_accuracy, min_accuracy = EXCLUDED.min_accuracy, "
            "max_log_loss = EXCLUDED.max_log_loss, rollback_combination = EXCLUDED.rollback_combination, "
            "halve_combination = EXCLUDED.halve_combination, hysteresis = EXCLUDED.hysteresis, "
            "updated_at = now(), updated_by = session_user",
            pg::utf8(deployment), r.enabled, r.windowSeconds, r.intervalSeconds, qint64(r.minSamples),
            r.consecutiveBreaches, r.rollbackErrorRate, r.maxLatencyP95Ms, r.maxMae, r.rollbackAccuracy, r.minAccuracy,
            r.maxLogLoss, jsonText(r.rollbackCombination.toJson()), jsonText(r.halveCombination.toJson()),
            jsonText(r.hysteresisJson()));
        pg::writeAudit(tx, rec);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the guard rules of \"%1\" (nothing was changed)").arg(deployment));
    }
}

Result<GuardMemory> GuardStore::memory(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT severe_streak, degraded_streak, (extract(epoch FROM last_evaluated_at) * 1000)::bigint, latched, "
            "(extract(epoch FROM latched_at) * 1000)::bigint, latched_action, latched_reason, conditions "
            "FROM mldeck.guard_state WHERE deployment = $1",
            pg::utf8(deployment));
        GuardMemory m;
        if (rows.empty())
            return m;
        const pqxx::row c = rows[0];
        m.severeStreak = c[0].as<int>();
        m.degradedStreak = c[1].as<int>();
        m.lastEvaluatedAt = pg::msecs(c[2]);
        m.latched = c[3].as<bool>();
        m.latchedAt = pg::msecs(c[4]);
        m.latchedAction = pg::text(c[5]);
        m.latchedReason = pg::text(c[6]);
        m.conditions = GuardMemory::conditionsFromJson(pg::jsonObject(c[7]));
        return m;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the guard state of \"%1\"").arg(deployment));
    }
}

Status GuardStore::saveMemory(const QString &deployment, const GuardMemory &m, const QString &summary)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("INSERT INTO mldeck.guard_state (deployment, severe_streak, degraded_streak, last_evaluated_at, "
                       "latched, latched_at, latched_action, latched_reason, last_summary, conditions) "
                       "VALUES ($1, $2, $3, $4::timestamptz, $5, $6::timestamptz, $7, $8, $9, $10::jsonb) "
                       "ON CONFLICT (deployment) DO UPDATE SET severe_streak = EXCLUDED.severe_streak, "
                       "degraded_streak = EXCLUDED.degraded_streak, last_evaluated_at = EXCLUDED.last_evaluated_at, "
                       "latched = EXCLUDED.latched, latched_at = EXCLUDED.latched_at, "
                       "latched_action = EXCLUDED.latched_action, latched_reason = EXCLUDED.latched_reason, "
                       "last_summary = EXCLUDED.last_summary, conditions = EXCLUDED.conditions, updated_at = now()",
                       pg::utf8(deployment), m.severeStreak, m.degradedStreak, orNull(m.lastEvaluatedAt), m.latched,
                       orNull(m.latchedAt), orNull(m.latchedAction), orNull(m.latchedReason), pg::utf8(summary),
                       jsonText(m.conditionsJson()));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("storing the guard state of \"%1\"").arg(deployment));
    }
}

Result<GuardMemory> GuardStore::rearm(const QString &deployment)
{
    auto before = memory(deployment);
    if (!before)
        return before.error();
    GuardMemory cleared = *before;
    GuardStateMachine::rearm(cleared);
    if (Status s = saveMemory(deployment, cleared, QStringLiteral("re-armed")); !s)
        return s.error();
    return *before;
}

Status GuardStore::raiseAlert(const QString &deployment, const QString &dedupKey, const QString &title,
                              const QJsonObject &details)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("INSERT INTO mldeck.deployments (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                       pg::utf8(deployment));
        tx.commit();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("raising the guard alert \"%1\"").arg(title));
    }
    const auto raised = AlertStore(m_conn).raise(deployment, QStringLiteral("guardrail"), QStringLiteral("critical"),
                                                 dedupKey, title, details);
    if (!raised)
        return raised.error();
    return {};
}

} // namespace mldeck
