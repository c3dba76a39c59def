#include "core/services/RolloutService.h"

#include "core/services/FlagWatcher.h"
#include "core/services/JobThread.h"
#include "core/services/PlanService.h"
#include "core/store/pg/AlertRuleStore.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcRolloutService, "mldeck.services.rollout", QtWarningMsg)

namespace mldeck {

// Everything the JobThread touches; created and used only inside jobs.
struct RolloutService::Worker
{
    Worker(const RedisEndpoint &redis, const PgEndpoint &pg, const QString &spoolDir)
        : flags(redis, pg, spoolDir.isEmpty() ? AuditSpool::defaultDirectory() : spoolDir), plans(flags)
    {
    }
    FlagService flags;
    PlanService plans;

    Result<PlanSettings> planSettings(const QString &deployment)
    {
        auto stored = plans.plan(deployment);
        if (!stored)
            return stored.error();
        auto db = flags.pg();
        if (!db)
            return db.error();
        auto classifier = AlertRuleStore(**db).classifier(deployment);
        if (!classifier) {
            flags.dropPg();
            return classifier.error();
        }
        return PlanSettings{*stored, *classifier};
    }
};

namespace {

void registerTypes()
{
    static const bool once = [] {
        qRegisterMetaType<mldeck::FlagState>();
        qRegisterMetaType<mldeck::ApplyOutcome>();
        qRegisterMetaType<mldeck::Result<QStringList>>();
        qRegisterMetaType<mldeck::Result<mldeck::WhatIf>>();
        qRegisterMetaType<mldeck::Result<mldeck::PlanStatus>>();
        qRegisterMetaType<mldeck::Result<mldeck::PlanSettings>>();
        qRegisterMetaType<mldeck::Status>();
        return true;
    }();
    Q_UNUSED(once);
}

} // namespace

RolloutService::RolloutService(QObject *parent)
    : QObject(parent), m_actor(Actor::current()), m_jobs(new JobThread(QStringLiteral("mldeck-rollout"), this))
{
    registerTypes();
    resetWorker();
}

RolloutService::~RolloutService()
{
    stopWatching();
}

void RolloutService::resetWorker()
{
    // A fresh worker per configuration; the previous one is released by its last job.
    m_worker = std::make_shared<Worker>(m_redis, m_pg, m_spoolDir);
}

void RolloutService::setEndpoints(const RedisEndpoint &redis, const PgEndpoint &pg)
{
    m_redis = redis;
    m_pg = pg;
    resetWorker();
    if (!m_watched.isEmpty())
        watch(m_watched);
}

void RolloutService::setSpoolDirectory(const QString &directory)
{
    m_spoolDir = directory;
    resetWorker();
}

void RolloutService::setActor(const Actor &actor)
{
    m_actor = actor;
}

void RolloutService::listDeployments()
{
    auto w = m_worker;
    m_jobs->post(
        this, [w] { return w->flags.deployments(); },
        [this](Result<QStringList> r) {
            if (!r)
                Q_EMIT connectionProblem(r.errorMessage());
            Q_EMIT deploymentsListed(r);
        });
}

void RolloutService::stopWatching()
{
    if (m_watcher)
        m_watcher->stop();
    m_watcher.reset();
}

void RolloutService::watch(const QString &deployment)
{
    stopWatching();
    m_watched = deployment;
    m_lastSeenVersion = -1;
    if (deployment.isEmpty())
        return;
    // Callbacks arrive on the watcher's thread; they are handed to qApp's (the UI) thread and
    // dropped there if this service is gone or watches something else by then.
    QPointer<RolloutService> self(this);
    auto token = std::make_shared<int>(0);
    m_watchToken = token;
    std::weak_ptr<int> weak = token;
    QObject *context = QCoreApplication::instance() ? static_cast<QObject *>(QCoreApplication::instance()) : this;
    m_watcher = std::make_unique<FlagWatcher>(
        m_redis, deployment,
        [self, weak, context](const FlagState &state, const QString &changeId) {
            QMetaObject::invokeMethod(
                context,
                [self, weak, state, changeId] {
                    if (self && !weak.expired())
                        self->onWatchedState(state, changeId);
                },
                Qt::QueuedConnection);
        },
        [self, weak, context](const QString &message) {
            QMetaObject::invokeMethod(
                context,
                [self, weak, message] {
                    if (self && !weak.expired())
                        Q_EMIT self->connectionProblem(message);
                },
                Qt::QueuedConnection);
        });
}

void RolloutService::onWatchedState(const FlagState &state, const QString &changeId)
{
    // Our own writes come back through the channel too; compare their change ids.
    // Anything else that changed what we last showed (another console, the guard, redis-cli)
    // is someone else's; the first read after watch() is not a change.
    const bool own = !changeId.isEmpty() && m_ownChangeIds.contains(changeId);
    const bool differs =
        m_lastSeen.exists != state.exists || m_lastSeen.version != state.version ||
        m_lastSeen.mlEnabled != state.mlEnabled || m_lastSeen.trafficPercentage != state.trafficPercentage ||
        m_lastSeen.fallbackOnError != state.fallbackOnError || m_lastSeen.invalidFields != state.invalidFields;
    const bool byOther = !own && m_lastSeenVersion >= 0 && differs;
    m_lastSeenVersion = state.version;
    m_lastSeen = state;
    Q_EMIT flagsChanged(state, byOther, byOther ? state.updatedBy : QString());
}

// The change id is chosen here, before the job runs, so that the echo of our own write through
// the watcher is recognised even when it arrives before the job's result.
QUuid RolloutService::rememberOwn()
{
    const QUuid id = QUuid::createUuid();
    m_ownChangeIds.append(id.toString(QUuid::WithoutBraces));
    if (m_ownChangeIds.size() > 64)
        m_ownChangeIds.removeFirst();
    return id;
}

void RolloutService::apply(const QString &deployment, const FlagEdit &edit, qint64 expectedVersion)
{
    auto w = m_worker;
    const Actor actor = m_actor;
    const QUuid id = rememberOwn();
    m_jobs->post(
        this,
        [w, deployment, edit, expectedVersion, actor, id] {
            return w->flags.apply(deployment, edit, expectedVersion, edit.reason, actor, QStringLiteral("flags.apply"),
                                  {}, id);
        },
        [this](ApplyOutcome o) {
            if (o.connectionFailure)
                Q_EMIT connectionProblem(o.message);
            Q_EMIT applied(o);
        });
}

void RolloutService::rollback(const QString &deployment, const QString &reason)
{
    auto w = m_worker;
    const Actor actor = m_actor;
    const QUuid id = rememberOwn();
    m_jobs->post(
        this,
        [w, deployment, reason, actor, id] {
            return w->flags.rollback(deployment, reason, actor, QStringLiteral("flags.rollback"), {}, id);
        },
        [this](ApplyOutcome o) {
            if (o.connectionFailure)
                Q_EMIT connectionProblem(o.message);
            Q_EMIT rolledBack(o);
        });
}

void RolloutService::previewWhatIf(const QString &deployment, int percentage)
{
    auto w = m_worker;
    m_jobs->post(
        this, [w, deployment, percentage] { return w->plans.whatIf(deployment, percentage); },
        [this](Result<WhatIf> r) { Q_EMIT whatIfReady(r); });
}

void RolloutService::loadPlan(const QString &deployment)
{
    auto w = m_worker;
    m_jobs->post(
        this, [w, deployment] { return w->plans.status(deployment); },
        [this](Result<PlanStatus> r) { Q_EMIT planLoaded(r); });
}

void RolloutService::savePlan(const QString &deployment, const QList<int> &steps)
{
    auto w = m_worker;
    const Actor actor = m_actor;
    m_jobs->post(
        this,
        [w, deployment, steps, actor]() -> Status {
            auto current = w->plans.plan(deployment);
            if (!current)
                return current.error();
            StagedPlan p = *current;
            p.setSteps(steps);
            auto saved = w->plans.save(deployment, p, actor);
            if (!saved)
                return saved.error();
            return {};
        },
        [this](Status s) { Q_EMIT planSaved(s); });
}

void RolloutService::loadPlanSettings(const QString &deployment)
{
    auto w = m_worker;
    m_jobs->post(
        this, [w, deployment] { return w->planSettings(deployment); },
        [this, deployment](Result<PlanSettings> r) { Q_EMIT planSettingsLoaded(deployment, r); });
}

void RolloutService::savePlanCombinations(const QString &deployment, const GateCombination &combination,
                                          const QMap<int, GateCombination> &steps)
{
    auto w = m_worker;
    const Actor actor = m_actor;
    m_jobs->post(
        this,
        [w, deployment, combination, steps, actor]() -> Result<PlanSettings> {
            auto current = w->plans.plan(deployment);
            if (!current)
                return current.error();
            StagedPlan p = *current;
            p.combination = combination;
            p.stepCombinations = steps;
            if (auto saved = w->plans.save(deployment, p, actor); !saved)
                return saved.error();
            return w->planSettings(deployment);
        },
        [this, deployment](Result<PlanSettings> r) { Q_EMIT planCombinationsSaved(deployment, r); });
}

void RolloutService::advancePlan(const QString &deployment, const QString &overrideReason)
{
    auto w = m_worker;
    const Actor actor = m_actor;
    m_jobs->post(
        this, [w, deployment, overrideReason, actor] { return w->plans.advance(deployment, overrideReason, actor); },
        [this](Result<PlanStatus> r) { Q_EMIT planAdvanced(r); });
}

} // namespace mldeck
