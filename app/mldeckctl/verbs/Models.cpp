// mldeckctl models register|list|show|promote|restore-previous|archive|publish: the model registry.
// The logic lives in core/services/ModelOperations (the GUI calls the same); this file parses and prints.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "app/mldeckctl/verbs/ModelChecks.h"
#include "core/domain/Deployment.h"
#include "core/domain/Figure.h"
#include "core/ml/ModelStore.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

const QString kName = QStringLiteral("name");
const QString kVersion = QStringLiteral("version");
const QString kParent = QStringLiteral("parent");
const QString kTrainFrom = QStringLiteral("train-from");
const QString kTrainTo = QStringLiteral("train-to");
const QString kStore = QStringLiteral("store");
const QString kAlias = QStringLiteral("alias");
const QString kReason = QStringLiteral("reason");
const QString kAll = QStringLiteral("all");
const QString kJson = QStringLiteral("json");

const QString kApp = QStringLiteral("mldeckctl-models");

QString metricText(const QJsonObject &metrics, const QString &key)
{
    return figureText(figureOf(metrics.value(key)), [](double v) { return QString::number(v, 'f', 3); });
}

QString aliasText(const ModelVersion &m)
{
    QStringList parts = m.aliases;
    if (m.archived)
        parts << Text::tr("archived");
    return parts.isEmpty() ? QString() : QStringLiteral("[%1]").arg(parts.join(QStringLiteral(", ")));
}

void printModel(const ModelVersion &m)
{
    Context::out(Text::tr("%1@%2  %3  %4").arg(m.deployment, m.version, m.name, aliasText(m)));
    Context::out(Text::tr("  task        %1 (target unit: %2)")
                     .arg(m.task, m.targetUnit.isEmpty() ? QStringLiteral("-") : m.targetUnit));
    Context::out(Text::tr("  sha256      %1").arg(m.sha256));
    Context::out(Text::tr("  file        %1").arg(m.filePath));
    Context::out(Text::tr("  created     %1 by %2").arg(m.createdAt.toString(Qt::ISODate), m.createdBy));
    Context::out(
        Text::tr("  features    %1")
            .arg(m.featureNames.isEmpty() ? Text::tr("(no metadata)") : m.featureNames.join(QStringLiteral(", "))));
    Context::out(Text::tr("  metrics     MAE %1  RMSE %2  R² %3")
                     .arg(metricText(m.metrics, QStringLiteral("mae")), metricText(m.metrics, QStringLiteral("rmse")),
                          metricText(m.metrics, QStringLiteral("r2"))));
    if (!m.parentVersion.isEmpty())
        Context::out(Text::tr("  parent      %1").arg(m.parentVersion));
    if (m.trainFrom.isValid() || m.trainTo.isValid())
        Context::out(
            Text::tr("  trained on  %1 .. %2").arg(m.trainFrom.toString(Qt::ISODate), m.trainTo.toString(Qt::ISODate)));
}

int runRegisterSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("file"), Text::tr("The TorchScript model file to register."));
    p.addOption(
        {kName, Text::tr("Model name (default: from the metadata, else the file name)."), QStringLiteral("name")});
    p.addOption(
        {kVersion, Text::tr("Version (default: the next whole number of the deployment)."), QStringLiteral("version")});
    p.addOption({kParent, Text::tr("Version this model was retrained from."), QStringLiteral("version")});
    p.addOption({kTrainFrom, Text::tr("Start of the training data window (ISO 8601)."), QStringLiteral("time")});
    p.addOption({kTrainTo, Text::tr("End of the training data window (ISO 8601)."), QStringLiteral("time")});
    p.addOption(
        {kStore,
         Text::tr("Model store directory (default: MLDECK_MODEL_STORE, else %1).").arg(ModelStore::defaultDirectory()),
         QStringLiteral("dir")});
    if (auto stop = inv.start(Text::tr("Validate a TorchScript file, copy it into the model store and register it.")))
        return *stop;
    if (p.positionalArguments().size() != 1)
        return Context::fail(Text::tr("give exactly one model file to register"));
    const QString &deployment = inv.deployment();
    models::RegisterRequest request;
    request.file = p.positionalArguments().first();
    request.deployment = deployment;
    request.name = p.value(kName);
    request.version = p.value(kVersion);
    request.parentVersion = p.value(kParent);
    request.storeDirectory = p.value(kStore);
    for (const auto &[option, target] :
         {std::pair{kTrainFrom, &request.trainFrom}, std::pair{kTrainTo, &request.trainTo}}) {
        if (!p.isSet(option))
            continue;
        *target = QDateTime::fromString(p.value(option), Qt::ISODate);
        if (!target->isValid())
            return Context::fail(Text::tr("--%1: \"%2\" is not an ISO 8601 date or time").arg(option, p.value(option)));
    }
    PgConnection &conn = inv.pg();
    const auto outcome = models::registerModel(conn, request, Actor::current());
    if (!outcome)
        return Context::fail(outcome.errorMessage(), CheckFailed);
    if (p.isSet(kJson)) {
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("already_registered"), outcome->alreadyRegistered},
                                                   {QStringLiteral("has_metadata"), outcome->hasMetadata},
                                                   {QStringLiteral("model"), outcome->model.toJson()}}));
        return Success;
    }
    if (outcome->alreadyRegistered)
        Context::out(Text::tr("This file is already registered as %1@%2; nothing changed.")
                         .arg(outcome->model.deployment, outcome->model.version));
    else
        Context::out(Text::tr("Registered %1@%2.").arg(outcome->model.deployment, outcome->model.version));
    if (!outcome->hasMetadata)
        Context::out(
            Text::tr("Note: the file has no mldeck.json metadata; its features could not be checked against the "
                     "deployment's schema."));
    printModel(outcome->model);
    return Success;
}

int runListSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption({kAll, Text::tr("Include archived versions.")});
    if (auto stop = inv.start(Text::tr("List the registered model versions of a deployment.")))
        return *stop;
    const QString &deployment = inv.deployment();
    PgConnection &conn = inv.pg();
    const auto list = ModelRegistry(conn).list(deployment, p.isSet(kAll));
    if (!list)
        return Context::fail(list.errorMessage(), CheckFailed);
    if (p.isSet(kJson)) {
        QJsonArray rows;
        for (const ModelVersion &m : *list)
            rows.append(m.toJson());
        Context::outJson(
            QJsonDocument(QJsonObject{{QStringLiteral("deployment"), deployment}, {QStringLiteral("models"), rows}}));
        return Success;
    }
    if (list->isEmpty()) {
        const auto known = DeploymentStore(conn).names();
        if (known && !known->contains(deployment))
            return Context::fail(Text::tr("Unknown deployment \"%1\".").arg(deployment), CheckFailed);
        Context::out(Text::tr("Deployment \"%1\" has no registered models.").arg(deployment));
        return Success;
    }
    Context::out(
        Text::tr("VERSION  NAME                 TASK            MAE     R²      CREATED               ALIASES"));
    for (const ModelVersion &m : *list)
        Context::out(QStringLiteral("%1 %2 %3 %4 %5 %6 %7")
                         .arg(m.version, -8)
                         .arg(m.name, -20)
                         .arg(m.task, -15)
                         .arg(metricText(m.metrics, QStringLiteral("mae")), -7)
                         .arg(metricText(m.metrics, QStringLiteral("r2")), -7)
                         .arg(m.createdAt.toString(Qt::ISODate), -21)
                         .arg(aliasText(m)));
    return Success;
}

int runShowSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("version"), Text::tr("The version to show, or champion / challenger."));
    if (auto stop = inv.start(Text::tr("Show one registered model version.")))
        return *stop;
    if (p.positionalArguments().size() != 1)
        return Context::fail(Text::tr("give exactly one version (or champion / challenger)"));
    const QString &deployment = inv.deployment();
    PgConnection &conn = inv.pg();
    ModelRegistry registry(conn);
    const QString which = p.positionalArguments().first();
    std::optional<ModelVersion> model;
    if (ModelRegistry::isValidAlias(which)) {
        const auto found = registry.byAlias(deployment, which);
        if (!found)
            return Context::fail(found.errorMessage(), CheckFailed);
        if (!found->has_value())
            return Context::fail(Text::tr("Deployment \"%1\" has no %2 model.").arg(deployment, which), CheckFailed);
        model = **found;
    } else {
        const auto found = registry.byVersion(deployment, which);
        if (!found)
            return Context::fail(found.errorMessage(), CheckFailed);
        model = *found;
    }
    if (p.isSet(kJson))
        Context::outJson(QJsonDocument(model->toJson()));
    else
        printModel(*model);
    return Success;
}

QJsonObject aliasJson(const models::AliasOutcome &o)
{
    QJsonObject j{{QStringLiteral("deployment"), o.change.deployment},
                  {QStringLiteral("alias"), o.change.alias},
                  {QStringLiteral("before"), o.change.before ? QJsonValue(o.change.before->version) : QJsonValue()},
                  {QStringLiteral("after"), o.change.after.version},
                  {QStringLiteral("change_id"), o.change.changeId},
                  {QStringLiteral("published"), o.publishAttempted && o.published.ok()}};
    if (!o.published)
        j.insert(QStringLiteral("publish_error"), o.published.errorMessage());
    if (o.checks)
        j.insert(QStringLiteral("checks"), o.checks->toJson());
    return j;
}

// The alias move is committed by now; a failed Redis publish is an error of its own (exit 2).
int reportAlias(const models::AliasOutcome &o, bool json)
{
    if (json)
        Context::outJson(QJsonDocument(aliasJson(o)));
    else
        Context::out(Text::tr("%1@%2 is now the %3 (was: %4; audit change %5).")
                         .arg(o.change.deployment, o.change.after.version, o.change.alias,
                              o.change.before ? o.change.before->version : Text::tr("none"), o.change.changeId));
    if (o.checks && !json)
        Context::out(Text::tr("Model checks: %1").arg(o.checks->summary()));
    if (!o.published)
        return Context::fail(o.published.errorMessage(), UsageOrConnection);
    if (o.publishAttempted && !json)
        Context::out(
            Text::tr("Published in Redis: %1").arg(QString::fromUtf8(models::championKey(o.change.deployment))));
    return Success;
}

int runPromoteSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("version"), Text::tr("The version to promote."));
    p.addOption(
        {kAlias, Text::tr("champion (default) or challenger."), QStringLiteral("alias"), QStringLiteral("champion")});
    p.addOption({kReason, Text::tr("Why (kept in the audit log)."), QStringLiteral("text")});
    if (auto stop =
            inv.start(Text::tr("Point the champion or challenger alias at a version (audited), then publish the "
                               "champion in Redis.")))
        return *stop;
    if (p.positionalArguments().size() != 1)
        return Context::fail(Text::tr("give exactly one version to promote"));
    const QString &deployment = inv.deployment();
    if (!ModelRegistry::isValidAlias(p.value(kAlias)))
        return Context::fail(Text::tr("--alias must be champion or challenger, not \"%1\"").arg(p.value(kAlias)));
    const RedisEndpoint &redis = inv.redis();
    PgConnection &conn = inv.pg();
    const auto outcome = models::promote(conn, redis, deployment, p.positionalArguments().first(), p.value(kAlias),
                                         p.value(kReason), Actor::current());
    if (!outcome)
        return Context::fail(outcome.errorMessage(), CheckFailed);
    return reportAlias(*outcome, p.isSet(kJson));
}

int runRestoreSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption({kReason, Text::tr("Why (kept in the audit log)."), QStringLiteral("text")});
    if (auto stop = inv.start(Text::tr("Make the previous champion the champion again (audited), then publish it.")))
        return *stop;
    const QString &deployment = inv.deployment();
    const RedisEndpoint &redis = inv.redis();
    PgConnection &conn = inv.pg();
    const auto outcome = models::restorePrevious(conn, redis, deployment, p.value(kReason), Actor::current());
    if (!outcome)
        return Context::fail(outcome.errorMessage(), CheckFailed);
    return reportAlias(*outcome, p.isSet(kJson));
}

int runArchiveSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("version"), Text::tr("The version to archive."));
    p.addOption({kReason, Text::tr("Why (kept in the audit log)."), QStringLiteral("text")});
    if (auto stop = inv.start(Text::tr("Archive a version (never the champion; audited).")))
        return *stop;
    if (p.positionalArguments().size() != 1)
        return Context::fail(Text::tr("give exactly one version to archive"));
    const QString &deployment = inv.deployment();
    PgConnection &conn = inv.pg();
    const auto archived =
        ModelRegistry(conn).archive(deployment, p.positionalArguments().first(), p.value(kReason), Actor::current());
    if (!archived)
        return Context::fail(archived.errorMessage(), CheckFailed);
    if (p.isSet(kJson))
        Context::outJson(QJsonDocument(archived->toJson()));
    else
        Context::out(Text::tr("Archived %1@%2.").arg(deployment, archived->version));
    return Success;
}

int runPublishSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    if (auto stop = inv.start(Text::tr("Publish the deployment's champion (from PostgreSQL) in Redis again.")))
        return *stop;
    const QString &deployment = inv.deployment();
    const RedisEndpoint &redis = inv.redis();
    PgConnection &conn = inv.pg();
    const auto published = models::publishChampion(conn, redis, deployment);
    if (!published)
        return Context::fail(Text::tr("Publishing the champion of \"%1\" in Redis failed: %2")
                                 .arg(deployment, published.errorMessage()));
    if (p.isSet(kJson))
        Context::outJson(QJsonDocument(QJsonObject{
            {QStringLiteral("deployment"), deployment},
            {QStringLiteral("key"), QString::fromUtf8(models::championKey(deployment))},
            {QStringLiteral("champion"), published->has_value() ? QJsonValue((*published)->toJson()) : QJsonValue()}}));
    else if (published->has_value())
        Context::out(Text::tr("Published %1@%2 as champion in %3.")
                         .arg(deployment, (*published)->version, QString::fromUtf8(models::championKey(deployment))));
    else
        Context::out(Text::tr("Deployment \"%1\" has no champion; %2 was cleared.")
                         .arg(deployment, QString::fromUtf8(models::championKey(deployment))));
    return Success;
}

int modelsUsage(int code)
{
    const QString text =
        Text::tr("Usage: mldeckctl models "
                 "<register|list|show|promote|restore-previous|archive|publish|golden|checks|check> [options]   "
                 "(mldeckctl models <sub> --help)\n\n"
                 "  register FILE       validate a TorchScript file, copy it into the model store, register it\n"
                 "  list                the versions of a deployment\n"
                 "  show VERSION        one version (or champion / challenger)\n"
                 "  promote VERSION     make it the champion (or --alias challenger); audited, published in Redis\n"
                 "  restore-previous    make the previous champion the champion again\n"
                 "  archive VERSION     archive a version (never the champion)\n"
                 "  publish             publish the champion in Redis again (after Redis was down)\n"
                 "  golden set|show|remove  the golden dataset the promotion checks run on\n"
                 "  checks set|show     the declared promotion checks\n"
                 "  check --model REF   run the promotion checks on one version (exit 1 when one fails)");
    return Context::printUsage(text, code);
}

} // namespace

int runModels(Context &ctx)
{
    return dispatch(ctx,
                    {{"register", runRegisterSub},
                     {"list", runListSub},
                     {"show", runShowSub},
                     {"promote", runPromoteSub},
                     {"restore-previous", runRestoreSub},
                     {"archive", runArchiveSub},
                     {"publish", runPublishSub},
                     {"golden", runModelsGolden},
                     {"checks", runModelsChecks},
                     {"check", runModelsCheck}},
                    modelsUsage);
}

} // namespace mldeck::cli
