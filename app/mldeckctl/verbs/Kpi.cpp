#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Figure.h"
#include "core/services/KpiCache.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <functional>

namespace mldeck::cli {

namespace {

// One line of the table: how to read a figure, and its target when the deployment guide has one.
struct FigureRow
{
    const char *key;   // JSON key
    const char *label; // table label (translated)
    std::function<std::optional<double>(const stats::KpiFigures &)> value;
    int decimals;
    // true = meets the target; nullopt = no target for this figure.
    std::function<std::optional<bool>(double, const KpiTargets &)> check = {};
    std::function<QString(const KpiTargets &)> targetText = {};
};

std::optional<double> count(qint64 n)
{
    return double(n);
}

const std::vector<FigureRow> &figureRows()
{
    static const std::vector<FigureRow> rows = {
        {"predictions", QT_TRANSLATE_NOOP("mldeck::cli", "Predictions"),
         [](const auto &f) { return count(f.predictions); }, 0},
        {"failed", QT_TRANSLATE_NOOP("mldeck::cli", "Failed"), [](const auto &f) { return count(f.failed); }, 0},
        {"labelled", QT_TRANSLATE_NOOP("mldeck::cli", "With outcome"), [](const auto &f) { return count(f.labelled); },
         0},
        {"throughput_per_second", QT_TRANSLATE_NOOP("mldeck::cli", "Throughput (/s)"),
         [](const auto &f) { return f.throughputPerSecond; }, 3},
        {"mae", QT_TRANSLATE_NOOP("mldeck::cli", "MAE (min)"), [](const auto &f) { return f.mae; }, 3,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.maeMax); },
         [](const KpiTargets &t) {
             return QStringLiteral("< %1 (%2)").arg(t.maeMax).arg(Text::tr("stretch %1").arg(t.stretchMae));
         }},
        {"estimated_mae", QT_TRANSLATE_NOOP("mldeck::cli", "Est. MAE (min)"),
         [](const auto &f) { return f.estimatedMae; }, 3},
        {"rmse", QT_TRANSLATE_NOOP("mldeck::cli", "RMSE (min)"), [](const auto &f) { return f.rmse; }, 3},
        {"r2", QT_TRANSLATE_NOOP("mldeck::cli", "R²"), [](const auto &f) { return f.r2; }, 4,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v > t.r2Min); },
         [](const KpiTargets &t) {
             return QStringLiteral("> %1 (%2)").arg(t.r2Min).arg(Text::tr("stretch %1").arg(t.stretchR2));
         }},
        {"mape_percent", QT_TRANSLATE_NOOP("mldeck::cli", "MAPE (%)"), [](const auto &f) { return f.mape; }, 2},
        {"latency_mean_ms", QT_TRANSLATE_NOOP("mldeck::cli", "Latency mean (ms)"),
         [](const auto &f) { return f.latencyMeanMs; }, 2},
        {"latency_p50_ms", QT_TRANSLATE_NOOP("mldeck::cli", "Latency p50 (ms)"),
         [](const auto &f) { return f.latencyP50Ms; }, 2},
        {"latency_p95_ms", QT_TRANSLATE_NOOP("mldeck::cli", "Latency p95 (ms)"),
         [](const auto &f) { return f.latencyP95Ms; }, 2,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.latencyMaxMs); },
         [](const KpiTargets &t) { return QStringLiteral("< %1").arg(t.latencyMaxMs); }},
        {"latency_p99_ms", QT_TRANSLATE_NOOP("mldeck::cli", "Latency p99 (ms)"),
         [](const auto &f) { return f.latencyP99Ms; }, 2},
        {"failure_rate", QT_TRANSLATE_NOOP("mldeck::cli", "Failure rate"), [](const auto &f) { return f.failureRate; },
         4, [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.errorRateMax); },
         [](const KpiTargets &t) { return QStringLiteral("< %1").arg(t.errorRateMax); }},
        {"fallback_share", QT_TRANSLATE_NOOP("mldeck::cli", "Fallback share"),
         [](const auto &f) { return f.fallbackShare; }, 4},
        {"anticipated_share", QT_TRANSLATE_NOOP("mldeck::cli", "Delays anticipated"),
         [](const auto &f) { return f.anticipatedShare; }, 4},
        {"satisfaction", QT_TRANSLATE_NOOP("mldeck::cli", "Satisfaction"), [](const auto &f) { return f.satisfaction; },
         4},
        {"ml_uptime", QT_TRANSLATE_NOOP("mldeck::cli", "ML uptime"), [](const auto &f) { return f.mlUptime; }, 4,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.uptimeMin); },
         [](const KpiTargets &t) { return QStringLiteral(">= %1").arg(t.uptimeMin); }},
        {"improvement_percent", QT_TRANSLATE_NOOP("mldeck::cli", "ML vs heuristic (%)"),
         [](const auto &f) { return f.improvementPercent; }, 2},
    };
    return rows;
}

