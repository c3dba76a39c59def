#include "core/services/PlanService.h"

#include "core/Text.h"
#include "core/domain/Figure.h"
#include "core/rollout/FlagValues.h"
#include "core/services/FlagService.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RolePermissions.h"
#include "core/store/pg/RolloutPlanStore.h"
#include "core/store/pg/WindowMetricsQuery.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace mldeck {

namespace {

// Gates look at the current step only: the window runs from the step's start (at least a
// minute, at most a day).
int windowSeconds(const QDateTime &since, const QDateTime &now)
{
    const qint64 s = since.isValid() ? since.secsTo(now) : 60;
    return int(qBound(qint64(60), s, qint64(86400)));
}

} // namespace

PlanService::PlanService(FlagService &flags) : m_flags(flags) {}

Result<StagedPlan> PlanService::plan(const QString &deployment)
{
    auto db = m_flags.pg();
    if (!db)
        return db.error();
    auto stored = RolloutPlanStore(**db).load(deployment);
    if (!stored) {
        m_flags.dropPg();
        return stored.error();
    }
    return stored->plan;
}

Result<PlanStatus> PlanService::status(const QString &deployment)
{
    auto db = m_flags.pg();
    if (!db)
        return db.error();
    auto stored = RolloutPlanStore(**db).load(deployment);
    if (!stored) {
        m_flags.dropPg();
        return stored.error();
    }
    RolloutPlanStore::Stored st = stored.value();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    // When the flags were moved by hand past the recorded step (or no plan was saved yet), the step
    // shown is the highest one the live percentage has reached, soaking since that change.
    if (auto flags = m_flags.read(deployment); flags && flags->isValid() && flags->mlEnabled) {
        const QList<int> &steps = st.plan.steps;
        int reached = -1;
        for (int i = 0; i < steps.size() && steps.at(i) <= flags->trafficPercentage; ++i)
            reached = i;
        if (reached > st.currentStep) {
            st.currentStep = reached;
            st.stepSince = flags->updatedAt.isValid() ? flags->updatedAt : now;
        }
    }
    WindowMetrics metrics;
    if (st.currentStep >= 0) {
        auto m = WindowMetricsQuery(**db).mlWindow(deployment, windowSeconds(st.stepSince, now));
        if (!m) {
            m_flags.dropPg();
            return m.error();
        }
        metrics = *m;
    }
    return plan::status(st.plan, st.currentStep, st.stepSince, metrics, now);
}

Result<PlanStatus> PlanService::save(const QString &deployment, const StagedPlan &p, const Actor &actor)
{
    // The store validates the plan, against the deployment's task, before writing anything.
    auto flags = m_flags.read(deployment);
    if (!flags)
        return flags.error();
    int current = -1;
    if (flags->isValid() && flags->mlEnabled)
        current = int(p.steps.indexOf(flags->trafficPercentage));
    auto db = m_flags.pg();
    if (!db)
        return db.error();
    RolloutPlanStore store(**db);
    auto before = store.load(deployment);
    if (!before) {
        m_flags.dropPg();
        return before.error();
    }
    AuditRecord record = AuditRecord::make(QStringLiteral("plan.save"), deployment, actor, QString());
    if (before->exists)
        record.before = plan::toAuditJson(before->plan, before->currentStep);
    record.after = plan::toAuditJson(p, current);
    if (Status s = store.save(deployment, p, current); !s)
        return s.error();
    if (Status s = m_flags.audit(record); !s)
        return Error{
            ServiceText::tr("The plan was saved but its audit row could not be written: %1").arg(s.errorMessage())};
    return status(deployment);
}

