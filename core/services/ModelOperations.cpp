#include "core/services/ModelOperations.h"

#include "core/Text.h"
#include "core/domain/Deployment.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/ModelStore.h"
#include "core/services/ModelCheckOperations.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/ModelKeys.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

namespace mldeck::models {

namespace {

Q_LOGGING_CATEGORY(lcModels, "mldeck.services.models")

// KEYS: champion hash. ARGV: version, sha256, path, updated_at, name, model_id, channel, message.
// Replace + announce in one script: a reader never sees a half-written champion.
constexpr char kPublishScript[] = R"lua(
redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], 'version', ARGV[1], 'sha256', ARGV[2], 'path', ARGV[3], 'updated_at', ARGV[4],
             'name', ARGV[5], 'model_id', ARGV[6])
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
)lua";

Status checkFeatures(PgConnection &pg, const QString &deployment, const ModelInfo &info)
{
    DeploymentStore deployments(pg);
    // A deployment created without a feature schema takes its first model's (as schema 1).
    if (const auto current = deployments.show(deployment); current && current->featureSchemaId == 0)
        if (const auto adopted = deployments.ensure(deployment, current->description, info.schema); !adopted)
            return adopted.error();
    const auto schema = deployments.featureSchema(deployment, info.schema.id);
    if (!schema)
        return Error{
            ServiceText::tr("The model's metadata refers to feature schema %1, which deployment \"%2\" does not have.")
                .arg(info.schema.id)
                .arg(deployment)};
    const QStringList modelNumeric = info.schema.numericNames();
    const QStringList modelCategorical = info.schema.categoricalNames();
    if (modelNumeric != schema->numericNames() || modelCategorical != schema->categoricalNames())
        return Error{ServiceText::tr(
                         "The model's features do not match feature schema %1 of deployment \"%2\": the model expects "
                         "numeric [%3] and categorical [%4], the deployment logs numeric [%5] and categorical [%6].")
                         .arg(info.schema.id)
                         .arg(deployment, modelNumeric.join(QStringLiteral(", ")),
                              modelCategorical.join(QStringLiteral(", ")),
                              schema->numericNames().join(QStringLiteral(", ")),
                              schema->categoricalNames().join(QStringLiteral(", ")))};
    return {};
}

// An image deployment serves image models of its classes (same names, same order); a tabular deployment
// never serves an image model (resources/contract/images.md).
Status checkInput(PgConnection &pg, const QString &deployment, const ModelInfo &info)
{
    const auto d = DeploymentStore(pg).show(deployment);
    if (!d)
        return d.error();
    if (d->isImage()) {
        if (!info.image)
            return Error{ServiceText::tr("Deployment \"%1\" takes images, and this model takes features: an image "
                                         "model declares \"input\": \"image\" in its mldeck.json.")
                             .arg(deployment)};
        if (info.classSpec.classes != d->classSpec.classes)
            return Error{ServiceText::tr("The model's classes [%1] are not those of image deployment \"%2\" [%3] "
                                         "(the same names in the same order).")
                             .arg(info.classSpec.classes.join(QStringLiteral(", ")), deployment,
                                  d->classSpec.classes.join(QStringLiteral(", ")))};
        return {};
    }
    if (info.image)
        return Error{ServiceText::tr("This model takes images, and deployment \"%1\" takes tabular features: "
                                     "register it to an image deployment.")
                         .arg(deployment)};
    return {};
}

AliasOutcome publishAfter(PgConnection &pg, const std::optional<RedisEndpoint> &redis, AliasChange change)
{
    AliasOutcome out;
    out.change = std::move(change);
    if (out.change.alias != QLatin1String("champion") || !redis)
        return out;
    out.publishAttempted = true;
    const auto published = publishChampion(pg, *redis, out.change.deployment);
    if (!published) {
        qCWarning(lcModels) << "champion of" << out.change.deployment
                            << "committed but not published:" << published.errorMessage();
        out.published =
            Error{ServiceText::tr("The promotion is committed, but publishing the champion in Redis failed: %1 "
                                  "Run `mldeckctl models publish --deployment %2` once Redis is back.")
                      .arg(published.errorMessage(), out.change.deployment)};
    }
    return out;
}

} // namespace

