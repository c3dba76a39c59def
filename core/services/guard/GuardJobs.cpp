#include "core/services/guard/GuardJob.h"
#include "core/services/guard/RetentionGuardJob.h"

namespace mldeck {

Actor guardActor(const GuardContext &context)
{
    Actor actor = Actor::guard();
    if (!context.actor.isEmpty())
        actor.name = context.actor;
    return actor;
}

std::vector<std::unique_ptr<GuardJob>> standardGuardJobs()
{
    std::vector<std::unique_ptr<GuardJob>> jobs;
    if (auto rollout = makeRolloutGuardJob())
        jobs.push_back(std::move(rollout));
    if (auto drift = makeDriftGuardJob())
        jobs.push_back(std::move(drift));
    if (auto kpiAlerts = makeKpiAlertGuardJob()) // KPI alert rules
        jobs.push_back(std::move(kpiAlerts));
    if (auto retrain = makeRetrainGuardJob())
        jobs.push_back(std::move(retrain));
    if (auto nanny = makeNannyGuardJob()) // estimated MAE before outcomes
        jobs.push_back(std::move(nanny));
    if (auto auditChain = makeAuditChainGuardJob())
        jobs.push_back(std::move(auditChain));
    if (auto retention = makeRetentionGuardJob()) // raw rows past retention, minute aggregates folded
        jobs.push_back(std::move(retention));
    return jobs;
}

} // namespace mldeck
