#include "core/store/pg/GuardStore.h"

#include "core/store/pg/PgConnection.h"

#include <QJsonDocument>
#include <QTimeZone>

namespace mldeck {

namespace {

QDateTime fromEpochMs(const QString &cell)
{
    if (cell.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(qint64(cell.toDouble()), Qt::UTC);
}

QString toTs(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

} // namespace

GuardStore::GuardStore(PgConnection &conn) : m_conn(conn) {}

Result<GuardRules> GuardStore::rules(const QString &deployment)
{
    auto rows = m_conn.query(QStringLiteral("SELECT enabled, window_s, interval_s, min_samples, consecutive_breaches, "
                                            "rollback_error_rate, max_latency_p95_ms, max_mae "
                                            "FROM mldeck.guard_rules WHERE deployment = $1"),
                             {deployment});
    if (!rows)
        return rows.error();
    GuardRules r;
    if (rows->isEmpty())
        return r;
    const QStringList c = rows->first();
    r.enabled = c.value(0) == QLatin1String("t");
    r.windowSeconds = c.value(1).toInt();
    r.intervalSeconds = c.value(2).toInt();
    r.minSamples = c.value(3).toLongLong();
    r.consecutiveBreaches = c.value(4).toInt();
    r.rollbackErrorRate = c.value(5).toDouble();
    r.maxLatencyP95Ms = c.value(6).toDouble();
    r.maxMae = c.value(7).toDouble();
    return r;
}

Status GuardStore::saveRules(const QString &deployment, const GuardRules &r)
{
    if (const QString why = r.validate(); !why.isEmpty())
        return Error{why};
    auto res = m_conn.query(
        QStringLiteral(
            "INSERT INTO mldeck.guard_rules (deployment, enabled, window_s, interval_s, min_samples, "
            "consecutive_breaches, rollback_error_rate, max_latency_p95_ms, max_mae) "
            "VALUES ($1, $2::boolean, $3::int, $4::int, $5::bigint, $6::int, $7::float8, $8::float8, $9::float8) "
            "ON CONFLICT (deployment) DO UPDATE SET enabled = EXCLUDED.enabled, window_s = EXCLUDED.window_s, "
            "interval_s = EXCLUDED.interval_s, min_samples = EXCLUDED.min_samples, "
            "consecutive_breaches = EXCLUDED.consecutive_breaches, rollback_error_rate = EXCLUDED.rollback_error_rate, "
            "max_latency_p95_ms = EXCLUDED.max_latency_p95_ms, max_mae = EXCLUDED.max_mae, updated_at = now(), "
            "updated_by = session_user"),
        {deployment, r.enabled ? QStringLiteral("true") : QStringLiteral("false"), QString::number(r.windowSeconds),
         QString::number(r.intervalSeconds), QString::number(r.minSamples), QString::number(r.consecutiveBreaches),
         QString::number(r.rollbackErrorRate, 'g', 17), QString::number(r.maxLatencyP95Ms, 'g', 17),
         QString::number(r.maxMae, 'g', 17)});
    if (!res)
        return res.error();
    return {};
}

Result<GuardMemory> GuardStore::memory(const QString &deployment)
{
    auto rows = m_conn.query(
        QStringLiteral("SELECT severe_streak, degraded_streak, extract(epoch FROM last_evaluated_at) * 1000, latched, "
                       "extract(epoch FROM latched_at) * 1000, latched_action, latched_reason "
                       "FROM mldeck.guard_state WHERE deployment = $1"),
        {deployment});
    if (!rows)
        return rows.error();
    GuardMemory m;
    if (rows->isEmpty())
        return m;
    const QStringList c = rows->first();
    m.severeStreak = c.value(0).toInt();
    m.degradedStreak = c.value(1).toInt();
    m.lastEvaluatedAt = fromEpochMs(c.value(2));
    m.latched = c.value(3) == QLatin1String("t");
    m.latchedAt = fromEpochMs(c.value(4));
    m.latchedAction = c.value(5);
    m.latchedReason = c.value(6);
    return m;
}

Status GuardStore::saveMemory(const QString &deployment, const GuardMemory &m, const QString &summary)
{
    auto res = m_conn.query(
        QStringLiteral("INSERT INTO mldeck.guard_state (deployment, severe_streak, degraded_streak, last_evaluated_at, "
                       "latched, latched_at, latched_action, latched_reason, last_summary) "
                       "VALUES ($1, $2::int, $3::int, $4::timestamptz, $5::boolean, $6::timestamptz, $7, $8, $9) "
                       "ON CONFLICT (deployment) DO UPDATE SET severe_streak = EXCLUDED.severe_streak, "
                       "degraded_streak = EXCLUDED.degraded_streak, last_evaluated_at = EXCLUDED.last_evaluated_at, "
                       "latched = EXCLUDED.latched, latched_at = EXCLUDED.latched_at, "
                       "latched_action = EXCLUDED.latched_action, latched_reason = EXCLUDED.latched_reason, "
                       "last_summary = EXCLUDED.last_summary, updated_at = now()"),
        {deployment, QString::number(m.severeStreak), QString::number(m.degradedStreak), toTs(m.lastEvaluatedAt),
         m.latched ? QStringLiteral("true") : QStringLiteral("false"), toTs(m.latchedAt),
         m.latchedAction.isEmpty() ? QString() : m.latchedAction,
         m.latchedReason.isEmpty() ? QString() : m.latchedReason, summary});
    if (!res)
        return res.error();
    return {};
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
    auto ensure = m_conn.query(
        QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"),
        {deployment});
    if (!ensure)
        return ensure.error();
    const QString json = QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact));
    auto res = m_conn.query(
        QStringLiteral("INSERT INTO mldeck.alerts (deployment, kind, severity, dedup_key, title, details) "
                       "VALUES ($1, 'guardrail', 'critical', $2, $3, $4::jsonb) "
                       "ON CONFLICT (deployment, dedup_key) WHERE resolved_at IS NULL AND dedup_key IS NOT NULL "
                       "DO UPDATE SET last_seen_at = now(), details = EXCLUDED.details, title = EXCLUDED.title"),
        {deployment, dedupKey, title, json});
    if (!res)
        return res.error();
    return {};
}

} // namespace mldeck
