// mldeckctl deployments create|list|show|set|images|archive: a deployment exists before any traffic does.
// The logic lives in DeploymentStore and createDeployment() (the Deployments page calls the same).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/store/pg/DeploymentStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <algorithm>

namespace mldeck::cli {

namespace {

const QString kTask = QStringLiteral("task");
const QString kDescription = QStringLiteral("description");
const QString kTargetName = QStringLiteral("target-name");
const QString kTargetUnit = QStringLiteral("target-unit");
const QString kFromModel = QStringLiteral("from-model");
const QString kReferenceRows = QStringLiteral("reference-rows");
const QString kAll = QStringLiteral("all");
const QString kReason = QStringLiteral("reason");
const QString kClasses = QStringLiteral("classes");
const QString kThreshold = QStringLiteral("decision-threshold");
const QString kInput = QStringLiteral("input");
const QString kImageStore = QStringLiteral("image-store");
const QString kReferenceSet = QStringLiteral("reference-set");
const QString kHoldoutSet = QStringLiteral("holdout-set");

const QString kApp = QStringLiteral("mldeckctl-deployments");

QString orDash(const QString &s)
{
    return s.isEmpty() ? QStringLiteral("-") : s;
}

// The image configuration of an image deployment (in place of its features).
void printImages(const DeploymentInfo &d)
{
    Context::out(Text::tr("  input        images"));
    if (!d.images) {
        Context::out(Text::tr("  images       unreadable configuration: %1").arg(d.imagesError));
        return;
    }
    Context::out(Text::tr("  image store  %1 %2").arg(d.images->store.kind, d.images->store.root));
    Context::out(Text::tr("  reference    %1").arg(orDash(d.images->referenceSet)));
    Context::out(Text::tr("  holdout      %1").arg(orDash(d.images->holdoutSet)));
}

void printDeployment(const DeploymentInfo &d)
{
    Context::out(
        d.archived()
            ? Text::tr("%1  (archived %2 by %3)").arg(d.name, d.archivedAt->toString(Qt::ISODate), d.archivedBy)
            : d.name);
    Context::out(Text::tr("  task         %1").arg(d.task));
    if (d.classSpec.count() > 0)
        Context::out(d.classSpec.isBinary()
                         ? Text::tr("  classes      %1 (positive: %2 when P(%2) >= %3)")
                               .arg(d.classSpec.classes.join(QStringLiteral(", ")), d.classSpec.classes.at(1))
                               .arg(d.classSpec.decisionThreshold)
                         : Text::tr("  classes      %1 (the most probable is served)")
                               .arg(d.classSpec.classes.join(QStringLiteral(", "))));
    Context::out(Text::tr("  description  %1").arg(orDash(d.description)));
    Context::out(Text::tr("  target       %1 (unit: %2)").arg(orDash(d.targetName), orDash(d.targetUnit)));
    Context::out(Text::tr("  created      %1 by %2").arg(d.createdAt.toString(Qt::ISODate), d.createdBy));
    if (d.isImage()) {
        printImages(d);
        return;
    }
    QStringList features;
    for (const FeatureSpec &f : d.schema.features)
        features << (f.kind == FeatureSpec::Kind::Numeric ? f.name : Text::tr("%1 (categorical)").arg(f.name));
    Context::out(
        d.featureSchemaId > 0
            ? Text::tr("  features     schema %1: %2").arg(d.featureSchemaId).arg(features.join(QStringLiteral(", ")))
            : Text::tr("  features     none yet (the first model registered or row "
                       "logged sets them)"));
}

// Exit code of a refusal: an unknown or archived deployment is the same exit 2 as in every other
// verb; any other refusal (a missing reason, nothing to change, a refused role) is 1.
int refused(const QString &name, const Error &error)
{
    const bool oneLine =
        error.message == DeploymentStore::unknownText(name) || error.message == DeploymentStore::archivedText(name);
    return Context::fail(error.message, oneLine ? UsageOrConnection : CheckFailed);
}

// The name is the first positional argument; it must be the only one.
Result<QString> nameOf(const QCommandLineParser &p)
{
    if (p.positionalArguments().size() != 1)
        return Error{Text::tr("give exactly one deployment name")};
    return p.positionalArguments().constFirst();
}

// --decision-threshold: a number strictly between 0 and 1 (ClassSpec::validate says the same for a file).
Result<double> thresholdOf(const QCommandLineParser &p)
{
    bool ok = false;
    const double t = p.value(kThreshold).toDouble(&ok);
    if (!ok || !(t > 0 && t < 1))
        return Error{Text::tr("--decision-threshold must be a number strictly between 0 and 1, not \"%1\".")
                         .arg(p.value(kThreshold))};
    return t;
}

// The classes and threshold of a classification deployment: --classes (else the model file's), then
// --decision-threshold; refused for a regression deployment.
Status applyClassOptions(const QCommandLineParser &p, NewDeployment &spec)
{
    const bool classification = spec.task == QLatin1String("classification");
    if (!classification && (p.isSet(kClasses) || p.isSet(kThreshold)))
        return Error{Text::tr("--classes and --decision-threshold are for a classification deployment (--task "
                              "classification).")};
    if (!classification)
        return {};
    if (p.isSet(kClasses)) {
        spec.classSpec.classes.clear();
        for (const QString &c : p.value(kClasses).split(QLatin1Char(',')))
            spec.classSpec.classes << c.trimmed();
    }
    if (spec.classSpec.classes.isEmpty())
        return Error{Text::tr("A classification deployment needs its classes: give --classes a,b[,...] in the order "
                              "of the model's output (or --from-model FILE).")};
    if (p.isSet(kThreshold)) {
        if (!spec.classSpec.isBinary())
            return Error{Text::tr("--decision-threshold applies to two classes only (%1 given): a multi-class "
                                  "deployment serves the most probable class.")
                             .arg(spec.classSpec.count())};
        auto t = thresholdOf(p);
        if (!t)
            return t.error();
        spec.classSpec.decisionThreshold = *t;
    }
    return spec.classSpec.validate();
}

// A folder typed on the command line, absolute (the configuration is read from other directories and
// hosts); "" stays "" (none).
QString folderOption(const QCommandLineParser &p, const QString &option)
{
    const QString typed = p.value(option).trimmed();
    return typed.isEmpty() ? QString() : QDir::cleanPath(QFileInfo(typed).absoluteFilePath());
}

// --input image with --image-store [--reference-set --holdout-set]; image options without it are refused.
Status applyImageOptions(const QCommandLineParser &p, bool imageModel, NewDeployment &spec)
{
    const QString input = p.isSet(kInput) ? p.value(kInput) : (imageModel ? QStringLiteral("image") : QString());
    const bool image = input == QLatin1String("image");
    if (imageModel && !image)
        return Error{Text::tr("The model file takes images: an image deployment (--input image) serves it.")};
    if (image && p.isSet(kFromModel) && !imageModel)
        return Error{Text::tr("The model file takes tabular features: an image deployment needs an image model.")};
    if (!image) {
        if (p.isSet(kImageStore) || p.isSet(kReferenceSet) || p.isSet(kHoldoutSet))
            return Error{Text::tr("--image-store, --reference-set and --holdout-set are for an image deployment "
                                  "(--input image).")};
        return {};
    }
    if (!p.isSet(kImageStore) || p.value(kImageStore).trimmed().isEmpty())
        return Error{Text::tr("An image deployment needs its image store: give --image-store DIR, the folder its "
                              "logged image keys resolve in.")};
    ImageDeployment images;
    images.store.root = folderOption(p, kImageStore);
    images.referenceSet = folderOption(p, kReferenceSet);
    images.holdoutSet = folderOption(p, kHoldoutSet);
    spec.images = images;
    return {};
}

int runCreateSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Redis | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("name"),
                            Text::tr("The new deployment's name (lower-case, as in Redis keys)."));
    p.addOption({kTask, Text::tr("regression or classification (default: the model's, else regression)."),
                 QStringLiteral("task")});
    p.addOption({kDescription, Text::tr("One line saying what it predicts."), QStringLiteral("text")});
    p.addOption(
        {kTargetName, Text::tr("What the model predicts (default: the model's target)."), QStringLiteral("name")});
    p.addOption({kTargetUnit, Text::tr("Its unit (default: the model's)."), QStringLiteral("unit")});
    p.addOption({kFromModel, Text::tr("Take the feature schema, task and target from this model file's metadata."),
                 QStringLiteral("file")});
    p.addOption({kClasses,
                 Text::tr("classification: the class names in the order of the model's output, comma-separated; "
                          "binary: negative,positive (default: the model's)."),
                 QStringLiteral("a,b[,...]")});
    p.addOption({kThreshold,
                 Text::tr("binary classification: the positive class is served when its probability is at least "
                          "this (default: the model's, else 0.5)."),
                 QStringLiteral("t")});
    p.addOption({kInput,
                 Text::tr("What the model takes: features (a row of features) or image (default: the model's, else "
                          "features). An image deployment is a classification deployment."),
                 QStringLiteral("features|image")});
    p.addOption({kImageStore, Text::tr("image: the folder the logged image keys resolve in."), QStringLiteral("dir")});
    p.addOption({kReferenceSet, Text::tr("image: the reference training set, a folder with one subfolder per class."),
                 QStringLiteral("dir")});
    p.addOption({kHoldoutSet,
                 Text::tr("image: the fixed holdout, a folder with one subfolder per class (not the reference set)."),
                 QStringLiteral("dir")});
    p.addOption({kReferenceRows,
                 Text::tr("Drift reference: the first N logged predictions (default: %1).")
                     .arg(NewDeployment{}.driftReferenceRows),
                 QStringLiteral("N")});
    if (auto stop = inv.start(Text::tr("Create a deployment: its PostgreSQL row, feature schema, default targets, "
                                       "drift reference and Redis flags (ML off, 0 %), audited.")))
        return *stop;
    auto name = nameOf(p);
    if (!name)
        return Context::fail(name.errorMessage());
    if (p.isSet(kInput) && p.value(kInput) != QLatin1String("image") && p.value(kInput) != QLatin1String("features"))
        return Context::fail(Text::tr("--input must be features or image, not \"%1\".").arg(p.value(kInput)));
    NewDeployment spec;
    spec.name = *name;
    bool imageModel = false;
    if (p.isSet(kFromModel)) {
        // Loading validates the file and reads its mldeck.json (in the model worker process).
        auto runner = ModelRunner::load(p.value(kFromModel));
        if (!runner)
            return Context::fail(runner.errorMessage());
        const ModelInfo &info = (*runner)->info();
        if (!info.hasMetadata)
            return Context::fail(Text::tr("Model file %1 has no mldeck.json metadata: its features are unknown.")
                                     .arg(p.value(kFromModel)));
        spec.task = info.task;
        spec.targetName = info.target;
        spec.targetUnit = info.targetUnit;
        spec.schema = info.schema;
        spec.schema.id = 1;
        spec.classSpec = info.classSpec;
        imageModel = info.image.has_value();
    }
    const bool imageInput = p.value(kInput) == QLatin1String("image");
    if (p.isSet(kTask))
        spec.task = p.value(kTask);
    else if (imageInput)
        spec.task = QStringLiteral("classification");
    else if (!p.isSet(kFromModel))
        return Context::fail(Text::tr("Give --task regression or --task classification (or --from-model FILE)."));
    if (Status s = applyClassOptions(p, spec); !s)
        return Context::fail(s.errorMessage());
    if (Status s = applyImageOptions(p, imageModel, spec); !s)
        return Context::fail(s.errorMessage());
    spec.description = p.value(kDescription);
    if (p.isSet(kTargetName))
        spec.targetName = p.value(kTargetName);
    if (p.isSet(kTargetUnit))
        spec.targetUnit = p.value(kTargetUnit);
    if (p.isSet(kReferenceRows)) {
        bool ok = false;
        spec.driftReferenceRows = p.value(kReferenceRows).toInt(&ok);
        if (!ok)
            return Context::fail(
                Text::tr("--reference-rows must be a whole number, not \"%1\".").arg(p.value(kReferenceRows)));
    }
    auto created = createDeployment(inv.pg(), inv.redis(), spec, Actor::current());
    if (!created)
        return Context::fail(created.errorMessage(), CheckFailed);
    if (inv.json()) {
        QJsonObject o = created->deployment.toJson();
        o.insert(QStringLiteral("flags_existed"), created->flagsExisted);
        Context::outJson(QJsonDocument(o));
        return Success;
    }
    Context::out(Text::tr("Created deployment \"%1\".").arg(spec.name));
    Context::out(created->flagsExisted
                     ? Text::tr("Its Redis flags already existed and were left as they are (ml_enabled %1, %2 %).")
                           .arg(created->flags.mlEnabled ? 1 : 0)
                           .arg(created->flags.trafficPercentage)
                     : Text::tr("Its Redis flags were created: ML off, 0 %."));
    printDeployment(created->deployment);
    return Success;
}

int runListSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, kApp);
    inv.parser().addOption({kAll, Text::tr("Include archived deployments.")});
    if (auto stop = inv.start(Text::tr("List the deployments (active ones unless --all).")))
        return *stop;
    auto list = DeploymentStore(inv.pg()).list(inv.parser().isSet(kAll));
    if (!list)
        return Context::fail(list.errorMessage());
    if (inv.json()) {
        QJsonArray rows;
        for (const DeploymentInfo &d : *list)
            rows.append(d.toJson());
        Context::outJson(QJsonDocument(rows));
        return Success;
    }
    if (list->isEmpty())
        Context::out(Text::tr("No deployments. Create one with \"mldeckctl deployments create NAME --task "
                              "regression\"."));
    // A classifier's task column names its classes: classification (declined|accepted); an image
    // deployment's says so: classification, images (cat|dog).
    const auto taskOf = [](const DeploymentInfo &d) {
        const QString task = d.isImage() ? Text::tr("%1, images").arg(d.task) : d.task;
        return d.classSpec.count() > 0 ? QStringLiteral("%1 (%2)").arg(task, d.classSpec.classes.join(QLatin1Char('|')))
                                       : task;
    };
    qsizetype taskWidth = 15;
    for (const DeploymentInfo &d : *list)
        taskWidth = std::max(taskWidth, taskOf(d).size());
    for (const DeploymentInfo &d : *list) {
        Context::out(QStringLiteral("%1 %2 %3 %4")
                         .arg(d.name.leftJustified(24), taskOf(d).leftJustified(taskWidth),
                              (d.archived() ? Text::tr("archived") : Text::tr("active")).leftJustified(9),
                              d.description));
    }
    return Success;
}

int runShowSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, kApp);
    inv.parser().addPositionalArgument(QStringLiteral("name"), Text::tr("The deployment."));
    if (auto stop = inv.start(Text::tr("Show a deployment (archived ones too).")))
        return *stop;
    auto name = nameOf(inv.parser());
    if (!name)
        return Context::fail(name.errorMessage());
    auto d = DeploymentStore(inv.pg()).show(*name);
    if (!d)
        return refused(*name, d.error());
    if (inv.json())
        Context::outJson(QJsonDocument(d->toJson()));
    else
        printDeployment(*d);
    return Success;
}

int runSetSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("name"), Text::tr("The deployment."));
    p.addOption({kDescription, Text::tr("New description."), QStringLiteral("text")});
    p.addOption({kTargetName, Text::tr("New target name."), QStringLiteral("name")});
    p.addOption({kTargetUnit, Text::tr("New target unit."), QStringLiteral("unit")});
    p.addOption({kThreshold, Text::tr("New decision threshold of a binary classification deployment (0 < t < 1)."),
                 QStringLiteral("t")});
    if (auto stop = inv.start(Text::tr("Change the description, target or decision threshold of a deployment "
                                       "(audited).")))
        return *stop;
    auto name = nameOf(p);
    if (!name)
        return Context::fail(name.errorMessage());
    DeploymentEdit edit;
    if (p.isSet(kDescription))
        edit.description = p.value(kDescription);
    if (p.isSet(kTargetName))
        edit.targetName = p.value(kTargetName);
    if (p.isSet(kTargetUnit))
        edit.targetUnit = p.value(kTargetUnit);
    if (p.isSet(kThreshold)) {
        auto t = thresholdOf(p);
        if (!t)
            return Context::fail(t.errorMessage());
        edit.decisionThreshold = *t;
    }
    if (Status s = DeploymentStore(inv.pg()).set(*name, edit, Actor::current()); !s)
        return refused(*name, s.error());
    Context::out(Text::tr("Changed deployment \"%1\".").arg(*name));
    return Success;
}