QJsonObject metricsOf(const ModelInfo &info)
{
    QJsonObject m;
    if (info.holdoutMae)
        m.insert(QStringLiteral("mae"), *info.holdoutMae);
    if (info.holdoutRmse)
        m.insert(QStringLiteral("rmse"), *info.holdoutRmse);
    if (info.holdoutR2)
        m.insert(QStringLiteral("r2"), *info.holdoutR2);
    if (info.holdoutAccuracy)
        m.insert(QStringLiteral("accuracy"), *info.holdoutAccuracy);
    if (info.holdoutLogLoss)
        m.insert(QStringLiteral("log_loss"), *info.holdoutLogLoss);
    if (info.holdoutRocAuc)
        m.insert(QStringLiteral("roc_auc"), *info.holdoutRocAuc);
    if (info.trainingRows > 0)
        m.insert(QStringLiteral("training_rows"), info.trainingRows);
    return m;
}

QJsonObject scalerOf(const ModelInfo &info)
{
    if (info.scalerMean.empty())
        return {};
    QJsonArray mean;
    QJsonArray std;
    for (double v : info.scalerMean)
        mean.append(v);
    for (double v : info.scalerStd)
        std.append(v);
    return {{QStringLiteral("mean"), mean}, {QStringLiteral("std"), std}};
}

QByteArray championKey(const QString &deployment)
{
    return redis_keys::champion(deployment);
}

QByteArray modelsChannel()
{
    return redis_keys::modelsChannel();
}