// A classification figure; absent when the range has no counted row.
std::function<std::optional<double>(const stats::KpiFigures &)>
classFigure(std::optional<double> stats::ClassificationFigures::*member)
{
    return
        [member](const stats::KpiFigures &f) { return f.classification ? (*f.classification).*member : std::nullopt; };
}

// The headline precision, recall and F1: the positive class's on a binary deployment, the macro
// averages on a multi-class one.
std::function<std::optional<double>(const stats::KpiFigures &)>
headline(std::optional<double> stats::ClassificationFigures::*binary,
         std::optional<double> stats::ClassificationFigures::*multiClass)
{
    return [binary, multiClass](const stats::KpiFigures &f) {
        if (!f.classification)
            return std::optional<double>();
        return f.classification->classes == 2 ? (*f.classification).*binary : (*f.classification).*multiClass;
    };
}

// A classification deployment's lines: its own figures, then the serving figures of every deployment.
const std::vector<FigureRow> &classificationRows()
{
    using C = stats::ClassificationFigures;
    static const std::vector<FigureRow> rows = [] {
        std::vector<FigureRow> r = {
            {"predictions", QT_TRANSLATE_NOOP("mldeck::cli", "Predictions"),
             [](const auto &f) { return count(f.predictions); }, 0},
            {"failed", QT_TRANSLATE_NOOP("mldeck::cli", "Failed"), [](const auto &f) { return count(f.failed); }, 0},
            {"labelled", QT_TRANSLATE_NOOP("mldeck::cli", "With a label"),
             [](const auto &f) { return count(f.labelled); }, 0},
            {"label_coverage", QT_TRANSLATE_NOOP("mldeck::cli", "Label coverage"), classFigure(&C::labelCoverage), 4},
            {"throughput_per_second", QT_TRANSLATE_NOOP("mldeck::cli", "Throughput (/s)"),
             [](const auto &f) { return f.throughputPerSecond; }, 3},
            {"accuracy", QT_TRANSLATE_NOOP("mldeck::cli", "Accuracy"), classFigure(&C::accuracy), 4,
             [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.accuracyMin); },
             [](const KpiTargets &t) {
                 return QStringLiteral(">= %1 (%2)")
                     .arg(t.accuracyMin)
                     .arg(Text::tr("stretch %1").arg(t.stretchAccuracy));
             }},
            {"balanced_accuracy", QT_TRANSLATE_NOOP("mldeck::cli", "Balanced accuracy"),
             classFigure(&C::balancedAccuracy), 4},
            {"precision", QT_TRANSLATE_NOOP("mldeck::cli", "Precision"),
             headline(&C::precisionPositive, &C::macroPrecision), 4},
            {"recall", QT_TRANSLATE_NOOP("mldeck::cli", "Recall"), headline(&C::recallPositive, &C::macroRecall), 4},
            {"f1", QT_TRANSLATE_NOOP("mldeck::cli", "F1"), headline(&C::f1Positive, &C::macroF1), 4,
             [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.f1Min); },
             [](const KpiTargets &t) { return QStringLiteral(">= %1").arg(t.f1Min); }},
            {"roc_auc", QT_TRANSLATE_NOOP("mldeck::cli", "ROC AUC"), classFigure(&C::rocAuc), 4,
             [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.rocAucMin); },
             [](const KpiTargets &t) { return QStringLiteral(">= %1").arg(t.rocAucMin); }},
            {"log_loss", QT_TRANSLATE_NOOP("mldeck::cli", "Log-loss"), classFigure(&C::logLoss), 4,
             [](double v, const KpiTargets &t) { return std::optional<bool>(v <= t.logLossMax); },
             [](const KpiTargets &t) { return QStringLiteral("<= %1").arg(t.logLossMax); }},
            {"brier", QT_TRANSLATE_NOOP("mldeck::cli", "Brier score"), classFigure(&C::brier), 4},
            {"ece", QT_TRANSLATE_NOOP("mldeck::cli", "Calibration (ECE)"), classFigure(&C::ece), 4,
             [](double v, const KpiTargets &t) { return std::optional<bool>(v <= t.eceMax); },
             [](const KpiTargets &t) { return QStringLiteral("<= %1").arg(t.eceMax); }},
            {"mean_confidence", QT_TRANSLATE_NOOP("mldeck::cli", "Mean confidence"), classFigure(&C::meanConfidence),
             4},
            {"positive_rate", QT_TRANSLATE_NOOP("mldeck::cli", "Positive rate"), classFigure(&C::positiveRate), 4},
            {"estimated_accuracy", QT_TRANSLATE_NOOP("mldeck::cli", "Est. accuracy"),
             classFigure(&C::estimatedAccuracy), 4},
            {"estimated_precision", QT_TRANSLATE_NOOP("mldeck::cli", "Est. precision"),
             classFigure(&C::estimatedPrecision), 4},
            {"estimated_recall", QT_TRANSLATE_NOOP("mldeck::cli", "Est. recall"), classFigure(&C::estimatedRecall), 4},
            {"estimated_f1", QT_TRANSLATE_NOOP("mldeck::cli", "Est. F1"), classFigure(&C::estimatedF1), 4},
        };
        // The serving figures, as a regression deployment prints them.
        for (const FigureRow &row : figureRows())
            for (const char *key : {"latency_mean_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
                                    "failure_rate", "fallback_share", "satisfaction", "ml_uptime"})
                if (qstrcmp(row.key, key) == 0)
                    r.push_back(row);
        r.push_back({"accuracy_gain_points", QT_TRANSLATE_NOOP("mldeck::cli", "ML vs heuristic (pts)"),
                     [](const auto &f) { return f.accuracyGainPoints; }, 2});
        return r;
    }();
    return rows;
}

