#include "core/services/RetrainService.h"

#include <QLoggingCategory>
#include <QPointer>

#include <cmath>

Q_LOGGING_CATEGORY(lcRetrainService, "mldeck.services.retrain")

namespace mldeck {

namespace {

// A run that never reached runRetrain (no connection): recorded nowhere, reported like any failure.
retrain::RetrainOutcome failedBeforeStart(const retrain::RetrainRequest &request, const QString &error)
{
    retrain::RetrainOutcome o;
    o.run.deployment = request.deployment;
    o.run.trigger = request.trigger;
    o.run.state = QStringLiteral("failed");
    o.run.dryRun = request.dryRun;
    o.run.error = error;
    o.run.requestedAt = QDateTime::currentDateTimeUtc();
    o.run.finishedAt = o.run.requestedAt;
    return o;
}

} // namespace

RetrainService::RetrainService(QObject *parent)
    : PgService(QStringLiteral("retrain"), parent), m_training(QStringLiteral("retrain-run")), m_actor(Actor::current())
{
    qRegisterMetaType<mldeck::TriggerCheck>();
    qRegisterMetaType<mldeck::retrain::DataSummary>();
    qRegisterMetaType<mldeck::retrain::RetrainProgress>();
    qRegisterMetaType<mldeck::retrain::RetrainOutcome>();
    qRegisterMetaType<mldeck::RetrainRun>();
    qRegisterMetaType<QList<mldeck::RetrainRun>>();
}

RetrainService::~RetrainService()
{
    // The training job stops at its next batch and records the run as cancelled; the workers then
    // join their threads.
    if (m_cancel)
        m_cancel->store(true);
}

void RetrainService::setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis)
{
    setEndpoint(pg);
    m_redis = redis;
}

void RetrainService::setActor(const Actor &actor)
{
    m_actor = actor;
}

void RetrainService::checkTriggers(const QString &deployment)
{
    post([deployment](PgConnection &c) { return retrain::checkTriggers(c, deployment); },
         [this](Result<TriggerCheck> r) { Q_EMIT triggersChecked(r); });
}

void RetrainService::loadSettings(const QString &deployment)
{
    post([deployment](PgConnection &c) { return retrain::loadSettings(c, deployment); },
         [this, deployment](Result<RetrainSettings> r) { Q_EMIT settingsLoaded(deployment, r); });
}

void RetrainService::saveSettings(const QString &deployment, const RetrainSettings &settings)
{
    post(
        [deployment, settings, actor = m_actor](PgConnection &c) -> Result<RetrainSettings> {
            if (Status s = retrain::saveSettings(c, deployment, settings, actor); !s)
                return s.error();
            return settings;
        },
        [this, deployment](Result<RetrainSettings> r) { Q_EMIT settingsSaved(deployment, r); });
}

void RetrainService::summarize(const retrain::RetrainRequest &request)
{
    post([request](PgConnection &c) { return retrain::summarizeData(c, request); },
         [this](Result<retrain::DataSummary> r) { Q_EMIT summarized(r); });
}

bool RetrainService::startRun(const retrain::RetrainRequest &request)
{
    if (m_running)
        return false;
    m_running = true;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    QPointer<RetrainService> self(this);
    // The run has its own worker and connection: the check/history worker stays free while it trains.
    m_training.post(
        this, endpoint(),
        [request, actor = m_actor, cancel = m_cancel, self](PgConnection &c) -> Result<retrain::RetrainOutcome> {
            double lastFraction = -1;
            QString lastMessage;
            const auto forward = [&](const retrain::RetrainProgress &p) {
                // One queued signal per epoch, per stage message and per half percent: never per batch.
                if (!p.epoch && p.message == lastMessage && std::abs(p.fraction - lastFraction) < 0.005)
                    return;
                lastFraction = p.fraction;
                lastMessage = p.message;
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, p] {
                        if (self && self->m_running)
                            Q_EMIT self->runProgress(p);
                    },
                    Qt::QueuedConnection);
            };
            return retrain::runRetrain(c, request, actor, cancel.get(), forward);
        },
        [this, request](Result<retrain::RetrainOutcome> r) {
            const retrain::RetrainOutcome outcome = r ? r.value() : failedBeforeStart(request, r.errorMessage());
            m_running = false;
            qCInfo(lcRetrainService) << "retrain run" << outcome.run.id << "finished:" << outcome.run.state;
            Q_EMIT runFinished(outcome);
        });
    return true;
}

void RetrainService::cancelRun()
{
    if (m_running && m_cancel)
        m_cancel->store(true);
}

void RetrainService::applyDecision(qint64 runId, const retrain::ApplyOptions &options)
{
    post([redis = m_redis, runId, options,
          actor = m_actor](PgConnection &c) { return retrain::applyDecision(c, redis, runId, options, actor); },
         [this](Result<RetrainRun> r) { Q_EMIT decisionApplied(r); });
}

void RetrainService::listHistory(const QString &deployment)
{
    post([deployment](PgConnection &c) { return retrain::history(c, deployment); },
         [this](Result<QList<RetrainRun>> r) { Q_EMIT historyListed(r); });
}

} // namespace mldeck