int runImagesShow(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, kApp);
    inv.parser().addPositionalArgument(QStringLiteral("name"), Text::tr("The image deployment."));
    if (auto stop = inv.start(Text::tr("Show the image configuration of an image deployment: its image store, "
                                       "reference set and holdout set.")))
        return *stop;
    auto name = nameOf(inv.parser());
    if (!name)
        return Context::fail(name.errorMessage());
    auto d = DeploymentStore(inv.pg()).show(*name);
    if (!d)
        return refused(*name, d.error());
    auto images = DeploymentStore(inv.pg()).images(*name);
    if (!images)
        return Context::fail(images.errorMessage(), CheckFailed);
    if (inv.json())
        Context::outJson(QJsonDocument(images->toJson()));
    else
        printImages(*d);
    return Success;
}

int runImagesSet(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("name"), Text::tr("The deployment."));
    p.addOption({kImageStore, Text::tr("The folder the logged image keys resolve in."), QStringLiteral("dir")});
    p.addOption({kReferenceSet, Text::tr("The reference training set (one subfolder per class); \"\" for none."),
                 QStringLiteral("dir")});
    p.addOption(
        {kHoldoutSet, Text::tr("The fixed holdout (one subfolder per class); \"\" for none."), QStringLiteral("dir")});
    p.addOption({kReason, Text::tr("Why (recorded in the audit log)."), QStringLiteral("text")});
    if (auto stop = inv.start(Text::tr("Change the image configuration of a deployment (the folders are checked "
                                       "first; audited). Options not given keep their value.")))
        return *stop;
    auto name = nameOf(p);
    if (!name)
        return Context::fail(name.errorMessage());
    if (!p.isSet(kImageStore) && !p.isSet(kReferenceSet) && !p.isSet(kHoldoutSet))
        return Context::fail(Text::tr("Nothing to change: give --image-store, --reference-set or --holdout-set."));
    DeploymentStore store(inv.pg());
    auto d = store.show(*name);
    if (!d)
        return refused(*name, d.error());
    if (p.isSet(kImageStore) && p.value(kImageStore).trimmed().isEmpty())
        return Context::fail(Text::tr("The image store is required: --image-store cannot be empty."));
    ImageDeployment images = d->images.value_or(ImageDeployment{});
    if (p.isSet(kImageStore))
        images.store.root = folderOption(p, kImageStore);
    if (p.isSet(kReferenceSet))
        images.referenceSet = folderOption(p, kReferenceSet);
    if (p.isSet(kHoldoutSet))
        images.holdoutSet = folderOption(p, kHoldoutSet);
    if (images.store.root.isEmpty())
        return Context::fail(Text::tr("Deployment \"%1\" has no image store yet: give --image-store DIR.").arg(*name));
    if (Status s = store.setImages(*name, images, Actor::current(), p.value(kReason)); !s)
        return refused(*name, s.error());
    Context::out(Text::tr("Changed the image configuration of deployment \"%1\".").arg(*name));
    return Success;
}

