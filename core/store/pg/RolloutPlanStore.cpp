#include "core/store/pg/RolloutPlanStore.h"

#include "core/store/pg/PgConnection.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QStringList>
#include <QTimeZone>

namespace mldeck {

namespace {

QString stepsLiteral(const QList<int> &steps)
{
    QStringList parts;
    for (int s : steps)
        parts << QString::number(s);
    return QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

} // namespace

RolloutPlanStore::RolloutPlanStore(PgConnection &conn) : m_conn(conn) {}

Result<RolloutPlanStore::Stored> RolloutPlanStore::load(const QString &deployment)
{
    auto rows = m_conn.query(
        QStringLiteral("SELECT array_to_string(steps, ','), min_samples, min_soak_s, max_mae, min_r2, max_latency_p95_ms, "
                       "max_error_rate, current_step, extract(epoch FROM step_started_at) * 1000 "
                       "FROM mldeck.rollout_plans WHERE deployment = $1"),
        {deployment});
    if (!rows)
        return rows.error();
    Stored s;
    if (rows->isEmpty())
        return s;
    const QStringList c = rows->first();
    s.exists = true;
    s.plan.steps.clear();
    for (const QString &p : c.value(0).split(QLatin1Char(','), Qt::SkipEmptyParts))
        s.plan.steps << p.toInt();
    s.plan.gates.minSamples = c.value(1).toLongLong();
    s.plan.gates.minSoakSeconds = c.value(2).toLongLong();
    s.plan.gates.maxMae = c.value(3).toDouble();
    s.plan.gates.minR2 = c.value(4).toDouble();
    s.plan.gates.maxLatencyP95Ms = c.value(5).toDouble();
    s.plan.gates.maxErrorRate = c.value(6).toDouble();
    s.currentStep = c.value(7).toInt();
    if (!c.value(8).isNull())
        s.stepSince = QDateTime::fromMSecsSinceEpoch(qint64(c.value(8).toDouble()), Qt::UTC);
    return s;
}

Status RolloutPlanStore::save(const QString &deployment, const StagedPlan &plan, int currentStep)
{
    if (Status s = plan::validate(plan); !s)
        return s;
    if (currentStep < -1 || currentStep >= plan.steps.size())
        return Error{StoreText::tr("The current step %1 is not a step of this plan.").arg(currentStep)};
    const PlanGates &g = plan.gates;
    auto res = m_conn.query(
        QStringLiteral(
            "INSERT INTO mldeck.rollout_plans AS p (deployment, steps, min_samples, min_soak_s, max_mae, min_r2, "
            "max_latency_p95_ms, max_error_rate, current_step, step_started_at) "
            "VALUES ($1, $2::int[], $3::bigint, $4::bigint, $5::float8, $6::float8, $7::float8, $8::float8, $9::int, "
            "CASE WHEN $9::int >= 0 THEN now() END) "
            "ON CONFLICT (deployment) DO UPDATE SET steps = EXCLUDED.steps, min_samples = EXCLUDED.min_samples, "
            "min_soak_s = EXCLUDED.min_soak_s, max_mae = EXCLUDED.max_mae, min_r2 = EXCLUDED.min_r2, "
            "max_latency_p95_ms = EXCLUDED.max_latency_p95_ms, max_error_rate = EXCLUDED.max_error_rate, "
            "current_step = EXCLUDED.current_step, "
            "step_started_at = CASE WHEN EXCLUDED.current_step < 0 THEN NULL "
            "  WHEN EXCLUDED.current_step = p.current_step AND p.steps[p.current_step + 1] = EXCLUDED.steps[EXCLUDED.current_step + 1] "
            "  THEN p.step_started_at ELSE now() END, "
            "updated_at = now(), updated_by = session_user"),
        {deployment, stepsLiteral(plan.steps), QString::number(g.minSamples), QString::number(g.minSoakSeconds),
         QString::number(g.maxMae, 'g', 17), QString::number(g.minR2, 'g', 17),
         QString::number(g.maxLatencyP95Ms, 'g', 17), QString::number(g.maxErrorRate, 'g', 17),
         QString::number(currentStep)});
    if (!res)
        return res.error();
    return {};
}

Status RolloutPlanStore::setCurrentStep(const QString &deployment, int step)
{
    auto res = m_conn.query(QStringLiteral("UPDATE mldeck.rollout_plans SET current_step = $2::int, "
                                           "step_started_at = now(), updated_at = now(), updated_by = session_user "
                                           "WHERE deployment = $1 RETURNING 1"),
                            {deployment, QString::number(step)});
    if (!res)
        return res.error();
    if (res->isEmpty())
        return Error{StoreText::tr("Deployment \"%1\" has no stored plan.").arg(deployment)};
    return {};
}

} // namespace mldeck