QJsonObject figuresJson(const std::vector<FigureRow> &rows, const stats::KpiFigures &f, const KpiTargets &targets)
{
    QJsonObject o;
    QJsonObject checks;
    for (const FigureRow &row : rows) {
        const auto v = row.value(f);
        const QJsonValue value = figureJson(v); // null when there is no data
        o.insert(QLatin1String(row.key), value);
        if (row.check)
            checks.insert(QLatin1String(row.key),
                          value.isNull() ? value : QJsonValue(row.check(*v, targets).value_or(true)));
    }
    for (const char *k : {"predictions", "failed", "labelled"})
        o.insert(QLatin1String(k), qint64(o.value(QLatin1String(k)).toDouble()));
    o.insert(QStringLiteral("meets_target"), checks);
    return o;
}

QString cellText(const FigureRow &row, const stats::KpiFigures &f, const KpiTargets &targets)
{
    const auto v = row.value(f);
    if (!v || !std::isfinite(*v))
        return noDataText();
    QString text = QString::number(*v, 'f', row.decimals);
    if (row.check)
        text += *row.check(*v, targets) ? Text::tr(" OK") : Text::tr(" FAIL");
    return text;
}

void printTable(const std::vector<FigureRow> &rows, const KpiSnapshot &snap,
                const QList<QPair<QString, stats::KpiFigures>> &columns)
{
    const int labelWidth = 22, width = 16;
    QString header = Text::tr("Figure").leftJustified(labelWidth);
    for (const auto &c : columns)
        header += c.first.left(width - 1).leftJustified(width);
    header += Text::tr("Target");
    Context::out(header);
    for (const FigureRow &row : rows) {
        QString line = Text::tr(row.label).leftJustified(labelWidth);
        for (const auto &c : columns)
            line += cellText(row, c.second, snap.targets).leftJustified(width);
        if (row.targetText)
            line += row.targetText(snap.targets);
        Context::out(line.trimmed());
    }
}

