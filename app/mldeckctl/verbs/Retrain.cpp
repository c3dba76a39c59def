// mldeckctl retrain check|run|history|cleanup|settings: retraining from the command line.
// The logic lives in core/services/retrain (the GUI wizard and the guard call the same); this file parses and prints.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Figure.h"
#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetrainStore.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>

namespace mldeck::cli {

namespace {

const QString kJson = QStringLiteral("json");

const QString kApp = QStringLiteral("mldeckctl-retrain");

void err(const QString &line)
{
    QTextStream(stderr) << line << Qt::endl;
}

QString number(double v)
{
    return QString::number(v, 'g', 6);
}

QJsonObject checkJson(const TriggerCheck &c)
{
    QJsonArray conditions;
    for (const TriggerCondition &k : c.conditions)
        conditions.append(QJsonObject{{QStringLiteral("key"), k.key},
                                      {QStringLiteral("label"), k.label},
                                      {QStringLiteral("value"), figureJson(k.value)},
                                      {QStringLiteral("threshold"), figureJson(k.threshold)},
                                      {QStringLiteral("comparison"), k.comparison},
                                      {QStringLiteral("met"), k.met},
                                      {QStringLiteral("enabled"), k.enabled}});
    return {{QStringLiteral("deployment"), c.deployment},
            {QStringLiteral("due"), c.due},
            {QStringLiteral("reason"), c.reason},
            {QStringLiteral("conditions"), conditions}};
}

void printCheck(const TriggerCheck &c)
{
    for (const TriggerCondition &k : c.conditions) {
        const QString state = !k.enabled ? Text::tr("off") : k.met ? Text::tr("met") : Text::tr("not met");
        if (k.comparison == QLatin1String("firing"))
            Context::out(Text::tr("  %1: %2 [%3]")
                             .arg(k.label, k.value.value_or(0) > 0 ? Text::tr("yes") : Text::tr("no"), state));
        else
            Context::out(
                Text::tr("  %1: %2 (threshold %3 %4) [%5]")
                    .arg(k.label, figureText(k.value, number), k.comparison, figureText(k.threshold, number), state));
    }
    Context::out(c.reason);
}

int runCheckSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    if (auto stop = inv.start(Text::tr("Check whether a deployment is due for retraining (exit 0: due, 1: not due).")))
        return *stop;
    const QString &deployment = inv.deployment();
    PgConnection &conn = inv.pg();
    const auto check = retrain::checkTriggers(conn, deployment);
    if (!check)
        return Context::fail(check.errorMessage());
    if (p.isSet(kJson))
        Context::outJson(QJsonDocument(checkJson(*check)));
    else
        printCheck(*check);
    return check->due ? Success : CheckFailed;
}

QString stageName(retrain::RetrainStage s)
{
    switch (s) {
    case retrain::RetrainStage::Checking:
        return Text::tr("checking");
    case retrain::RetrainStage::LoadingData:
        return Text::tr("loading data");
    case retrain::RetrainStage::Training:
        return Text::tr("training");
    case retrain::RetrainStage::Evaluating:
        return Text::tr("evaluating");
    case retrain::RetrainStage::Registering:
        return Text::tr("registering");
    case retrain::RetrainStage::Done:
        return Text::tr("done");
    }
    return {};
}

// How people name a decision metric (metricKey).
QString metricName(const QString &key)
{
    if (key == QLatin1String("accuracy"))
        return Text::tr("accuracy");
    if (key == QLatin1String("log_loss"))
        return Text::tr("log-loss");
    return QStringLiteral("MAE");
}

// --class-weights: "balanced" or one number per class ("1,3").
Status parseClassWeights(const QString &text, TrainingParams &training)
{
    if (text == QLatin1String("balanced")) {
        training.balancedClassWeights = true;
        return {};
    }
    for (const QString &part : text.split(QLatin1Char(','))) {
        bool ok = false;
        training.classWeights.push_back(part.trimmed().toDouble(&ok));
        if (!ok)
            return Error{Text::tr("--class-weights: \"%1\" is not \"balanced\" nor a list of numbers").arg(text)};
    }
    return {};
}

// An image deployment's data: where the images came from, and those that could not be used.
void printImages(const retrain::DataSummary &data, const retrain::RetrainOutcome &outcome)
{
    Context::out(Text::tr("Images: %1 labelled in the window (%2), %3 in the reference set, %4 in the holdout set")
                     .arg(data.windowImages)
                     .arg(data.imageStore)
                     .arg(data.referenceImages)
                     .arg(data.holdoutRows));
    if (outcome.skippedImageCount == 0)
        return;
    Context::out(Text::tr("Skipped images: %1").arg(outcome.skippedImageCount));
    for (const SkippedImage &s : outcome.skippedImages)
        Context::out(QStringLiteral("  %1: %2").arg(s.key, s.reason));
}

int runRunSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOptions({
        {QStringLiteral("days-back"), Text::tr("Data window: the last N days (default 60)."), QStringLiteral("n"),
         QStringLiteral("60")},
        {QStringLiteral("epochs"), Text::tr("Training epochs (default 10)."), QStringLiteral("n"),
         QStringLiteral("10")},
        {QStringLiteral("learning-rate"), Text::tr("Learning rate (default 0.0005)."), QStringLiteral("lr"),
         QStringLiteral("0.0005")},
        {QStringLiteral("batch-size"), Text::tr("Batch size (default 256)."), QStringLiteral("n"),
         QStringLiteral("256")},
        {QStringLiteral("seed"), Text::tr("Random seed (default 42)."), QStringLiteral("n"), QStringLiteral("42")},
        {QStringLiteral("reinit"), Text::tr("Re-initialise the weights instead of starting from the champion's.")},
        {QStringLiteral("min-improvement"),
         Text::tr("Decision rule: improvement required, relative for MAE and log-loss, in accuracy points for "
                  "accuracy (default: the settings')."),
         QStringLiteral("share")},
        {QStringLiteral("metric"),
         Text::tr("A classifier's decision metric: accuracy or log_loss (default: the settings')."),
         QStringLiteral("metric")},
        {QStringLiteral("class-weights"),
         Text::tr("A classifier's class weights in the loss: balanced, or one number per class (1,3)."),
         QStringLiteral("weights")},
        {QStringLiteral("flip"),
         Text::tr("An image deployment: mirror half of the training images (default: the retrain settings').")},
        {QStringLiteral("no-flip"),
         Text::tr("An image deployment: no mirrored training images (default: the retrain settings').")},
        {QStringLiteral("max-crop"),
         Text::tr("An image deployment: the largest share of each side cut off a training image (0 = no crops; "
                  "default: the retrain settings')."),
         QStringLiteral("share")},
        {QStringLiteral("store"),
         Text::tr("Model store directory (default: MLDECK_MODEL_STORE, else the standard one)."),
         QStringLiteral("dir")},
        {QStringLiteral("force"), Text::tr("Run even when the triggers are not due.")},
        {QStringLiteral("dry-run"), Text::tr("Train and evaluate; register and promote nothing.")},
    });
    if (auto stop = inv.start(
            Text::tr("Retrain the champion on recent data, evaluate it against the champion on the same "
                     "holdout, and promote it only when the decision rule says so (else keep it as challenger).")))
        return *stop;
    const QString &deployment = inv.deployment();
    retrain::RetrainRequest request;
    request.deployment = deployment;
    bool ok = true;
    const auto intOption = [&](const char *name, auto &target) {
        bool good = false;
        const qlonglong v = p.value(QString::fromLatin1(name)).toLongLong(&good);
        if (!good) {
            ok = false;
            Context::fail(Text::tr("--%1: \"%2\" is not a whole number")
                              .arg(QString::fromLatin1(name), p.value(QString::fromLatin1(name))));
        }
        target = std::decay_t<decltype(target)>(v);
    };
    intOption("days-back", request.daysBack);
    if (ok)
        intOption("epochs", request.training.epochs);
    if (ok)
        intOption("batch-size", request.training.batchSize);
    if (ok)
        intOption("seed", request.training.seed);
    if (!ok)
        return UsageOrConnection;
    request.training.learningRate = p.value(QStringLiteral("learning-rate")).toDouble(&ok);
    if (!ok)
        return Context::fail(
            Text::tr("--learning-rate: \"%1\" is not a number").arg(p.value(QStringLiteral("learning-rate"))));
    request.training.startFromBase = !p.isSet(QStringLiteral("reinit"));
    request.force = p.isSet(QStringLiteral("force"));
    request.dryRun = p.isSet(QStringLiteral("dry-run"));
    request.storeDirectory = p.value(QStringLiteral("store"));
    if (p.isSet(QStringLiteral("class-weights")))
        if (Status s = parseClassWeights(p.value(QStringLiteral("class-weights")), request.training); !s)
            return Context::fail(s.errorMessage());
    if (Status s = request.training.validate(); !s)
        return Context::fail(s.errorMessage());
    if (p.isSet(QStringLiteral("flip")) && p.isSet(QStringLiteral("no-flip")))
        return Context::fail(Text::tr("--flip and --no-flip exclude each other"));
    if (p.isSet(QStringLiteral("max-crop"))) {
        request.augmentation.maxCrop = p.value(QStringLiteral("max-crop")).toDouble(&ok);
        if (!ok)
            return Context::fail(
                Text::tr("--max-crop: \"%1\" is not a number").arg(p.value(QStringLiteral("max-crop"))));
        if (Status s = request.augmentation.validate(); !s)
            return Context::fail(s.errorMessage());
    }

