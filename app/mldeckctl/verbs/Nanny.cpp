// mldeckctl nanny train|status: the nanny model that estimates a regression champion's error before the
// outcomes arrive (resources/contract/nanny.md). Logic in core/services/NannyTraining.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/services/NannyTraining.h"
#include "core/store/pg/PgConnection.h"

#include <QDateTime>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

void printStatus(const NannyStatus &s)
{
    Context::out(Text::tr("Deployment:       %1").arg(s.deployment));
    Context::out(
        Text::tr("Champion:         %1").arg(s.championVersion.isEmpty() ? Text::tr("(none)") : s.championVersion));
    if (s.nannyId == 0) {
        Context::out(Text::tr("Nanny:            none trained"));
        return;
    }
    Context::out(Text::tr("Nanny:            %1, for version %2%3")
                     .arg(s.nannyId)
                     .arg(s.nannyModelVersion, s.current ? QString() : Text::tr(" (not the current champion)")));
    Context::out(
        Text::tr("Trained:          %1 by %2, on %3 (%4 rows)").arg(s.createdAt, s.createdBy, s.reference).arg(s.rows));
    if (s.meta)
        Context::out(Text::tr("Validation:       estimated MAE %1, realised MAE %2, per-row error %3 (%4 held-out "
                              "rows)")
                         .arg(s.meta->validationEstimatedMae, 0, 'f', 3)
                         .arg(s.meta->validationRealisedMae, 0, 'f', 3)
                         .arg(s.meta->validationMae, 0, 'f', 3)
                         .arg(s.meta->validationRows));
    if (s.scoredToMicros)
        Context::out(Text::tr("Scored up to:     %1 (%2 predictions)")
                         .arg(QDateTime::fromMSecsSinceEpoch(*s.scoredToMicros / 1000, Qt::UTC).toString(Qt::ISODate))
                         .arg(s.scored));
}

int runTrainSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-nanny"));
    QCommandLineParser &p = inv.parser();
    p.addOption({QStringLiteral("reason"), Text::tr("Why (kept in the audit log)."), QStringLiteral("text")});
    p.addOption(
        {QStringLiteral("seed"), Text::tr("Seed of the split and the weights (default 42)."), QStringLiteral("n")});
    p.addOption({QStringLiteral("backfill"),
                 Text::tr("Score the predictions of the last N minutes at once (default 60)."), QStringLiteral("n")});
    if (auto stop = inv.start(Text::tr("Train the nanny model of the deployment's champion on its drift reference "
                                       "(audited as nanny.train).")))
        return *stop;
    NannyTrainingRequest request;
    request.deployment = inv.deployment();
    request.reason = p.value(QStringLiteral("reason"));
    if (p.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        request.params.seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
        if (!ok)
            return Context::fail(Text::tr("--seed: \"%1\" is not a whole number").arg(p.value(QStringLiteral("seed"))));
    }
    if (p.isSet(QStringLiteral("backfill"))) {
        bool ok = false;
        const int minutes = p.value(QStringLiteral("backfill")).toInt(&ok);
        if (!ok || minutes < 0 || minutes > 7 * 24 * 60)
            return Context::fail(Text::tr("--backfill: \"%1\" is not a whole number of minutes from 0 to 10080")
                                     .arg(p.value(QStringLiteral("backfill"))));
        request.backfillSeconds = qint64(minutes) * 60;
    }
    const auto status = trainDeploymentNanny(inv.pg(), request, Actor::current());
    if (!status)
        return Context::fail(status.errorMessage(), CheckFailed);
    if (inv.json())
        Context::outJson(QJsonDocument(status->toJson()));
    else
        printStatus(*status);
    return Success;
}

int runStatusSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-nanny"));
    if (auto stop = inv.start(Text::tr("Show the deployment's nanny model and how far it has scored the log.")))
        return *stop;
    const auto status = readNannyStatus(inv.pg(), inv.deployment());
    if (!status)
        return Context::fail(status.errorMessage());
    if (inv.json())
        Context::outJson(QJsonDocument(status->toJson()));
    else
        printStatus(*status);
    return Success;
}

int nannyUsage(int code)
{
    const QString text = Text::tr(
        "Usage: mldeckctl nanny train|status|quality [--deployment D] [--json]\n\n"
        "  train    train the nanny of the champion on the drift reference (--reason, --seed, --backfill MINUTES)\n"
        "  status   the nanny in use, its validation figures and the scoring watermark\n"
        "  quality  estimated against realised MAE per hour with outcomes (--range 7d, --out FILE.csv)");
    return Context::printUsage(text, code);
}

} // namespace

int runNanny(Context &ctx)
{
    return dispatch(ctx, {{"train", runTrainSub}, {"status", runStatusSub}, {"quality", runNannyQuality}}, nannyUsage);
}

} // namespace mldeck::cli
