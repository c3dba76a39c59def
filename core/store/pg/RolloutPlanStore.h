#pragma once

#include "core/domain/Result.h"
#include "core/rollout/StagedPlan.h"

#include <QDateTime>

namespace mldeck {

class PgConnection;

// Staged plans per deployment (mldeck.rollout_plans) with the current step and when it began.
class RolloutPlanStore final
{
public:
    struct Stored
    {
        StagedPlan plan; // defaults when none is stored
        int currentStep = -1;
        QDateTime stepSince;
        bool exists = false;
    };

    explicit RolloutPlanStore(PgConnection &conn);

    Result<Stored> load(const QString &deployment);
    // Validates first (a readable refusal changes nothing), then stores plan and current step.
    Status save(const QString &deployment, const StagedPlan &plan, int currentStep);
    Status setCurrentStep(const QString &deployment, int step); // step_started_at = now()

private:
    PgConnection &m_conn;
};

} // namespace mldeck