    PgConnection &conn = inv.pg();
    const auto settings = retrain::loadSettings(conn, request.deployment);
    if (!settings)
        return Context::fail(settings.errorMessage());
    // The deployment's augmentation, with this run's overrides.
    const ImageAugmentation chosen = request.augmentation;
    request.augmentation = settings->imageAugmentation;
    if (p.isSet(QStringLiteral("flip")) || p.isSet(QStringLiteral("no-flip")))
        request.augmentation.horizontalFlip = p.isSet(QStringLiteral("flip"));
    if (p.isSet(QStringLiteral("max-crop")))
        request.augmentation.maxCrop = chosen.maxCrop;
    request.minImprovement = settings->minImprovement;
    if (p.isSet(QStringLiteral("min-improvement"))) {
        request.minImprovement = p.value(QStringLiteral("min-improvement")).toDouble(&ok);
        if (!ok)
            return Context::fail(
                Text::tr("--min-improvement: \"%1\" is not a number").arg(p.value(QStringLiteral("min-improvement"))));
    }
    request.classificationMetric =
        p.isSet(QStringLiteral("metric")) ? p.value(QStringLiteral("metric")) : settings->classificationMetric;
    if (!request.force) {
        const auto check = retrain::checkTriggers(conn, request.deployment);
        if (!check)
            return Context::fail(check.errorMessage());
        if (!check->due) {
            if (!p.isSet(kJson))
                printCheck(*check);
            return Context::fail(Text::tr("Retraining is not due; use --force to run anyway."), CheckFailed);
        }
        request.trigger = retrain::triggerFor(*check); // the condition that was met
        request.force = true;                          // checked just now
    }

