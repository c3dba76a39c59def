// mldeckctl models golden set|show|remove, models checks set|show, models check: the promotion test suite.
// The logic lives in core/services/ModelCheckOperations (the GUI and the promotion gate call the same).
#include "app/mldeckctl/verbs/ModelChecks.h"

#include "app/mldeckctl/Text.h"
#include "core/services/ModelCheckOperations.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

const QString kFile = QStringLiteral("file");
const QString kTarget = QStringLiteral("target");
const QString kSegment = QStringLiteral("segment");
const QString kModel = QStringLiteral("model");
const QString kJson = QStringLiteral("json");
const QString kApp = QStringLiteral("mldeckctl-models");

void printGolden(const GoldenRecord &g)
{
    Context::out(Text::tr("Golden dataset of %1: %2").arg(g.deployment, g.fileName));
    Context::out(Text::tr("  rows        %1").arg(g.rows));
    Context::out(Text::tr("  sha256      %1").arg(QString::fromLatin1(g.sha256)));
    Context::out(Text::tr("  outcome     %1").arg(g.targetColumn));
    Context::out(Text::tr("  segments    %1").arg(g.segmentColumn.isEmpty() ? Text::tr("(none)") : g.segmentColumn));
    Context::out(Text::tr("  updated     %1 by %2").arg(g.updatedAt.toString(Qt::ISODate), g.updatedBy));
}

int runGoldenSet(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption({kFile, Text::tr("The golden CSV: the deployment's features, the outcome, optionally a segment."),
                 QStringLiteral("csv")});
    p.addOption({kTarget, Text::tr("The outcome column (default: outcome)."), QStringLiteral("column"),
                 QStringLiteral("outcome")});
    p.addOption({kSegment, Text::tr("A column whose values are segments (non-regression per segment)."),
                 QStringLiteral("column")});
    if (auto stop = inv.start(Text::tr("Register (or replace) the deployment's golden dataset.")))
        return *stop;
    if (p.value(kFile).isEmpty())
        return Context::fail(Text::tr("--file is required"));
    const auto stored = models::setGolden(inv.pg(), inv.deployment(), p.value(kFile), p.value(kTarget),
                                          p.value(kSegment), Actor::current());
    if (!stored)
        return Context::fail(stored.errorMessage(), CheckFailed);
    if (p.isSet(kJson))
        Context::outJson(QJsonDocument(stored->toJson()));
    else
        printGolden(*stored);
    return Success;
}

int runGoldenShow(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    if (auto stop = inv.start(Text::tr("Show the deployment's golden dataset.")))
        return *stop;
    const auto golden = ModelCheckStore(inv.pg()).golden(inv.deployment(), false);
    if (!golden)
        return Context::fail(golden.errorMessage(), CheckFailed);
    if (!golden->has_value())
        return Context::fail(
            Text::tr("Deployment \"%1\" has no golden dataset: no promotion checks configured.").arg(inv.deployment()),
            CheckFailed);
    if (inv.json())
        Context::outJson(QJsonDocument((*golden)->toJson()));
    else
        printGolden(**golden);
    return Success;
}

int runGoldenRemove(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    if (auto stop = inv.start(Text::tr("Remove the deployment's golden dataset: its promotions are then unchecked.")))
        return *stop;
    const auto removed = models::removeGolden(inv.pg(), inv.deployment(), Actor::current());
    if (!removed)
        return Context::fail(removed.errorMessage(), CheckFailed);
    if (inv.json())
        Context::outJson(QJsonDocument(removed->toJson()));
    else
        Context::out(Text::tr("Golden dataset %1 of %2 removed: no promotion checks configured.")
                         .arg(removed->fileName, inv.deployment()));
    return Success;
}

