#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/services/DriftCheck.h"
#include "core/services/DriftReference.h"
#include "core/services/FeatureSketching.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/stats/drift/DriftReport.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>

#include <optional>

namespace mldeck::cli {

namespace {

// `drift check` while the deployment's default reference (its first N predictions) is still filling:
// no figures yet, a state of its own (neither drift nor an error).
constexpr int kReferenceFilling = 3;

// The multivariate line is shown (text and JSON) but, like prediction drift, does not set the exit code.
int printResult(const QCommandLineParser &parser, const drift::DatasetDrift &result,
                const std::optional<drift::MultivariateDrift> &multivariate, QJsonObject extra,
                const QStringList &preamble)
{
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonObject json = drift::toJson(result);
        if (multivariate)
            json.insert(QStringLiteral("multivariate"), drift::toJson(*multivariate));
        for (auto it = extra.begin(); it != extra.end(); ++it)
            json.insert(it.key(), it.value());
        Context::outJson(QJsonDocument(json));
    } else {
        for (const QString &line : preamble)
            Context::out(line);
        for (const QString &line : drift::toTextLines(result))
            Context::out(line);
        if (multivariate)
            Context::out(drift::toTextLine(*multivariate));
    }
    return result.datasetDrift ? CheckFailed : Success;
}

Result<double> shareOption(const QCommandLineParser &parser)
{
    bool ok = false;
    const double share = parser.value(QStringLiteral("share")).toDouble(&ok);
    if (!ok || !(share > 0 && share <= 1))
        return Error{Text::tr("--share must be a number above 0 and at most 1, not \"%1\".")
                         .arg(parser.value(QStringLiteral("share")))};
    return share;
}

int runDriftCheckVerb(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-drift"));
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("deployment"), Text::tr("Deployment to check."), QStringLiteral("name")},
        {QStringLiteral("window"), Text::tr("Current window, e.g. 10m (default: the deployment's setting, else 10m)."),
         QStringLiteral("duration")},
        {QStringLiteral("reference"),
         Text::tr("Reference: first_rows:N, model, snapshot:NAME, period:FROM/TO, auto, first:DURATION or "
                  "previous:DURATION (default: the deployment's setting, else first_rows:5000)."),
         QStringLiteral("spec")},
        {QStringLiteral("share"), Text::tr("Share of drifting features that makes dataset drift (default 0.5)."),
         QStringLiteral("0..1")},
        {QStringLiteral("at"), Text::tr("End of the current window, ISO 8601 (default: now)."), QStringLiteral("time")},
        {QStringLiteral("exact"), Text::tr("Read the raw rows even for a window longer than a day (default: such a "
                                           "window is read from the hourly feature sketches).")},
    });
    if (auto code = inv.start(Text::tr("Checks the live window of a deployment for feature drift. Exit code 1 "
                                       "when the dataset drifts, 3 while its reference is still filling.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    DriftCheckRequest request;
    request.deployment = parser.value(QStringLiteral("deployment"));
    if (request.deployment.isEmpty())
        return Context::fail(Text::tr("--deployment is required."));
    if (Status active = DeploymentStore(inv.pg()).requireActive(request.deployment); !active)
        return Context::fail(active.errorMessage());
    if (parser.isSet(QStringLiteral("window"))) {
        const auto w = drift::parseSeconds(parser.value(QStringLiteral("window")));
        if (!w)
            return Context::fail(Text::tr("--window: %1").arg(w.errorMessage()));
        request.windowSeconds = *w;
    }
    if (parser.isSet(QStringLiteral("reference"))) {
        request.reference = parser.value(QStringLiteral("reference"));
        if (const auto r = drift::ReferenceSpec::parse(request.reference); !r)
            return Context::fail(Text::tr("--reference: %1").arg(r.errorMessage()));
    }
    if (parser.isSet(QStringLiteral("share"))) {
        const auto s = shareOption(parser);
        if (!s)
            return Context::fail(s.errorMessage());
        request.datasetShare = *s;
    }
    if (parser.isSet(QStringLiteral("at"))) {
        const QDateTime at = Context::parseUtc(parser.value(QStringLiteral("at")));
        if (!at.isValid())
            return Context::fail(
                Text::tr("--at must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not \"%1\".")
                    .arg(parser.value(QStringLiteral("at"))));
        request.now = at.toUTC();
    }
    if (parser.isSet(QStringLiteral("exact")))
        request.sketches = DriftCheckRequest::Sketches::Never;
    PgConnection &conn = inv.pg();
    const auto report = runDriftCheck(conn, request);
    if (!report)
        return Context::fail(report.errorMessage());
    if (report->filling) {
        if (parser.isSet(QStringLiteral("json")))
            Context::outJson(QJsonDocument(QJsonObject{
                {QStringLiteral("deployment"), request.deployment},
                {QStringLiteral("reference"), report->referenceDescription},
                {QStringLiteral("filling"), QJsonObject{{QStringLiteral("rows"), report->filling->rows},
                                                        {QStringLiteral("needed"), report->filling->needed}}},
                {QStringLiteral("features"), QJsonArray()},
                {QStringLiteral("dataset"), QJsonValue()}}));
        else
            Context::out(
                Text::tr("Deployment %1: %2 (%3); drift is checked once the reference is full.")
                    .arg(request.deployment, referenceFillingText(*report->filling), report->referenceDescription));
        return kReferenceFilling;
    }
    QJsonObject extra{{QStringLiteral("deployment"), request.deployment},
                      {QStringLiteral("window_from"), report->windowFrom.toString(Qt::ISODateWithMs)},
                      {QStringLiteral("window_to"), report->windowTo.toString(Qt::ISODateWithMs)},
                      {QStringLiteral("reference"), report->referenceDescription}};
    QStringList preamble{Text::tr("Deployment %1: window %2 to %3 against %4.")
                             .arg(request.deployment, report->windowFrom.toString(Qt::ISODate),
                                  report->windowTo.toString(Qt::ISODate), report->referenceDescription)};
    if (report->fromSketches) {
        extra.insert(QStringLiteral("sketches"), QJsonObject{{QStringLiteral("hours"), report->sketchedHours},
                                                             {QStringLiteral("raw_rows"), report->rawRows}});
        preamble << Text::tr("Window read from %n hourly sketch(es) and %1 raw rows: each figure is shown with the "
                             "interval holding the exact one; a verdict is made only when that interval is on one "
                             "side of the threshold (target drift is not sketched).",
                             nullptr, int(report->sketchedHours))
                        .arg(report->rawRows);
    }
    if (report->images) { // an image deployment: its features are statistics of sampled images
        extra.insert(QStringLiteral("images"), toJson(*report->images));
        preamble << imageDriftTextLines(*report->images);
    }
    return printResult(parser, report->result, report->multivariate, extra, preamble);
}

// `drift sketch`: sketches the deployment's complete hours now (the guard does it every round), all of them.
int runDriftSketchVerb(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-drift"));
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({{QStringLiteral("deployment"), Text::tr("Deployment to sketch."), QStringLiteral("name")}});
    if (auto code = inv.start(Text::tr("Sketches the complete hours of a deployment's log for drift over long "
                                       "windows (the guard does it every round).")))
        return *code;
    const QString deployment = parser.value(QStringLiteral("deployment"));
    if (deployment.isEmpty())
        return Context::fail(Text::tr("--deployment is required."));
    if (Status active = DeploymentStore(inv.pg()).requireActive(deployment); !active)
        return Context::fail(active.errorMessage());
    FeatureSketchingOptions options;
    options.runBudgetMs = 0;
    const auto report =
        sketchCompletedHours(inv.pg(), deployment, QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000, options);
    if (!report)
        return Context::fail(report.errorMessage());
    const QString to = QDateTime::fromMSecsSinceEpoch(report->watermarkMicros / 1000, Qt::UTC).toString(Qt::ISODate);
    if (parser.isSet(QStringLiteral("json")))
        Context::outJson(QJsonDocument(
            QJsonObject{{QStringLiteral("deployment"), deployment},
                        {QStringLiteral("hours"), report->hours},
                        {QStringLiteral("hours_resketched"), report->hoursResketched},
                        {QStringLiteral("rows"), report->rows},
                        {QStringLiteral("sketched_to"), report->nothingLogged ? QJsonValue() : QJsonValue(to)}}));
    else if (report->nothingLogged)
        Context::out(Text::tr("Deployment %1 has logged nothing yet: nothing to sketch.").arg(deployment));
    else {
        Context::out(Text::tr("Deployment %1: %n hour(s) sketched (%2 predictions); sketched up to %3.", nullptr,
                              int(report->hours))
                         .arg(deployment)
                         .arg(report->rows)
                         .arg(to));
        if (report->hoursResketched > 0)
            Context::out(Text::tr("%n sketched hour(s) sketched again: predictions were logged into them after they "
                                  "were sketched.",
                                  nullptr, int(report->hoursResketched)));
    }
    return Success;
}

int runDriftCompareVerb(Context &ctx)
{
    Invocation inv(ctx, Invocation::Json);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("reference"), Text::tr("Reference CSV file (header line, one column per feature)."),
         QStringLiteral("file")},
        {QStringLiteral("current"), Text::tr("Current CSV file, same columns."), QStringLiteral("file")},
        {QStringLiteral("ignore"), Text::tr("Comma-separated columns to leave out (default: ts,request_key)."),
         QStringLiteral("columns"), QStringLiteral("ts,request_key")},
        {QStringLiteral("share"), Text::tr("Share of drifting features that makes dataset drift (default 0.5)."),
         QStringLiteral("0..1")},
        {QStringLiteral("pca-chunk-rows"),
         Text::tr("Rows per reference chunk of the multivariate band (default: the current file's rows, at most a "
                  "tenth of the reference's, at least 100)."),
         QStringLiteral("rows")},
    });
    if (auto code = inv.start(Text::tr("Compares two data sets offline, feature by feature (a text column is "
                                       "categorical, a numeric column numeric). Exit code 1 when the dataset drifts.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    const QString refPath = parser.value(QStringLiteral("reference")),
                  curPath = parser.value(QStringLiteral("current"));
    if (refPath.isEmpty() || curPath.isEmpty())
        return Context::fail(Text::tr("--reference and --current are both required."));
    drift::DriftOptions options;
    if (parser.isSet(QStringLiteral("share"))) {
        const auto s = shareOption(parser);
        if (!s)
            return Context::fail(s.errorMessage());
        options.datasetShare = *s;
    }
    const QStringList ignore = parser.value(QStringLiteral("ignore")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    const auto reference = drift::readCsvDataset(refPath, ignore);
    if (!reference)
        return Context::fail(reference.errorMessage());
    const auto current = drift::readCsvDataset(curPath, ignore);
    if (!current)
        return Context::fail(current.errorMessage());
    for (const drift::Column &c : current->columns) {
        const drift::Column *r = reference->find(c.name);
        if (!r)
            return Context::fail(Text::tr("Column \"%1\" of %2 is not in %3.").arg(c.name, curPath, refPath));
        if (r->kind != c.kind)
            return Context::fail(Text::tr("Column \"%1\" is numeric in one file and text in the other.").arg(c.name));
    }
    drift::MultivariateOptions pca;
    if (parser.isSet(QStringLiteral("pca-chunk-rows"))) {
        bool ok = false;
        pca.chunkRows = parser.value(QStringLiteral("pca-chunk-rows")).toLongLong(&ok);
        if (!ok || pca.chunkRows < 1)
            return Context::fail(Text::tr("--pca-chunk-rows must be a whole number of at least 1, not \"%1\".")
                                     .arg(parser.value(QStringLiteral("pca-chunk-rows"))));
    }
    const drift::DatasetDrift result = drift::compareDatasets(*reference, *current, options);
    return printResult(parser, result, drift::compareMultivariate(*reference, *current, pca), {}, {});
}

void printReference(const Invocation &inv, const DriftReferenceState &state)
{
    if (inv.json()) {
        Context::outJson(QJsonDocument(state.toJson()));
        return;
    }
    Context::out(Text::tr("Deployment %1: drift reference %2 (%3)%4.")
                     .arg(state.deployment, state.spec.toString(), state.description,
                          state.stored.isEmpty() ? Text::tr(", the default") : QString()));
    if (state.filling)
        Context::out(Text::tr("State: %1.").arg(referenceFillingText(*state.filling)));
    if (!state.snapshots.isEmpty())
        Context::out(Text::tr("Snapshots: %1.").arg(state.snapshots.join(QStringLiteral(", "))));
}

int runDriftReferenceShow(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-drift"));
    if (auto code = inv.start(Text::tr("Shows the drift reference of a deployment and whether it is still filling.")))
        return *code;
    if (!inv.parser().positionalArguments().isEmpty())
        return Context::fail(
            Text::tr("Unexpected argument \"%1\".").arg(inv.parser().positionalArguments().constFirst()));
    const auto state = readDriftReference(inv.pg(), inv.deployment());
    if (!state)
        return Context::fail(state.errorMessage());
    printReference(inv, *state);
    return Success;
}

int runDriftReferenceSet(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-drift"));
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("first-rows"), Text::tr("The first N logged predictions (the default, N = 5000)."),
         QStringLiteral("N")},
        {QStringLiteral("period"), Text::tr("A logged period FROM/TO, ISO 8601."), QStringLiteral("from/to")},
        {QStringLiteral("snapshot"), Text::tr("A stored snapshot, by name."), QStringLiteral("name")},
        {QStringLiteral("model"), Text::tr("The champion model's training window (train_from/train_to).")},
        {QStringLiteral("from-csv"),
         Text::tr("The model's training data: a CSV file with a column per feature (optional columns predicted, "
                  "actual), stored as a snapshot."),
         QStringLiteral("file")},
        {QStringLiteral("name"), Text::tr("Name of the snapshot --from-csv stores (default: training)."),
         QStringLiteral("name"), QStringLiteral("training")},
        {QStringLiteral("spec"), Text::tr("Any reference text: auto, first:DURATION, previous:DURATION, ..."),
         QStringLiteral("spec")},
    });
    if (auto code = inv.start(Text::tr("Sets the drift reference of a deployment (one of --first-rows, --period, "
                                       "--snapshot, --model, --from-csv, --spec); audited.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    QStringList chosen;
    for (const char *o : {"first-rows", "period", "snapshot", "model", "from-csv", "spec"})
        if (parser.isSet(QLatin1String(o)))
            chosen << QStringLiteral("--") + QLatin1String(o);
    if (chosen.size() != 1)
        return Context::fail(
            chosen.isEmpty()
                ? Text::tr("Choose the reference: --first-rows N, --period FROM/TO, --snapshot NAME, --model, "
                           "--from-csv FILE or --spec SPEC.")
                : Text::tr("Choose one reference, not %1.").arg(chosen.join(QStringLiteral(", "))));
    if (parser.isSet(QStringLiteral("name")) && !parser.isSet(QStringLiteral("from-csv")))
        return Context::fail(Text::tr("--name goes with --from-csv."));
    const Actor actor = Actor::current();
    Result<DriftReferenceState> state = Error{QString()};
    if (parser.isSet(QStringLiteral("from-csv"))) {
        state = setDriftReferenceFromCsv(inv.pg(), inv.deployment(), parser.value(QStringLiteral("from-csv")),
                                         parser.value(QStringLiteral("name")), actor);
    } else {
        const QString spec = parser.isSet(QStringLiteral("first-rows"))
                                 ? QStringLiteral("first_rows:") + parser.value(QStringLiteral("first-rows"))
                             : parser.isSet(QStringLiteral("period"))
                                 ? QStringLiteral("period:") + parser.value(QStringLiteral("period"))
                             : parser.isSet(QStringLiteral("snapshot"))
                                 ? QStringLiteral("snapshot:") + parser.value(QStringLiteral("snapshot"))
                             : parser.isSet(QStringLiteral("model")) ? QStringLiteral("model")
                                                                     : parser.value(QStringLiteral("spec"));
        state = setDriftReference(inv.pg(), inv.deployment(), spec, actor);
    }
    if (!state)
        return Context::fail(Text::tr("Drift reference not changed: %1").arg(state.errorMessage()));
    printReference(inv, *state);
    return Success;
}

int runDriftReference(Context &ctx)
{
    return dispatch(ctx,
                    {{"show", [](Context &c) { return runDriftReferenceShow(c); }},
                     {"set", [](Context &c) { return runDriftReferenceSet(c); }}},
                    [](int code) {
                        return Context::printUsage(
                            Text::tr("Usage: mldeckctl drift reference show --deployment D [--json]\n"
                                     "       mldeckctl drift reference set --deployment D (--first-rows N | --period "
                                     "FROM/TO | --snapshot NAME | --model | --from-csv FILE [--name NAME] | --spec "
                                     "SPEC) [--json]"),
                            code);
                    });
}

} // namespace

int runDrift(Context &ctx)
{
    const QStringList args = ctx.args();
    const QString sub = args.size() > 1 ? args.at(1) : QString();
    if (sub == QLatin1String("check") || sub == QLatin1String("compare") || sub == QLatin1String("reference") ||
        sub == QLatin1String("sketch")) {
        QStringList rest = args;
        rest.removeAt(1);
        rest[0] += QLatin1Char(' ') + sub;
        Context sub_ctx(rest);
        return sub == QLatin1String("check")       ? runDriftCheckVerb(sub_ctx)
               : sub == QLatin1String("reference") ? runDriftReference(sub_ctx)
               : sub == QLatin1String("sketch")    ? runDriftSketchVerb(sub_ctx)
                                                   : runDriftCompareVerb(sub_ctx);
    }
    if (sub == QLatin1String("--help") || sub == QLatin1String("-h")) {
        Context::out(
            Text::tr("Usage: mldeckctl drift check --deployment D [--window 10m] [--reference SPEC] [--json]"));
        Context::out(Text::tr("       mldeckctl drift compare --reference A.csv --current B.csv [--json]"));
        Context::out(Text::tr("       mldeckctl drift sketch --deployment D [--json]"));
        Context::out(
            Text::tr("       mldeckctl drift reference show|set --deployment D ... (see drift reference --help)"));
        return Success;
    }
    return Context::fail(Text::tr("Use \"mldeckctl drift check\", \"mldeckctl drift compare\" or \"mldeckctl drift "
                                  "reference\" (see --help)."));
}

} // namespace mldeck::cli