    const auto outcome =
        retrain::runRetrain(conn, request, Actor::current(), nullptr, [](const retrain::RetrainProgress &pr) {
            if (pr.epoch && pr.epoch->validationAccuracy)
                err(Text::tr("[%1 %] epoch %2/%3: train loss %4, validation loss %5, validation accuracy %6 %, %7 s "
                             "left")
                        .arg(int(pr.fraction * 100), 3)
                        .arg(pr.epoch->epoch)
                        .arg(pr.epoch->epochs)
                        .arg(pr.epoch->trainLoss, 0, 'f', 4)
                        .arg(pr.epoch->validationLoss, 0, 'f', 4)
                        .arg(*pr.epoch->validationAccuracy * 100, 0, 'f', 1)
                        .arg(pr.epoch->secondsLeft, 0, 'f', 0));
            else if (pr.epoch)
                err(Text::tr("[%1 %] epoch %2/%3: train loss %4, validation loss %5, validation MAE %6, %7 s left")
                        .arg(int(pr.fraction * 100), 3)
                        .arg(pr.epoch->epoch)
                        .arg(pr.epoch->epochs)
                        .arg(pr.epoch->trainLoss, 0, 'f', 4)
                        .arg(pr.epoch->validationLoss, 0, 'f', 4)
                        .arg(pr.epoch->validationMae, 0, 'f', 4)
                        .arg(pr.epoch->secondsLeft, 0, 'f', 0));
            else if (pr.stage != retrain::RetrainStage::Training)
                err(Text::tr("[%1 %] %2: %3").arg(int(pr.fraction * 100), 3).arg(stageName(pr.stage), pr.message));
        });
    RetrainRun run = outcome.run;
    QString applyError;
    if (run.state == QLatin1String("succeeded") && !request.dryRun && !outcome.candidateVersion.isEmpty()) {
        retrain::ApplyOptions apply;
        const bool promote = outcome.decision && outcome.decision->promote;
        apply.action = promote ? retrain::RetrainAction::Promote : retrain::RetrainAction::KeepAsChallenger;
        apply.reason = outcome.decision ? outcome.decision->reason : QString();
        const auto applied =
            retrain::applyDecision(conn, std::optional<RedisEndpoint>(inv.redis()), run.id, apply, Actor::current());
        if (applied)
            run = *applied;
        else
            applyError = applied.errorMessage();
    }
    if (p.isSet(kJson)) {
        QJsonObject o = run.toJson();
        if (outcome.decision)
            o.insert(QStringLiteral("promote"), outcome.decision->promote);
        o.insert(QStringLiteral("candidate_version"), outcome.candidateVersion);
        if (!applyError.isEmpty())
            o.insert(QStringLiteral("apply_error"), applyError);
        Context::outJson(QJsonDocument(o));
    } else {
        Context::out(Text::tr("Run %1: %2").arg(run.id).arg(run.state));
        if (!run.error.isEmpty())
            Context::out(Text::tr("Reason: %1").arg(run.error));
        if (outcome.data && outcome.data->images)
            printImages(*outcome.data, outcome);
        if (outcome.decision) {
            const retrain::RetrainDecision &d = *outcome.decision;
            Context::out(Text::tr("Holdout %1: candidate %2, champion %3")
                             .arg(metricName(retrain::metricKey(d.metric)))
                             .arg(d.candidate, 0, 'f', 4)
                             .arg(d.champion, 0, 'f', 4));
            Context::out(outcome.decision->reason);
        }
        if (!outcome.candidateVersion.isEmpty())
            Context::out(Text::tr("Candidate %1@%2: %3").arg(run.deployment, outcome.candidateVersion, run.decision));
        else if (request.dryRun && run.state == QLatin1String("succeeded"))
            Context::out(Text::tr("Dry run: nothing was registered."));
        if (!applyError.isEmpty())
            Context::out(Text::tr("Could not apply the decision: %1").arg(applyError));
    }
    return run.state == QLatin1String("succeeded") && applyError.isEmpty() ? Success : CheckFailed;
}