Result<RegisterOutcome> registerModel(PgConnection &pg, const RegisterRequest &request, const Actor &actor)
{
    if (!isValidDeploymentName(request.deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(request.deployment)};
    if (!request.version.isEmpty() && !ModelRegistry::isValidVersion(request.version))
        return Error{ServiceText::tr("Invalid version \"%1\": use 1 to 64 letters, digits, '.', '_' or '-'.")
                         .arg(request.version)};
    if (request.file.isEmpty())
        return Error{ServiceText::tr("No model file given.")};
    const QFileInfo file(request.file);
    if (!file.exists())
        return Error{ServiceText::tr("Model file %1 does not exist.").arg(request.file)};
    if (!file.isFile())
        return Error{ServiceText::tr("Model path %1 is not a file.").arg(request.file)};

    const auto sha = ModelStore::sha256Of(request.file);
    if (!sha)
        return sha.error();
    if (Status active = DeploymentStore(pg).requireActive(request.deployment); !active)
        return active.error();
    ModelRegistry registry(pg);
    const auto existing = registry.bySha256(request.deployment, QString::fromLatin1(*sha));
    if (!existing)
        return existing.error();
    if (existing->has_value()) {
        const ModelVersion &m = **existing;
        if (!request.version.isEmpty() && request.version != m.version)
            return Error{
                ServiceText::tr(
                    "This file (SHA-256 %1…) is already registered for deployment \"%2\" as version %3; a file "
                    "is registered once per deployment.")
                    .arg(QString::fromLatin1(sha->left(12)), request.deployment, m.version)};
        return RegisterOutcome{m, true, !m.featureNames.isEmpty()};
    }

    // Validation loads the model: registration is where a file becomes trusted.
    const auto runner = ModelRunner::load(request.file);
    if (!runner)
        return runner.error();
    const ModelInfo &info = (*runner)->info();
    if (info.sha256 != *sha)
        return Error{
            ServiceText::tr("Model file %1 changed while it was being registered; try again.").arg(request.file)};
    if (Status s = checkInput(pg, request.deployment, info); !s)
        return s.error();
    if (info.hasMetadata && !info.image) {
        if (Status s = checkFeatures(pg, request.deployment, info); !s)
            return s.error();
    }

    NewModelVersion row;
    row.deployment = request.deployment;
    row.name = !request.name.trimmed().isEmpty() ? request.name.trimmed()
               : !info.name.isEmpty()            ? info.name
                                                 : file.completeBaseName();
    row.version = request.version;
    row.sha256 = QString::fromLatin1(*sha);
    row.task = info.hasMetadata ? info.task : QStringLiteral("regression");
    if (info.hasMetadata) {
        row.featureSchemaId = info.schema.id;
        for (const FeatureSpec &f : info.schema.features)
            row.featureNames << f.name;
    }
    row.scaler = scalerOf(info);
    row.targetUnit = info.targetUnit;
    row.parentVersion = request.parentVersion;
    row.trainFrom = request.trainFrom;
    row.trainTo = request.trainTo;
    row.metrics = metricsOf(info);

    const ModelStore store(request.storeDirectory.isEmpty() ? ModelStore::defaultDirectory() : request.storeDirectory);
    const auto imported = store.import(request.file);
    if (!imported)
        return imported.error();
    row.filePath = imported->path;
    const auto inserted = registry.insert(row, actor);
    if (!inserted) {
        // Nothing changed: no copy left behind, unless a concurrent registration now uses the same file.
        const auto users = registry.fileUsers(imported->path);
        if (users && *users == 0)
            store.discard(*imported);
        return inserted.error();
    }
    return RegisterOutcome{*inserted, false, info.hasMetadata};
}

Result<AliasOutcome> promote(PgConnection &pg, const std::optional<RedisEndpoint> &redis, const QString &deployment,
                             const QString &version, const QString &alias, const QString &reason, const Actor &actor)
{
    ModelRegistry registry(pg);
    std::optional<checks::CheckReport> report;
    std::optional<qint64> checkedChampion;
    if (alias == QLatin1String("champion")) {
        // The registry's own refusals first (unknown, archived, already champion): they cost no scoring.
        if (Status ok = registry.checkPromotable(deployment, version, alias); !ok)
            return ok.error();
        auto checked = runModelChecks(pg, deployment, version, QStringLiteral("promote"), nullptr, true);
        if (!checked)
            return Error{
                ServiceText::tr("Promotion refused: the model checks could not run: %1").arg(checked.errorMessage())};
        if (checked->configured && !checked->passed())
            return Error{ServiceText::tr("Promotion refused: %1@%2 fails the model checks: %3")
                             .arg(deployment, version, checked->failureSummary())};
        checkedChampion = checked->championId;
        report = std::move(checked).value();
    }
    auto change = registry.promote(deployment, version, alias, reason, actor, checkedChampion);
    if (!change)
        return change.error();
    AliasOutcome out = publishAfter(pg, redis, std::move(change).value());
    out.checks = std::move(report);
    return out;
}

Result<AliasOutcome> restorePrevious(PgConnection &pg, const std::optional<RedisEndpoint> &redis,
                                     const QString &deployment, const QString &reason, const Actor &actor)
{
    auto change = ModelRegistry(pg).restorePrevious(deployment, reason, actor);
    if (!change)
        return change.error();
    return publishAfter(pg, redis, std::move(change).value());
}

Status publishChampion(RedisConnection &redis, const QString &deployment, const std::optional<ModelVersion> &champion)
{
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QJsonObject message{{QStringLiteral("deployment"), deployment},
                        {QStringLiteral("alias"), QStringLiteral("champion")},
                        {QStringLiteral("updated_at"), now}};
    message.insert(QStringLiteral("version"), champion ? QJsonValue(champion->version) : QJsonValue());
    message.insert(QStringLiteral("sha256"), champion ? QJsonValue(champion->sha256) : QJsonValue());
    const auto r = redis.command(
        {QByteArrayLiteral("EVAL"), QByteArray(kPublishScript), "1", championKey(deployment),
         champion ? champion->version.toUtf8() : QByteArray(), champion ? champion->sha256.toUtf8() : QByteArray(),
         champion ? champion->filePath.toUtf8() : QByteArray(), now.toUtf8(),
         champion ? champion->name.toUtf8() : QByteArray(), champion ? QByteArray::number(champion->id) : QByteArray(),
         modelsChannel(), QJsonDocument(message).toJson(QJsonDocument::Compact)});
    if (!r)
        return r.error();
    return {};
}

Result<std::optional<ModelVersion>> publishChampion(PgConnection &pg, const RedisEndpoint &redis,
                                                    const QString &deployment)
{
    const auto champion = ModelRegistry(pg).byAlias(deployment, QStringLiteral("champion"));
    if (!champion)
        return champion.error();
    auto conn = RedisConnection::open(redis);
    if (!conn)
        return conn.error();
    if (Status s = publishChampion(**conn, deployment, *champion); !s)
        return s.error();
    return *champion;
}

} // namespace mldeck::models
