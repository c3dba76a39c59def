#pragma once

#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/rollout/StagedPlan.h"
#include "core/rollout/WhatIf.h"

namespace mldeck {

class FlagService;

// Staged rollout plans: load with live gates, save, advance (through FlagService, audited).
// Synchronous, on the thread that owns the FlagService (the CLI, or RolloutService's JobThread).
class PlanService final
{
public:
    explicit PlanService(FlagService &flags);

    // The stored plan (or the default one), gates evaluated on the ML window since the step began.
    Result<PlanStatus> status(const QString &deployment);
    Result<StagedPlan> plan(const QString &deployment);

    // Validates (readable refusal, nothing stored), stores, audits "plan.save". The current step
    // becomes the step equal to the live percentage when ML is on (else: not started).
    Result<PlanStatus> save(const QString &deployment, const StagedPlan &plan, const Actor &actor);

    // Moves to the next step only when every gate passes; overrideReason (non-empty) forces it and
    // is audited as an override. The percentage is set through FlagService (audited, CAS).
    Result<PlanStatus> advance(const QString &deployment, const QString &overrideReason, const Actor &actor);

    // The what-if preview over the last 24 h of logged request keys.
    Result<WhatIf> whatIf(const QString &deployment, int percentage);

private:
    FlagService &m_flags;
};

} // namespace mldeck