std::optional<double> perClass(const std::vector<std::optional<double>> &figures, int k)
{
    return k < int(figures.size()) ? figures[size_t(k)] : std::nullopt;
}

QString className(const ClassSpec &spec, int k)
{
    return spec.classes.value(k, QString::number(k));
}

// A classifier's detail for --json: per class, the confusion matrix (actual-major rows), the AUC's
// bound and why the estimate is not to be trusted (null when it is, or when there is none).
QJsonObject classificationJson(const stats::KpiFigures &f, const ClassSpec &spec)
{
    const stats::ClassificationFigures c = f.classification.value_or(stats::ClassificationFigures{});
    QJsonArray perClassJson, confusion;
    for (int k = 0; k < c.classes; ++k) {
        perClassJson.append(QJsonObject{{QStringLiteral("class"), className(spec, k)},
                                        {QStringLiteral("predicted_share"), figureJson(perClass(c.predictedShare, k))},
                                        {QStringLiteral("precision"), figureJson(perClass(c.precision, k))},
                                        {QStringLiteral("recall"), figureJson(perClass(c.recall, k))},
                                        {QStringLiteral("f1"), figureJson(perClass(c.f1, k))}});
        QJsonArray row;
        for (int p = 0; p < c.classes && c.confusion.size() == size_t(c.classes) * size_t(c.classes); ++p)
            row.append(c.confusion[size_t(k * c.classes + p)]);
        confusion.append(row);
    }
    return QJsonObject{{QStringLiteral("per_class"), perClassJson},
                       {QStringLiteral("confusion"), confusion},
                       {QStringLiteral("roc_auc_bound"), figureJson(c.rocAucBound)},
                       {QStringLiteral("estimate_untrusted"), c.estimatedAccuracy && !c.estimateUntrusted.isEmpty()
                                                                  ? QJsonValue(c.estimateUntrusted)
                                                                  : QJsonValue()}};
}

// Below the table of a classifier: why the estimate is not trusted, then the confusion matrix of
// all paths (rows: true class; columns: served class).
void printClassification(const stats::KpiFigures &f, const ClassSpec &spec)
{
    if (!f.classification)
        return;
    const stats::ClassificationFigures &c = *f.classification;
    if (c.estimatedAccuracy && !c.estimateUntrusted.isEmpty())
        Context::out(Text::tr("Estimates not to be trusted: %1").arg(c.estimateUntrusted));
    if (c.labelled == 0 || c.confusion.size() != size_t(c.classes) * size_t(c.classes))
        return;
    const int width = 12;
    Context::out(Text::tr("Confusion matrix, all paths (rows: true class, columns: served class):"));
    QString header;
    for (int p = 0; p < c.classes; ++p)
        header += className(spec, p).left(width - 1).leftJustified(width);
    Context::out(QString(width, QLatin1Char(' ')) + header.trimmed());
    for (int a = 0; a < c.classes; ++a) {
        QString line = className(spec, a).left(width - 1).leftJustified(width);
        for (int p = 0; p < c.classes; ++p)
            line += QString::number(c.confusion[size_t(a * c.classes + p)]).leftJustified(width);
        Context::out(line.trimmed());
    }
}

} // namespace