int runHistorySub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption(
        {QStringLiteral("limit"), Text::tr("At most N runs (default 50)."), QStringLiteral("n"), QStringLiteral("50")});
    if (auto stop = inv.start(Text::tr("The retrain runs of a deployment, newest first.")))
        return *stop;
    const QString &deployment = inv.deployment();
    bool ok = false;
    const int limit = p.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit < 1)
        return Context::fail(
            Text::tr("--limit: \"%1\" is not a positive whole number").arg(p.value(QStringLiteral("limit"))));
    PgConnection &conn = inv.pg();
    const auto runs = retrain::history(conn, deployment, limit);
    if (!runs)
        return Context::fail(runs.errorMessage());
    if (p.isSet(kJson)) {
        QJsonArray a;
        for (const RetrainRun &r : *runs)
            a.append(r.toJson());
        Context::outJson(QJsonDocument(a));
        return Success;
    }
    if (runs->isEmpty())
        Context::out(Text::tr("No retrain run for \"%1\" yet.").arg(deployment));
    for (const RetrainRun &r : *runs) {
        const QJsonObject cand = r.metrics.value(QStringLiteral("candidate")).toObject();
        const QJsonObject champ = r.metrics.value(QStringLiteral("champion")).toObject();
        // The metric the run decided on (runs before classifiers record none: the MAE).
        const QString metric = r.metrics.value(QStringLiteral("decision_rule"))
                                   .toObject()
                                   .value(QStringLiteral("metric"))
                                   .toString(QStringLiteral("mae"));
        Context::out(Text::tr("#%1 %2 %3 %4 (%5)%6 base %7 -> %8, %9 s, %10 %11 vs %12, decision %13")
                         .arg(r.id)
                         .arg(r.requestedAt.toString(Qt::ISODate), r.state, r.trigger, r.requestedBy,
                              r.dryRun ? Text::tr(" dry run") : QString(),
                              r.baseVersion.isEmpty() ? QStringLiteral("-") : r.baseVersion,
                              r.resultVersion.isEmpty() ? QStringLiteral("-") : r.resultVersion)
                         .arg(figureText(r.durationSeconds(), [](double v) { return QString::number(v, 'f', 1); }))
                         .arg(metricName(metric), figureText(figureOf(cand.value(metric)), number),
                              figureText(figureOf(champ.value(metric)), number),
                              r.decision.isEmpty() ? QStringLiteral("-") : r.decision));
        if (!r.error.isEmpty())
            Context::out(Text::tr("    %1").arg(r.error));
        else if (!r.decisionReason.isEmpty())
            Context::out(Text::tr("    %1").arg(r.decisionReason));
    }
    return Success;
}

int runCleanupSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addOption({QStringLiteral("keep"),
                 Text::tr("Retrained versions to keep, newest first (the champion and the previous "
                          "champion are always kept)."),
                 QStringLiteral("n")});
    if (auto stop = inv.start(Text::tr("Archive old retrained versions and remove their files from the model store.")))
        return *stop;
    if (!p.isSet(QStringLiteral("keep")))
        return Context::fail(Text::tr("--keep N is required"));
    bool ok = false;
    const int keep = p.value(QStringLiteral("keep")).toInt(&ok);
    if (!ok || keep < 0)
        return Context::fail(
            Text::tr("--keep: \"%1\" is not a whole number of 0 or more").arg(p.value(QStringLiteral("keep"))));
    const QString &deployment = inv.deployment();
    PgConnection &conn = inv.pg();
    const auto report = retrain::cleanup(conn, deployment, keep, Actor::current());
    if (!report)
        return Context::fail(report.errorMessage(), CheckFailed);
    if (p.isSet(kJson)) {
        Context::outJson(
            QJsonDocument(QJsonObject{{QStringLiteral("archived"), QJsonArray::fromStringList(report->archived)},
                                      {QStringLiteral("kept"), QJsonArray::fromStringList(report->kept)}}));
        return Success;
    }
    Context::out(Text::tr("Archived: %1")
                     .arg(report->archived.isEmpty() ? Text::tr("none") : report->archived.join(QStringLiteral(", "))));
    Context::out(
        Text::tr("Kept: %1").arg(report->kept.isEmpty() ? Text::tr("none") : report->kept.join(QStringLiteral(", "))));
    return Success;
}

int runSettingsSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(
        QStringLiteral("set"),
        Text::tr("\"set key=value ...\" changes settings (e.g. set autoRetrain=true minFeedback=150)."));
    if (auto stop = inv.start(Text::tr("Show or change the retrain settings of a deployment (audited).")))
        return *stop;
    const QString &deployment = inv.deployment();
    const QStringList args = p.positionalArguments();
    if (!args.isEmpty() && args.first() != QLatin1String("set"))
        return Context::fail(Text::tr("unknown argument \"%1\": use \"set key=value ...\"").arg(args.first()));
    if (!args.isEmpty() && args.size() < 2)
        return Context::fail(Text::tr("\"set\" needs at least one key=value"));
    PgConnection &conn = inv.pg();
    auto settings = retrain::loadSettings(conn, deployment);
    if (!settings)
        return Context::fail(settings.errorMessage());
    RetrainSettings s = *settings;
    if (!args.isEmpty()) {
        QJsonObject o = s.toFlatJson();
        for (const QString &kv : args.mid(1)) {
            const qsizetype eq = kv.indexOf(QLatin1Char('='));
            const QString key = kv.left(eq);
            const QString value = kv.mid(eq + 1);
            if (eq <= 0 || !o.contains(key))
                return Context::fail(
                    Text::tr("unknown setting \"%1\"; known: %2").arg(kv, o.keys().join(QStringLiteral(", "))));
            if (o.value(key).isBool()) {
                if (value != QLatin1String("true") && value != QLatin1String("false"))
                    return Context::fail(Text::tr("%1 must be true or false").arg(key));
                o.insert(key, value == QLatin1String("true"));
            } else if (o.value(key).isString()) {
                o.insert(key, value); // checked by RetrainSettings::fromJson below
            } else {
                bool ok = false;
                const double v = value.toDouble(&ok);
                if (!ok)
                    return Context::fail(Text::tr("%1 must be a number (got \"%2\")").arg(key, value));
                o.insert(key, v);
            }
        }
        QString error;
        s = RetrainSettings::fromJson(RetrainSettings::nested(o), &error);
        if (!error.isEmpty())
            return Context::fail(error);
        if (Status saved = retrain::saveSettings(conn, deployment, s, Actor::current()); !saved)
            return Context::fail(saved.errorMessage(), CheckFailed);
    }
    if (p.isSet(kJson)) {
        Context::outJson(QJsonDocument(s.toJson()));
        return Success;
    }
    const QJsonObject o = s.toFlatJson();
    for (auto it = o.begin(); it != o.end(); ++it)
        Context::out(QStringLiteral("  %1 = %2")
                         .arg(it.key(), it.value().isBool()
                                            ? (it.value().toBool() ? QStringLiteral("true") : QStringLiteral("false"))
                                        : it.value().isString() ? it.value().toString()
                                                                : number(it.value().toDouble())));
    return Success;
}

int runCancelSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg, kApp);
    if (auto stop =
            inv.start(Text::tr("Ask the running retrain of a deployment to stop (it records itself as cancelled).")))
        return *stop;
    const QString &deployment = inv.deployment();
    PgConnection &conn = inv.pg();
    RetrainStore store(conn);
    const auto runs = store.list(deployment, 20);
    if (!runs)
        return Context::fail(runs.errorMessage());
    for (const RetrainRun &r : *runs)
        if (r.state == QLatin1String("queued") || r.state == QLatin1String("running")) {
            if (Status s = store.requestCancel(r.id); !s)
                return Context::fail(s.errorMessage(), CheckFailed);
            Context::out(Text::tr("Asked run %1 to stop; it stops at the end of the current epoch.").arg(r.id));
            return Success;
        }
    return Context::fail(Text::tr("No retrain run of \"%1\" is running.").arg(deployment), CheckFailed);
}

int retrainUsage(int code)
{
    const QString text =
        Text::tr("Usage: mldeckctl retrain <check|run|history|cancel|cleanup|settings> [options]   "
                 "(mldeckctl retrain <sub> --help)\n\n"
                 "  check       is the deployment due? each condition with value and threshold (exit 0 due, 1 not)\n"
                 "  run         retrain, evaluate against the champion, promote only if the rule says so\n"
                 "  history     the runs: status, trigger, parameters, metrics, decision\n"
                 "  cancel      ask the running run to stop\n"
                 "  cleanup     archive old retrained versions (--keep N; never the champion or the previous one)\n"
                 "  settings    show or change the triggers and the scheduler (settings set key=value ...)");
    return Context::printUsage(text, code);
}

} // namespace

int runRetrain(Context &ctx)
{
    return dispatch(ctx,
                    {{"check", runCheckSub},
                     {"run", runRunSub},
                     {"history", runHistorySub},
                     {"cancel", runCancelSub},
                     {"cleanup", runCleanupSub},
                     {"settings", runSettingsSub}},
                    retrainUsage);
}

} // namespace mldeck::cli
