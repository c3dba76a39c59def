#include "core/services/RetrainService.h"

#include "core/services/KeptPgConnection.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QPointer>

#include <cmath>

Q_LOGGING_CATEGORY(lcRetrainService, "mldeck.services.retrain")

namespace mldeck {

namespace {

QString noPg()
{
    return ServiceText::tr("No PostgreSQL connection is configured.");
}

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

// The check/history worker's PostgreSQL connection, kept between jobs and reopened when the endpoint
// changes or the connection died. Touched only inside m_jobs' jobs.
struct RetrainService::Worker
{
    KeptPgConnection conn{QStringLiteral("mldeck-retrain")};

    Result<PgConnection *> pg(const std::optional<PgEndpoint> &endpoint)
    {
        if (!endpoint)
            return Error{noPg()};
        return conn.get(*endpoint);
    }
};

RetrainService::RetrainService(QObject *parent)
    : QObject(parent), m_worker(std::make_shared<Worker>()), m_jobs(QStringLiteral("retrain"), this),
      m_training(QStringLiteral("retrain-training"), this), m_actor(Actor::current())
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
    // The training job stops at its next batch and records the run as cancelled; the JobThread
    // members then join their threads.
    if (m_cancel)
        m_cancel->store(true);
}

void RetrainService::setEndpoints(const PgEndpoint &pg, const std::optional<RedisEndpoint> &redis)
{
    if (pg.user.isEmpty()) // no profile yet: requests answer "not configured"
        m_pg.reset();
    else
        m_pg = pg;
    m_redis = redis;
}

void RetrainService::setActor(const Actor &actor) { m_actor = actor; }

void RetrainService::checkTriggers(const QString &deployment)
{
    m_jobs.post(
        this,
        [worker = m_worker, pg = m_pg, deployment]() -> Result<TriggerCheck> {
            auto conn = worker->pg(pg);
            if (!conn)
                return conn.error();
            return retrain::checkTriggers(**conn, deployment);
        },
        [this, deployment](Result<TriggerCheck> r) {
            TriggerCheck check;
            if (r)
                check = r.value();
            check.deployment = deployment;
            Q_EMIT triggersChecked(check, r.errorMessage());
        });
}

void RetrainService::summarize(const retrain::RetrainRequest &request)
{
    m_jobs.post(
        this,
        [worker = m_worker, pg = m_pg, request]() -> Result<retrain::DataSummary> {
            auto conn = worker->pg(pg);
            if (!conn)
                return conn.error();
            return retrain::summarizeData(**conn, request);
        },
        [this](Result<retrain::DataSummary> r) {
            Q_EMIT summarized(r ? r.value() : retrain::DataSummary{}, r.errorMessage());
        });
}

bool RetrainService::startRun(const retrain::RetrainRequest &request)
{
    if (m_running)
        return false;
    m_running = true;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    QPointer<RetrainService> self(this);
    // The run opens its own connection: the check/history worker stays free while it trains.
    m_training.post(
        this,
        [pg = m_pg, request, actor = m_actor, cancel = m_cancel, self]() -> retrain::RetrainOutcome {
            if (!pg)
                return failedBeforeStart(request, noPg());
            auto conn = PgConnection::open(*pg, QStringLiteral("mldeck-retrain-run"));
            if (!conn)
                return failedBeforeStart(request, conn.errorMessage());
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
            return retrain::runRetrain(*conn.value(), request, actor, cancel.get(), forward);
        },
        [this](retrain::RetrainOutcome outcome) {
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
    m_jobs.post(
        this,
        [worker = m_worker, pg = m_pg, redis = m_redis, runId, options, actor = m_actor]() -> Result<RetrainRun> {
            auto conn = worker->pg(pg);
            if (!conn)
                return conn.error();
            return retrain::applyDecision(**conn, redis, runId, options, actor);
        },
        [this, runId](Result<RetrainRun> r) {
            RetrainRun run;
            if (r)
                run = r.value();
            else
                run.id = runId;
            Q_EMIT decisionApplied(run, r.errorMessage());
        });
}

void RetrainService::listHistory(const QString &deployment)
{
    m_jobs.post(
        this,
        [worker = m_worker, pg = m_pg, deployment]() -> Result<QList<RetrainRun>> {
            auto conn = worker->pg(pg);
            if (!conn)
                return conn.error();
            return retrain::history(**conn, deployment);
        },
        [this](Result<QList<RetrainRun>> r) {
            Q_EMIT historyListed(r ? r.value() : QList<RetrainRun>{}, r.errorMessage());
        });
}

void RetrainService::listDeployments()
{
    m_jobs.post(
        this,
        [worker = m_worker, pg = m_pg]() -> Result<QStringList> {
            auto conn = worker->pg(pg);
            if (!conn)
                return conn.error();
            return DeploymentStore(**conn).names();
        },
        [this](Result<QStringList> r) { Q_EMIT deploymentsListed(r ? r.value() : QStringList{}, r.errorMessage()); });
}

} // namespace mldeck