int runKpi(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-kpi"));
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("deployment"), Text::tr("Deployment to report on."), QStringLiteral("name")},
        {QStringLiteral("range"),
         Text::tr("Range ending now: 15m, 1h, 24h, 7d, 30d or any N followed by m, h or d (default 1h)."),
         QStringLiteral("range"), QStringLiteral("1h")},
        {QStringLiteral("from"), Text::tr("Start of a custom range, ISO 8601 (with --to)."), QStringLiteral("time")},
        {QStringLiteral("to"), Text::tr("End of a custom range, ISO 8601 (with --from)."), QStringLiteral("time")},
        {QStringLiteral("by"),
         Text::tr("Columns: path (ml, heuristic, fallback) or version (model version); default path."),
         QStringLiteral("path|version"), QStringLiteral("path")},
    });
    if (auto code = inv.start(Text::tr("Prints the KPIs of a deployment over a range, as the dashboard shows them.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    const QString deployment = parser.value(QStringLiteral("deployment"));
    if (deployment.isEmpty())
        return Context::fail(Text::tr("--deployment is required."));
    if (!DeploymentStore::isValidName(deployment))
        return Context::fail(Text::tr("\"%1\" is not a valid deployment name.").arg(deployment));
    const QString by = parser.value(QStringLiteral("by"));
    if (by != QLatin1String("path") && by != QLatin1String("version"))
        return Context::fail(Text::tr("--by must be path or version, not \"%1\".").arg(by));

    const qint64 now = QDateTime::currentSecsSinceEpoch();
    KpiQuery query;
    const bool hasFrom = parser.isSet(QStringLiteral("from")), hasTo = parser.isSet(QStringLiteral("to"));
    if (hasFrom || hasTo) {
        if (!hasFrom || !hasTo)
            return Context::fail(Text::tr("--from and --to go together."));
        const auto from = Context::timeOption(parser, QStringLiteral("from"));
        if (!from)
            return Context::fail(from.errorMessage());
        const auto to = Context::timeOption(parser, QStringLiteral("to"));
        if (!to)
            return Context::fail(to.errorMessage());
        if (*to <= *from)
            return Context::fail(Text::tr("--to must be after --from."));
        if (from->secsTo(*to) > 366LL * 86400)
            return Context::fail(Text::tr("A range is at most 366 days long."));
        query.deployment = deployment;
        query.fromSecs = from->toSecsSinceEpoch();
        query.toSecs = to->toSecsSinceEpoch();
        query.live = false;
    } else {
        const auto q = KpiQuery::lastRange(deployment, parser.value(QStringLiteral("range")), now);
        if (!q)
            return Context::fail(
                Text::tr("--range must be a number followed by m, h or d (such as 15m, 1h, 24h, 7d, 30d; "
                         "at most 366 days), not \"%1\".")
                    .arg(parser.value(QStringLiteral("range"))));
        query = *q;
    }

    PgConnection &conn = inv.pg();
    // An unknown or archived deployment is an error, not a page of empty figures; rows logged
    // without a deployment row still have figures to show.
    if (Status active = DeploymentStore(conn).requireActive(deployment); !active) {
        auto withData = KpiStore(conn).deployments();
        if (!withData)
            return Context::fail(withData.errorMessage());
        if (active.errorMessage() != DeploymentStore::unknownText(deployment) || !withData->contains(deployment))
            return Context::fail(active.errorMessage());
    }

    // The figures themselves come from the hot standby when one is configured (--pg-read).
    ReadSource source;
    auto readConn = inv.readPg(source);
    if (!readConn)
        return Context::fail(readConn.errorMessage());
    KpiCache cache;
    const auto snap = cache.load(**readConn, query, now);
    if (!snap)
        return Context::fail(snap.errorMessage());
    // Outcomes queued on the primary that the standby cannot apply: these figures miss them (said below); applied
    // now on the primary so that the next read counts them.
    if (snap->outcomesAwaitingPrimary > 0)
        if (auto applied = KpiStore(conn).applyPendingOutcomes(); !applied)
            Context::warn(applied.errorMessage());
    const bool classifier = snap->isClassification();
    const ClassSpec &spec = snap->classSpec;
    const std::vector<FigureRow> &rows = classifier ? classificationRows() : figureRows();
    const auto figures = [&](const stats::KpiFigures &f) {
        QJsonObject o = figuresJson(rows, f, snap->targets);
        if (classifier)
            o.insert(QStringLiteral("classification"), classificationJson(f, spec));
        return o;
    };

    QList<QPair<QString, stats::KpiFigures>> columns;
    if (by == QLatin1String("path")) {
        for (const char *p : {"ml", "heuristic", "fallback"})
            columns.append({QLatin1String(p), snap->byPath.value(QLatin1String(p))});
    } else {
        for (auto it = snap->byVersion.cbegin(); it != snap->byVersion.cend(); ++it)
            columns.append({it.key().isEmpty() ? Text::tr("(none)") : it.key(), it.value()});
    }
    const QString from = QDateTime::fromSecsSinceEpoch(snap->query.fromSecs, Qt::UTC).toString(Qt::ISODate);
    const QString to = QDateTime::fromSecsSinceEpoch(snap->query.toSecs, Qt::UTC).toString(Qt::ISODate);

    if (parser.isSet(QStringLiteral("json"))) {
        QJsonObject json{{QStringLiteral("deployment"), deployment},
                         {QStringLiteral("from"), from},
                         {QStringLiteral("to"), to},
                         {QStringLiteral("live"), snap->query.live},
                         {QStringLiteral("bucket_seconds"), snap->bucketSeconds},
                         {QStringLiteral("targets"), snap->targets.toJson()},
                         {QStringLiteral("overall"), figures(snap->overall)},
                         {QStringLiteral("previous"), figures(snap->previous)},
                         {QStringLiteral("bucket_rows_read"), snap->bucketRowsRead},
                         {QStringLiteral("elapsed_ms"), snap->elapsedMs}};
        QJsonObject groups;
        for (const auto &c : columns)
            groups.insert(c.first == Text::tr("(none)") ? QString() : c.first, figures(c.second));
        json.insert(by == QLatin1String("path") ? QStringLiteral("by_path") : QStringLiteral("by_version"), groups);
        QJsonArray markers;
        for (const AuditMarker &m : snap->markers)
            markers.append(QJsonObject{{QStringLiteral("at"), m.at.toUTC().toString(Qt::ISODateWithMs)},
                                       {QStringLiteral("action"), m.action},
                                       {QStringLiteral("actor"), m.actor},
                                       {QStringLiteral("summary"), m.summary}});
        json.insert(QStringLiteral("markers"), markers);
        if (snap->rawRowsGoneInRange()) // retention: the figures before it come from the kept aggregates
            json.insert(QStringLiteral("raw_rows_before"),
                        QDateTime::fromSecsSinceEpoch(snap->rawRowsBeforeSecs, Qt::UTC).toString(Qt::ISODate));
        if (source.replicaConfigured) {
            json.insert(QStringLiteral("read_source"), source.toJson());
            json.insert(QStringLiteral("outcomes_not_counted"), snap->outcomesAwaitingPrimary);
        }
        if (classifier) {
            json.insert(QStringLiteral("task"), snap->task);
            json.insert(QStringLiteral("classes"), QJsonArray::fromStringList(spec.classes));
            json.insert(QStringLiteral("decision_threshold"),
                        spec.isBinary() ? QJsonValue(spec.decisionThreshold) : QJsonValue());
        }
        Context::outJson(QJsonDocument(json));
        return Success;
    }
    Context::out(Text::tr("Deployment %1, %2 to %3 (display buckets of %4 s, %5 ms).")
                     .arg(deployment, from, to)
                     .arg(snap->bucketSeconds)
                     .arg(snap->elapsedMs, 0, 'f', 1));
    if (source.replicaConfigured)
        Context::out(source.describe());
    if (snap->outcomesAwaitingPrimary > 0)
        Context::out(Text::tr("%n outcomes are not counted in these figures: they were queued on the primary, which "
                              "applies them now (the next read counts them).",
                              nullptr, int(snap->outcomesAwaitingPrimary)));
    if (snap->rawRowsGoneInRange())
        Context::out(Text::tr("Raw rows before %1 are gone (retention): the figures before it come from the kept "
                              "aggregates, at hour resolution where minute rows were folded.")
                         .arg(QDateTime::fromSecsSinceEpoch(snap->rawRowsBeforeSecs, Qt::UTC).toString(Qt::ISODate)));
    columns.prepend({Text::tr("all"), snap->overall});
    printTable(rows, snap.value(), columns);
    if (classifier)
        printClassification(snap->overall, spec);
    for (const AuditMarker &m : snap->markers)
        Context::out(Text::tr("%1  %2  %3  %4").arg(m.at.toUTC().toString(Qt::ISODate), m.action, m.actor, m.summary));
    return Success;
}

} // namespace mldeck::cli
