#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/FlagState.h"
#include "core/domain/Result.h"
#include "core/rollout/StagedPlan.h"
#include "core/rollout/WhatIf.h"
#include "core/services/FlagService.h"
#include "core/services/PgService.h" // declares Result<QStringList> as a metatype

#include <QMetaType>
#include <QObject>
#include <QStringList>
#include <QUuid>

#include <memory>

namespace mldeck {

class JobThread;
class FlagWatcher;

// A stored plan as the editor of its gates combination needs it, with the deployment's task (which
// gates apply: MAE and R² for a regression, accuracy for a classifier).
struct PlanSettings
{
    StagedPlan plan;
    bool classifier = false;
};

// The asynchronous face of rollout control for the GUI: lives on the UI thread, runs every
// blocking call on its own JobThread, and answers every request with its result signal exactly
// once (also on errors and timeouts). Following a deployment live runs on a separate watcher
// thread (a subscribed Redis connection can do nothing else).
class RolloutService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RolloutService)

public:
    explicit RolloutService(QObject *parent = nullptr);
    ~RolloutService() override;

    void setEndpoints(const RedisEndpoint &redis, const PgEndpoint &pg);
    void listDeployments();                                                              // -> deploymentsListed
    void watch(const QString &deployment);                                               // -> flagsChanged (live)
    void apply(const QString &deployment, const FlagEdit &edit, qint64 expectedVersion); // -> applied
    void rollback(const QString &deployment, const QString &reason);                     // -> rolledBack
    void previewWhatIf(const QString &deployment, int percentage);                       // -> whatIfReady
    void loadPlan(const QString &deployment);                                            // -> planLoaded
    void savePlan(const QString &deployment, const QList<int> &steps);                   // -> planSaved
    void advancePlan(const QString &deployment, const QString &overrideReason = {});     // -> planAdvanced
    void loadPlanSettings(const QString &deployment);                                    // -> planSettingsLoaded
    // The plan-wide and per-step combinations through PlanService::save (validated, audited), the rest
    // of the stored plan kept as it is. -> planCombinationsSaved, with the plan as stored afterwards.
    void savePlanCombinations(const QString &deployment, const GateCombination &combination,
                              const QMap<int, GateCombination> &steps);

    // Tests point the audit spool somewhere private; the actor defaults to the OS user.
    void setSpoolDirectory(const QString &directory);
    void setActor(const Actor &actor);
    void stopWatching();

Q_SIGNALS:
    void deploymentsListed(const mldeck::Result<QStringList> &names);
    void flagsChanged(const mldeck::FlagState &state, bool changedByOther, const QString &changedBy);
    void applied(const mldeck::ApplyOutcome &outcome);
    void rolledBack(const mldeck::ApplyOutcome &outcome);
    void whatIfReady(const mldeck::Result<mldeck::WhatIf> &whatIf);
    void planLoaded(const mldeck::Result<mldeck::PlanStatus> &plan);
    void planSaved(const mldeck::Status &status);
    void planAdvanced(const mldeck::Result<mldeck::PlanStatus> &plan);
    void planSettingsLoaded(const QString &deployment, const mldeck::Result<mldeck::PlanSettings> &settings);
    void planCombinationsSaved(const QString &deployment, const mldeck::Result<mldeck::PlanSettings> &settings);
    void connectionProblem(
        const QString &message); // Redis or PostgreSQL unreachable/hung; the UI must not show stale data as live

private:
    struct Worker;
    void resetWorker();
    void onWatchedState(const FlagState &state, const QString &changeId);
    QUuid rememberOwn();

    RedisEndpoint m_redis;
    PgEndpoint m_pg;
    QString m_spoolDir;
    Actor m_actor;
    std::shared_ptr<Worker> m_worker; // touched only inside jobs on m_jobs
    JobThread *m_jobs = nullptr;
    std::unique_ptr<FlagWatcher> m_watcher;
    QString m_watched;
    std::shared_ptr<int> m_watchToken; // a new one per watch(): late callbacks of an old watch are dropped
    QStringList m_ownChangeIds;        // change ids this service applied (to tell our echo from others)
    qint64 m_lastSeenVersion = -1;
    FlagState m_lastSeen;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::FlagState)
Q_DECLARE_METATYPE(mldeck::ApplyOutcome)
Q_DECLARE_METATYPE(mldeck::Result<mldeck::WhatIf>)
Q_DECLARE_METATYPE(mldeck::Result<mldeck::PlanStatus>)
Q_DECLARE_METATYPE(mldeck::Result<mldeck::PlanSettings>)
Q_DECLARE_METATYPE(mldeck::Status)