int imagesUsage(int code)
{
    return Context::printUsage(
        Text::tr("Usage: mldeckctl deployments images <show|set> NAME [options]\n\n"
                 "  show  the image store, reference set and holdout set of an image deployment [--json]\n"
                 "  set   change them: --image-store DIR, --reference-set DIR, --holdout-set DIR [--reason]"),
        code);
}

int runImagesSub(Context &ctx)
{
    return dispatch(ctx, {{"show", runImagesShow}, {"set", runImagesSet}}, imagesUsage);
}

int runArchiveSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("name"), Text::tr("The deployment."));
    p.addOption({kReason, Text::tr("Why (recorded in the audit log); required."), QStringLiteral("text")});
    if (auto stop = inv.start(Text::tr("Archive a deployment: hidden from the selectors and the guard, its history "
                                       "kept (audited).")))
        return *stop;
    auto name = nameOf(p);
    if (!name)
        return Context::fail(name.errorMessage());
    if (Status s = DeploymentStore(inv.pg()).archive(*name, p.value(kReason), Actor::current()); !s)
        return refused(*name, s.error());
    Context::out(Text::tr("Archived deployment \"%1\"; its history is kept.").arg(*name));
    return Success;
}

int deploymentsUsage(int code)
{
    const QString text =
        Text::tr("Usage: mldeckctl deployments <create|list|show|set|images|retention|archive> [options]   (mldeckctl "
                 "deployments <sub> --help)\n\n"
                 "  create   create a deployment (--task [--classes a,b], or --from-model FILE; an image deployment: "
                 "--input image --image-store DIR [--reference-set DIR --holdout-set DIR])\n"
                 "  list     list the active deployments [--all]\n"
                 "  show     show one deployment\n"
                 "  set      change its description, target or decision threshold\n"
                 "  images   show or set the image configuration of an image deployment\n"
                 "  retention  show or set how long its raw rows are kept (--days N | --default)\n"
                 "  archive  hide it from selectors and the guard, keep its history (--reason)");
    return Context::printUsage(text, code);
}

} // namespace

int runDeployments(Context &ctx)
{
    return dispatch(ctx,
                    {{"create", runCreateSub},
                     {"list", runListSub},
                     {"show", runShowSub},
                     {"set", runSetSub},
                     {"images", runImagesSub},
                     {"retention", runDeploymentsRetention},
                     {"archive", runArchiveSub}},
                    deploymentsUsage);
}

} // namespace mldeck::cli
