#include "core/services/ModelsService.h"

#include "core/services/ModelCheckOperations.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/ModelCheckStore.h"
#include "core/store/pg/ModelRegistry.h"

namespace mldeck {

namespace {

Result<ModelAction> fromAlias(const Result<models::AliasOutcome> &outcome, const QString &what)
{
    if (!outcome)
        return outcome.error();
    ModelAction a;
    a.model = outcome->change.after;
    a.changeId = outcome->change.changeId;
    a.message = what;
    if (outcome->checks)
        a.message += QLatin1Char(' ') + ModelsService::tr("Model checks: %1.").arg(outcome->checks->summary());
    if (!outcome->published)
        a.publishError = outcome->published.errorMessage();
    return a;
}

} // namespace

ModelsService::ModelsService(QObject *parent) : PgService(QStringLiteral("models"), parent) {}

ModelsService::~ModelsService() = default;

void ModelsService::setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis)
{
    setEndpoint(pg);
    m_redis = redis;
}

void ModelsService::setStoreDirectory(const QString &directory)
{
    m_storeDirectory = directory;
}

template <typename Job> void ModelsService::postAction(Job job)
{
    post(std::move(job), [this](Result<ModelAction> r) { Q_EMIT actionFinished(r); });
}

void ModelsService::listModels(const QString &deployment)
{
    post(
        [deployment](PgConnection &conn) -> Result<ModelList> {
            auto models = ModelRegistry(conn).list(deployment);
            if (!models)
                return models.error();
            const auto checked = ModelCheckStore(conn).latestByModel(deployment);
            if (!checked)
                return checked.error();
            auto golden = ModelCheckStore(conn).golden(deployment, false);
            if (!golden)
                return golden.error();
            ModelList list{deployment, std::move(models).value(), {}, std::move(golden).value()};
            for (auto it = checked->begin(); it != checked->end(); ++it)
                list.checks.insert(it.key(), it.value().report);
            return list;
        },
        [this](Result<ModelList> r) { Q_EMIT modelsListed(r); });
}

void ModelsService::registerFile(const QString &deployment, const QString &file, const QString &name,
                                 const QString &version)
{
    models::RegisterRequest request;
    request.deployment = deployment;
    request.file = file;
    request.name = name;
    request.version = version;
    request.storeDirectory = m_storeDirectory;
    postAction([request](PgConnection &conn) -> Result<ModelAction> {
        const auto outcome = models::registerModel(conn, request, Actor::current());
        if (!outcome)
            return outcome.error();
        ModelAction a;
        a.model = outcome->model;
        a.message = outcome->alreadyRegistered
                        ? tr("This file is already registered as %1@%2; nothing changed.")
                              .arg(outcome->model.deployment, outcome->model.version)
                        : tr("Registered %1@%2 (%3).")
                              .arg(outcome->model.deployment, outcome->model.version, outcome->model.name);
        return a;
    });
}

void ModelsService::promote(const QString &deployment, const QString &version, const QString &alias,
                            const QString &reason)
{
    postAction([redis = m_redis, deployment, version, alias, reason](PgConnection &conn) {
        return fromAlias(models::promote(conn, redis, deployment, version, alias, reason, Actor::current()),
                         tr("%1@%2 is now the %3.").arg(deployment, version, alias));
    });
}

void ModelsService::restorePrevious(const QString &deployment, const QString &reason)
{
    postAction([redis = m_redis, deployment, reason](PgConnection &conn) {
        const auto outcome = models::restorePrevious(conn, redis, deployment, reason, Actor::current());
        return fromAlias(outcome, outcome
                                      ? tr("Restored %1@%2 as champion.").arg(deployment, outcome->change.after.version)
                                      : QString());
    });
}

void ModelsService::archive(const QString &deployment, const QString &version, const QString &reason)
{
    postAction([deployment, version, reason](PgConnection &conn) -> Result<ModelAction> {
        const auto archived = ModelRegistry(conn).archive(deployment, version, reason, Actor::current());
        if (!archived)
            return archived.error();
        ModelAction a;
        a.model = *archived;
        a.message = tr("Archived %1@%2.").arg(deployment, version);
        return a;
    });
}

void ModelsService::setGolden(const QString &deployment, const QString &file, const QString &targetColumn,
                              const QString &segmentColumn)
{
    postAction([deployment, file, targetColumn, segmentColumn](PgConnection &conn) -> Result<ModelAction> {
        const auto stored = models::setGolden(conn, deployment, file, targetColumn, segmentColumn, Actor::current());
        if (!stored)
            return stored.error();
        ModelAction a;
        a.message = tr("Golden dataset of %1 registered: %2, %n row(s); the model checks run on it before every "
                       "promotion.",
                       nullptr, stored->rows)
                        .arg(deployment, stored->fileName);
        return a;
    });
}

void ModelsService::removeGolden(const QString &deployment)
{
    postAction([deployment](PgConnection &conn) -> Result<ModelAction> {
        const auto removed = models::removeGolden(conn, deployment, Actor::current());
        if (!removed)
            return removed.error();
        ModelAction a;
        a.message =
            tr("Golden dataset %1 of %2 removed: no promotion checks configured.").arg(removed->fileName, deployment);
        return a;
    });
}

void ModelsService::publish(const QString &deployment)
{
    postAction([redis = m_redis, deployment](PgConnection &conn) -> Result<ModelAction> {
        if (!redis)
            return Error{tr("No Redis connection is configured.")};
        const auto published = models::publishChampion(conn, *redis, deployment);
        if (!published)
            return Error{
                tr("Publishing the champion of \"%1\" in Redis failed: %2").arg(deployment, published.errorMessage())};
        ModelAction a;
        a.model = *published;
        a.message = published->has_value()
                        ? tr("Published %1@%2 as champion in Redis.").arg(deployment, (*published)->version)
                        : tr("Deployment \"%1\" has no champion; its Redis key was cleared.").arg(deployment);
        return a;
    });
}

} // namespace mldeck
