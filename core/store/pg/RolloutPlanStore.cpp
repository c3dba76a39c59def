#include "core/store/pg/RolloutPlanStore.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QJsonDocument>
#include <QStringList>

namespace mldeck {

namespace {

QString stepsLiteral(const QList<int> &steps)
{
    QStringList parts;
    for (int s : steps)
        parts << QString::number(s);
    return QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

std::string jsonText(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

} // namespace

RolloutPlanStore::RolloutPlanStore(PgConnection &conn) : m_conn(conn) {}

Result<RolloutPlanStore::Stored> RolloutPlanStore::load(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT array_to_string(steps, ','), min_samples, min_soak_s, max_mae, min_r2, max_latency_p95_ms, "
            "max_error_rate, current_step, (extract(epoch FROM step_started_at) * 1000)::bigint, min_accuracy, min_f1, "
            "max_log_loss, max_ece, gate_combination, max_estimated_mae, min_labelled FROM mldeck.rollout_plans "
            "WHERE deployment = $1",
            pg::utf8(deployment));
        Stored s;
        if (rows.empty())
            return s;
        const pqxx::row c = rows[0];
        s.exists = true;
        s.plan.steps.clear();
        for (const QString &p : pg::text(c[0]).split(QLatin1Char(','), Qt::SkipEmptyParts))
            s.plan.steps << p.toInt();
        s.plan.gates.minSamples = c[1].as<qint64>();
        s.plan.gates.minSoakSeconds = c[2].as<qint64>();
        s.plan.gates.maxMae = c[3].as<double>();
        s.plan.gates.minR2 = c[4].as<double>();
        s.plan.gates.maxLatencyP95Ms = c[5].as<double>();
        s.plan.gates.maxErrorRate = c[6].as<double>();
        s.currentStep = c[7].as<int>();
        s.stepSince = pg::msecs(c[8]);
        const auto optional = [](const pqxx::field &f) {
            return f.is_null() ? std::nullopt : std::optional<double>(f.as<double>());
        };
        s.plan.gates.minAccuracy = c[9].as<double>();
        s.plan.gates.minF1 = optional(c[10]);
        s.plan.gates.maxLogLoss = optional(c[11]);
        s.plan.gates.maxEce = optional(c[12]);
        s.plan.gates.maxEstimatedMae = optional(c[14]);
        s.plan.gates.minLabelled = c[15].is_null() ? std::nullopt : std::optional<qint64>(c[15].as<qint64>());
        if (Status read = plan::combinationsFromJson(pg::jsonObject(c[13]), s.plan); !read)
            return Error{StoreText::tr("The rollout plan of \"%1\": %2").arg(deployment, read.errorMessage())};
        return s;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the rollout plan of \"%1\"").arg(deployment));
    }
}

Status RolloutPlanStore::save(const QString &deployment, const StagedPlan &plan, int currentStep)
{
    if (currentStep < -1 || currentStep >= plan.steps.size())
        return Error{StoreText::tr("The current step %1 is not a step of this plan.").arg(currentStep)};
    const PlanGates &g = plan.gates;
    try {
        pqxx::work tx(pg::raw(m_conn));
        // Combinations are checked against the deployment's own task: gates it does not have never decide.
        const pqxx::result task = tx.exec_params(
            "SELECT task = 'classification' FROM mldeck.deployments WHERE name = $1", pg::utf8(deployment));
        if (Status s = plan::validate(plan, task.empty() ? std::nullopt : std::optional<bool>(task[0][0].as<bool>()));
            !s)
            return s;
        tx.exec_params(
            "INSERT INTO mldeck.rollout_plans AS p (deployment, steps, min_samples, min_soak_s, max_mae, min_r2, "
            "max_latency_p95_ms, max_error_rate, current_step, step_started_at, min_accuracy, min_f1, max_log_loss, "
            "max_ece, gate_combination, max_estimated_mae, min_labelled) "
            "VALUES ($1, $2::int[], $3, $4, $5, $6, $7, $8, $9::int, CASE WHEN $9::int >= 0 THEN now() END, $10, $11, "
            "$12, $13, $14::jsonb, $15, $16) "
            "ON CONFLICT (deployment) DO UPDATE SET steps = EXCLUDED.steps, min_samples = EXCLUDED.min_samples, "
            "min_soak_s = EXCLUDED.min_soak_s, max_mae = EXCLUDED.max_mae, min_r2 = EXCLUDED.min_r2, "
            "max_latency_p95_ms = EXCLUDED.max_latency_p95_ms, max_error_rate = EXCLUDED.max_error_rate, "
            "min_accuracy = EXCLUDED.min_accuracy, min_f1 = EXCLUDED.min_f1, max_log_loss = EXCLUDED.max_log_loss, "
            "max_ece = EXCLUDED.max_ece, gate_combination = EXCLUDED.gate_combination, "
            "max_estimated_mae = EXCLUDED.max_estimated_mae, min_labelled = EXCLUDED.min_labelled, "
            "current_step = EXCLUDED.current_step, "
            "step_started_at = CASE WHEN EXCLUDED.current_step < 0 THEN NULL "
            "  WHEN EXCLUDED.current_step = p.current_step AND p.steps[p.current_step + 1] = "
            "EXCLUDED.steps[EXCLUDED.current_step + 1] "
            "  THEN p.step_started_at ELSE now() END, "
            "updated_at = now(), updated_by = session_user",
            pg::utf8(deployment), pg::utf8(stepsLiteral(plan.steps)), qint64(g.minSamples), qint64(g.minSoakSeconds),
            g.maxMae, g.minR2, g.maxLatencyP95Ms, g.maxErrorRate, currentStep, g.minAccuracy, g.minF1, g.maxLogLoss,
            g.maxEce, jsonText(plan::combinationsToJson(plan)), g.maxEstimatedMae, g.minLabelled);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("storing the rollout plan of \"%1\"").arg(deployment));
    }
}

Status RolloutPlanStore::setCurrentStep(const QString &deployment, int step)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("UPDATE mldeck.rollout_plans SET current_step = $2, step_started_at = now(), "
                           "updated_at = now(), updated_by = session_user "
                           "WHERE deployment = $1 RETURNING 1",
                           pg::utf8(deployment), step);
        tx.commit();
        if (r.empty())
            return Error{StoreText::tr("Deployment \"%1\" has no stored plan.").arg(deployment)};
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("moving the rollout plan of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