Result<PlanStatus> PlanService::advance(const QString &deployment, const QString &overrideReason, const Actor &actor)
{
    auto db = m_flags.pg();
    if (!db)
        return db.error();
    // The flags move before the step is recorded: a role that may write audit rows but not the plan
    // (a scientist) would move them and then be refused. Ask the database first.
    const auto permissions = RolePermissions::read(**db);
    if (!permissions) {
        m_flags.dropPg();
        return permissions.error();
    }
    if (!permissions->may(RoleAction::PlanAdvance))
        return Error{permissions->refusal(RoleAction::PlanAdvance)};
    auto stored = RolloutPlanStore(**db).load(deployment);
    if (!stored) {
        m_flags.dropPg();
        return stored.error();
    }
    if (!stored->exists)
        return Error{ServiceText::tr("Deployment \"%1\" has no staged plan yet; save one first (mldeckctl plan set).")
                         .arg(deployment)};
    auto now = status(deployment);
    if (!now)
        return now.error();
    auto flags = m_flags.read(deployment);
    if (!flags)
        return flags.error();
    if (!flags->exists)
        return Error{ServiceText::tr("Deployment \"%1\" has no flags in Redis (create them with mldeckctl flags init).")
                         .arg(deployment)};
    auto next = plan::nextStep(stored->plan, stored->currentStep);
    if (!next)
        return next.error();
    // Advancing never lowers ML traffic: when someone already moved the flags past the recorded
    // step, the next step is the first one above the live percentage.
    const int live = flags->isValid() && flags->mlEnabled ? flags->trafficPercentage : 0;
    while (*next < stored->plan.steps.size() && stored->plan.steps.at(*next) <= live)
        next = *next + 1;
    if (*next >= stored->plan.steps.size())
        return Error{
            ServiceText::tr("ML traffic is already at %1 %, at or above the plan's last step: nothing to advance.")
                .arg(live)};
    const bool override = !overrideReason.trimmed().isEmpty();
    if (!now->canAdvance && !override) {
        if (now->outcome == GateState::Inconclusive)
            return Error{ServiceText::tr("Not advanced: the gates (%1) are inconclusive, waiting for %2. Wait, or give "
                                         "an override reason.")
                             .arg(now->combination.modeText(), now->waitingFor.join(QStringLiteral("; ")))};
        QStringList failing;
        for (const GateStatus &g : now->gates)
            if (g.state == GateState::Fail && !g.advisory)
                failing << ServiceText::tr("%1 = %2 (threshold %3)")
                               .arg(g.name, figureText(g.value, [](double v) { return QString::number(v, 'g', 4); }))
                               .arg(g.threshold);
        if (failing.isEmpty()) // no gate fails, yet the combination cannot be met by the gates this step has
            return Error{ServiceText::tr("Not advanced: the combination (%1) can never be met by the gates this "
                                         "deployment has. Change the plan, or give an override reason.")
                             .arg(now->combination.modeText())};
        return Error{ServiceText::tr("Not advanced: gates failing (%1): %2. Wait, or give an override reason.")
                         .arg(now->combination.modeText(), failing.join(QStringLiteral("; ")))};
    }
    const int from = live;
    const int to = stored->plan.steps.at(*next);
    FlagEdit edit;
    edit.mlEnabled = true;
    edit.trafficPercentage = to;
    const QString reason = override
                               ? overrideReason.trimmed()
                               : ServiceText::tr("staged plan: step %1 (%2 %) -> step %3 (%4 %), gates passed (%5)")
                                     .arg(stored->currentStep + 1)
                                     .arg(from)
                                     .arg(*next + 1)
                                     .arg(to)
                                     .arg(now->combination.modeText());
    QJsonObject details{{QStringLiteral("plan_step_from"), stored->currentStep},
                        {QStringLiteral("plan_step_to"), *next},
                        {QStringLiteral("gates"), plan::toAuditJson(now->gates)},
                        {QStringLiteral("gate_combination"), now->combination.toJson()},
                        {QStringLiteral("override"), override}};
    const ApplyOutcome out =
        m_flags.apply(deployment, edit, flags->version, reason, actor,
                      override ? QStringLiteral("plan.advance.override") : QStringLiteral("plan.advance"), details);
    if (!out.applied)
        return Error{out.message};
    auto db2 = m_flags.pg();
    if (!db2)
        return Error{ServiceText::tr("The percentage is now %1 %, but the plan step could not be recorded: %2")
                         .arg(to)
                         .arg(db2.errorMessage())};
    if (Status s = RolloutPlanStore(**db2).setCurrentStep(deployment, *next); !s)
        return Error{ServiceText::tr("The percentage is now %1 %, but the plan step could not be recorded: %2")
                         .arg(to)
                         .arg(s.errorMessage())};
    return status(deployment);
}

Result<WhatIf> PlanService::whatIf(const QString &deployment, int percentage)
{
    if (!isValidTrafficPercentage(percentage))
        return Error{
            ServiceText::tr("The ML traffic percentage must be a whole number from 0 to 100, not %1.").arg(percentage)};
    auto flags = m_flags.read(deployment);
    if (!flags)
        return flags.error();
    auto db = m_flags.pg();
    if (!db)
        return db.error();
    auto data = WindowMetricsQuery(**db).whatIfData(deployment, 24);
    if (!data) {
        m_flags.dropPg();
        return data.error();
    }
    return computeWhatIf(deployment, data->keys, *flags, percentage, data->mlMae, data->heuristicMae);
}

} // namespace mldeck