int runChecksSet(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption(
        {kFile, Text::tr("A JSON file of checks (resources/contract/model-checks.md)."), QStringLiteral("json")});
    if (auto stop = inv.start(Text::tr("Declare the deployment's model checks.")))
        return *stop;
    QFile f(p.value(kFile));
    if (p.value(kFile).isEmpty() || !f.open(QIODevice::ReadOnly))
        return Context::fail(Text::tr("--file: cannot read \"%1\"").arg(p.value(kFile)));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (!doc.isObject())
        return Context::fail(Text::tr("%1 is not a JSON object: %2").arg(p.value(kFile), error.errorString()));
    if (Status s = models::saveCheckSettings(inv.pg(), inv.deployment(), doc.object(), Actor::current()); !s)
        return Context::fail(s.errorMessage(), CheckFailed);
    Context::out(Text::tr("Model checks of %1 stored.").arg(inv.deployment()));
    return Success;
}

int runChecksShow(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg, kApp);
    if (auto stop = inv.start(Text::tr("Show the deployment's declared model checks (defaults when none).")))
        return *stop;
    const auto settings = models::checkSettings(inv.pg(), inv.deployment());
    if (!settings)
        return Context::fail(settings.errorMessage(), CheckFailed);
    Context::outJson(QJsonDocument(settings->toJson()));
    return Success;
}

int goldenUsage(int code)
{
    return Context::printUsage(Text::tr("Usage: mldeckctl models golden <set|show|remove> --deployment D [options]\n\n"
                                        "  set --file F [--target COLUMN] [--segment COLUMN]   register or replace it\n"
                                        "  show                                                what is registered\n"
                                        "  remove                                              no checks any more"),
                               code);
}

int checksUsage(int code)
{
    return Context::printUsage(Text::tr("Usage: mldeckctl models checks <set|show> --deployment D [options]\n\n"
                                        "  set --file CHECKS.json   declare the checks\n"
                                        "  show                     the declared checks (defaults when none)"),
                               code);
}

} // namespace

int runModelsGolden(Context &ctx)
{
    return dispatch(ctx, {{"set", runGoldenSet}, {"show", runGoldenShow}, {"remove", runGoldenRemove}}, goldenUsage);
}

int runModelsChecks(Context &ctx)
{
    return dispatch(ctx, {{"set", runChecksSet}, {"show", runChecksShow}}, checksUsage);
}

int runModelsCheck(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption({kModel, Text::tr("The version to check, or champion / challenger."), QStringLiteral("ref")});
    if (auto stop = inv.start(Text::tr("Run the deployment's model checks on one version against the champion "
                                       "(exit 1 when a check fails or none are configured).")))
        return *stop;
    QString version = p.value(kModel);
    if (version.isEmpty())
        return Context::fail(Text::tr("--model is required"));
    if (ModelRegistry::isValidAlias(version)) {
        const auto found = ModelRegistry(inv.pg()).byAlias(inv.deployment(), version);
        if (!found)
            return Context::fail(found.errorMessage(), CheckFailed);
        if (!found->has_value())
            return Context::fail(Text::tr("Deployment \"%1\" has no %2 model.").arg(inv.deployment(), version),
                                 CheckFailed);
        version = (*found)->version;
    }
    const auto report = models::runModelChecks(inv.pg(), inv.deployment(), version, QStringLiteral("manual"));
    if (!report)
        return Context::fail(report.errorMessage(), UsageOrConnection);
    if (inv.json()) {
        Context::outJson(QJsonDocument(report->toJson()));
    } else {
        Context::out(Text::tr("Model checks of %1@%2 against %3: %4")
                         .arg(inv.deployment(), version,
                              report->champion.isEmpty() ? Text::tr("no other champion") : report->champion,
                              report->summary()));
        for (const checks::CheckResult &r : report->results)
            Context::out(
                QStringLiteral("  %1  %2: %3").arg(checks::outcomeText(r.outcome), -8).arg(r.title(), r.detail));
    }
    // Not compared with the champion is not a pass.
    return report->passed() && report->championUnavailable.isEmpty() ? Success : CheckFailed;
}

} // namespace mldeck::cli
