#include "core/services/ModelsService.h"

#include "core/services/KeptPgConnection.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/DeploymentStore.h"


namespace mldeck {

namespace {

ModelActionResult failed(const QString &error)
{
    ModelActionResult r;
    r.error = error;
    return r;
}

ModelActionResult fromAlias(const Result<models::AliasOutcome> &outcome, const QString &what)
{
    if (!outcome)
        return failed(outcome.errorMessage());
    ModelActionResult r;
    r.ok = true;
    r.model = outcome->change.after;
    r.changeId = outcome->change.changeId;
    r.message = what;
    if (!outcome->published)
        r.publishError = outcome->published.errorMessage();
    return r;
}

} // namespace

// One PostgreSQL connection kept between jobs, reopened when the endpoint changes or it failed.
struct ModelsService::Worker
{
    KeptPgConnection conn{QStringLiteral("mldeck-models")};

    Result<PgConnection *> pg(const std::optional<PgEndpoint> &endpoint)
    {
        if (!endpoint)
            return Error{tr("No PostgreSQL connection is configured.")};
        return conn.get(*endpoint);
    }
};

ModelsService::ModelsService(QObject *parent)
    : QObject(parent), m_jobs(QStringLiteral("models"), this), m_worker(std::make_shared<Worker>())
{
}

ModelsService::~ModelsService() = default;

void ModelsService::setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis)
{
    m_pg = pg;
    m_redis = redis;
}

void ModelsService::setStoreDirectory(const QString &directory) { m_storeDirectory = directory; }

template <typename Job>
quint64 ModelsService::postAction(Job job)
{
    const quint64 id = m_nextId++;
    m_jobs.post(this, [worker = m_worker, pg = m_pg, job = std::move(job)]() -> ModelActionResult {
        auto conn = worker->pg(pg);
        if (!conn)
            return failed(conn.errorMessage());
        return job(**conn);
    }, [this, id](ModelActionResult r) { Q_EMIT actionFinished(id, r); });
    return id;
}

quint64 ModelsService::listDeployments()
{
    const quint64 id = m_nextId++;
    m_jobs.post(this, [worker = m_worker, pg = m_pg]() -> Result<QStringList> {
        auto conn = worker->pg(pg);
        if (!conn)
            return conn.error();
        return DeploymentStore(**conn).names();
    }, [this, id](Result<QStringList> r) { Q_EMIT deploymentsListed(id, r.ok() ? *r : QStringList(), r.errorMessage()); });
    return id;
}

quint64 ModelsService::listModels(const QString &deployment)
{
    const quint64 id = m_nextId++;
    m_jobs.post(this, [worker = m_worker, pg = m_pg, deployment]() -> Result<QList<ModelVersion>> {
        auto conn = worker->pg(pg);
        if (!conn)
            return conn.error();
        return ModelRegistry(**conn).list(deployment);
    }, [this, id, deployment](Result<QList<ModelVersion>> r) {
        Q_EMIT modelsListed(id, deployment, r.ok() ? *r : QList<ModelVersion>(), r.errorMessage());
    });
    return id;
}

quint64 ModelsService::registerFile(const QString &deployment, const QString &file, const QString &name,
                                    const QString &version)
{
    models::RegisterRequest request;
    request.deployment = deployment;
    request.file = file;
    request.name = name;
    request.version = version;
    request.storeDirectory = m_storeDirectory;
    return postAction([request](PgConnection &conn) {
        const auto outcome = models::registerModel(conn, request, Actor::current());
        if (!outcome)
            return failed(outcome.errorMessage());
        ModelActionResult r;
        r.ok = true;
        r.model = outcome->model;
        r.message = outcome->alreadyRegistered
                        ? tr("This file is already registered as %1@%2; nothing changed.")
                              .arg(outcome->model.deployment, outcome->model.version)
                        : tr("Registered %1@%2 (%3).").arg(outcome->model.deployment, outcome->model.version,
                                                          outcome->model.name);
        return r;
    });
}

quint64 ModelsService::promote(const QString &deployment, const QString &version, const QString &alias,
                               const QString &reason)
{
    return postAction([redis = m_redis, deployment, version, alias, reason](PgConnection &conn) {
        return fromAlias(models::promote(conn, redis, deployment, version, alias, reason, Actor::current()),
                         tr("%1@%2 is now the %3.").arg(deployment, version, alias));
    });
}

quint64 ModelsService::restorePrevious(const QString &deployment, const QString &reason)
{
    return postAction([redis = m_redis, deployment, reason](PgConnection &conn) {
        const auto outcome = models::restorePrevious(conn, redis, deployment, reason, Actor::current());
        return fromAlias(outcome, outcome ? tr("Restored %1@%2 as champion.").arg(deployment, outcome->change.after.version)
                                          : QString());
    });
}

quint64 ModelsService::archive(const QString &deployment, const QString &version, const QString &reason)
{
    return postAction([deployment, version, reason](PgConnection &conn) {
        const auto archived = ModelRegistry(conn).archive(deployment, version, reason, Actor::current());
        if (!archived)
            return failed(archived.errorMessage());
        ModelActionResult r;
        r.ok = true;
        r.model = *archived;
        r.message = tr("Archived %1@%2.").arg(deployment, version);
        return r;
    });
}

quint64 ModelsService::publish(const QString &deployment)
{
    return postAction([redis = m_redis, deployment](PgConnection &conn) {
        if (!redis)
            return failed(tr("No Redis connection is configured."));
        const auto published = models::publishChampion(conn, *redis, deployment);
        if (!published)
            return failed(tr("Publishing the champion of \"%1\" in Redis failed: %2").arg(deployment, published.errorMessage()));
        ModelActionResult r;
        r.ok = true;
        r.model = *published;
        r.message = published->has_value() ? tr("Published %1@%2 as champion in Redis.").arg(deployment, (*published)->version)
                                           : tr("Deployment \"%1\" has no champion; its Redis key was cleared.").arg(deployment);
        return r;
    });
}

} // namespace mldeck
