#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Figure.h"
#include "core/services/CompareService.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>

namespace mldeck::cli {

namespace {

// "24h", "90m", "7d", "3600s" or plain seconds.
std::optional<qint64> parseWindow(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^(\\d{1,9})([smhd]?)$"));
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QString unit = m.captured(2);
    const qint64 factor = unit == QLatin1String("m")   ? 60
                          : unit == QLatin1String("h") ? 3600
                          : unit == QLatin1String("d") ? 86400
                                                       : 1;
    if (n <= 0)
        return std::nullopt;
    return n * factor;
}

void printReport(const stats::ComparisonReport &r)
{
    Context::out(Text::tr("%1 rows from %2").arg(r.rows).arg(r.data));
    for (const auto &m : r.models) {
        if (m.classification) {
            const auto &f = m.classification->figures;
            const auto h = stats::headline(*m.classification);
            const auto four = [](const std::optional<double> &v) {
                return figureText(v, [](double x) { return QString::number(x, 'f', 4); });
            };
            Context::out(Text::tr("%1: accuracy %2, precision %3, recall %4, F1 %5, ROC AUC %6, PR AUC %7, log-loss "
                                  "%8, Brier %9, ECE %10, %11 rows/s, p50 %12 ms, p99 %13 ms")
                             .arg(m.label, four(f.accuracy), four(h.precision), four(h.recall), four(h.f1),
                                  four(f.rocAuc), four(m.classification->prAuc), four(f.logLoss), four(f.brier))
                             .arg(four(f.ece))
                             .arg(m.rowsPerSecond, 0, 'f', 0)
                             .arg(m.latencyP50Ms, 0, 'f', 3)
                             .arg(m.latencyP99Ms, 0, 'f', 3));
        } else
            Context::out(
                Text::tr("%1: MAE %2, RMSE %3, R² %4, MAPE %5, %6 rows/s, p50 %7 ms, p99 %8 ms")
                    .arg(m.label)
                    .arg(m.regression.mae, 0, 'f', 4)
                    .arg(m.regression.rmse, 0, 'f', 4)
                    .arg(m.regression.r2, 0, 'f', 4)
                    .arg(figureText(m.regression.mape,
                                    [](double v) { return QString::number(v, 'f', 2) + QStringLiteral(" %"); }))
                    .arg(m.rowsPerSecond, 0, 'f', 0)
                    .arg(m.latencyP50Ms, 0, 'f', 3)
                    .arg(m.latencyP99Ms, 0, 'f', 3));
    }
    for (const QString &v : r.verdicts)
        Context::out(v);
    for (const QString &n : r.notes)
        Context::out(Text::tr("Note: %1").arg(n));
    if (!r.images)
        return;
    for (size_t m = 0; m < r.models.size(); ++m)
        Context::out(Text::tr("%1 got %2 of %n image(s) wrong (listed by --json).", nullptr, int(r.rows))
                         .arg(r.models[m].label)
                         .arg(stats::misclassified(r, m).size()));
    // A folder of many non-images would print as many lines: the first ones, then a count.
    constexpr size_t kListedSkips = 20;
    const std::vector<SkippedImage> &skipped = r.images->skipped;
    for (size_t i = 0; i < skipped.size() && i < kListedSkips; ++i)
        Context::out(Text::tr("Skipped %1: %2").arg(skipped[i].key, skipped[i].reason));
    if (skipped.size() > kListedSkips)
        Context::out(
            Text::tr("… and %n more skipped image(s); --json lists all.", nullptr, int(skipped.size() - kListedSkips)));
}

} // namespace

// Shared by `eval` (one model) and `compare` (2-4 models).
int runComparisonVerb(Context &ctx, bool single)
{
    Invocation inv(ctx, Invocation::PgOption | Invocation::Json);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("model"),
         single
             ? Text::tr(
                   "The model: a TorchScript file, DEPLOYMENT:champion, DEPLOYMENT:challenger or DEPLOYMENT@VERSION.")
             : Text::tr(
                   "A model to compare (2 to 4 times; the first is the baseline): a file or a registry reference."),
         QStringLiteral("ref")},
        {QStringLiteral("data"), Text::tr("CSV file: header = column names."), QStringLiteral("file")},
        {QStringLiteral("images"),
         Text::tr("Image models: a labelled folder, one subfolder per class named as the class."),
         QStringLiteral("dir")},
        {QStringLiteral("target"), Text::tr("Target column of the CSV (default: the model's, else delay_min)."),
         QStringLiteral("column")},
        {QStringLiteral("features"), Text::tr("Input columns, comma-separated (models without metadata)."),
         QStringLiteral("a,b,c")},
        {QStringLiteral("threads"),
         Text::tr("LibTorch threads, and for image models also the image decoding threads (default: LibTorch's "
                  "choice, one decoding thread)."),
         QStringLiteral("N")},
        {QStringLiteral("seed"), Text::tr("Bootstrap seed (default 42)."), QStringLiteral("S")},
        {QStringLiteral("resamples"), Text::tr("Bootstrap resamples (default: 1000, fewer above 200000 rows)."),
         QStringLiteral("N")},
    });
    parser.addOptions({
        {QStringLiteral("window"), Text::tr("Use the logged predictions of this last period (e.g. 24h, 90m, 7d)."),
         QStringLiteral("period")},
        {QStringLiteral("deployment"), Text::tr("Deployment of the window (default: the only one)."),
         QStringLiteral("D")},
    });
    if (!single)
        parser.addOption(
            {QStringLiteral("out"), Text::tr("Also write the report as CSV to this file."), QStringLiteral("file")});
    if (auto code = inv.start(single ? Text::tr("Evaluates one model on a CSV file, a labelled image folder or a "
                                                "deployment's logged predictions.")
                                     : Text::tr("Compares 2 to 4 models on exactly the same rows.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));

    CompareRequest req;
    req.models = parser.values(QStringLiteral("model"));
    if (single && req.models.size() != 1)
        return Context::fail(Text::tr("Give exactly one --model."));
    if (!single && (req.models.size() < 2 || req.models.size() > 4))
        return Context::fail(Text::tr("Give 2 to 4 --model options (got %1).").arg(req.models.size()));
    req.csvPath = parser.value(QStringLiteral("data"));
    if (parser.isSet(QStringLiteral("window"))) {
        const auto seconds = parseWindow(parser.value(QStringLiteral("window")));
        if (!seconds)
            return Context::fail(Text::tr("--window must look like 24h, 90m, 7d or 3600s, not \"%1\".")
                                     .arg(parser.value(QStringLiteral("window"))));
        req.windowSeconds = *seconds;
        req.deployment = parser.value(QStringLiteral("deployment"));
    }
    req.imagesPath = parser.value(QStringLiteral("images"));
    if (int(!req.csvPath.isEmpty()) + int(!req.imagesPath.isEmpty()) + int(req.windowSeconds > 0) != 1)
        return Context::fail(Text::tr("Give one of --data FILE, --images DIR or --window PERIOD."));
    req.target = parser.value(QStringLiteral("target"));
    if (parser.isSet(QStringLiteral("features"))) {
        for (const QString &f : parser.value(QStringLiteral("features")).split(QLatin1Char(',')))
            if (!f.trimmed().isEmpty())
                req.features << f.trimmed();
        if (req.features.isEmpty())
            return Context::fail(Text::tr("--features names no column."));
    }
    bool ok = true;
    if (parser.isSet(QStringLiteral("threads"))) {
        req.threads = parser.value(QStringLiteral("threads")).toInt(&ok);
        if (!ok || req.threads < 1 || req.threads > 256)
            return Context::fail(Text::tr("--threads must be a whole number from 1 to 256."));
    }
    if (parser.isSet(QStringLiteral("seed"))) {
        req.seed = parser.value(QStringLiteral("seed")).toULongLong(&ok);
        if (!ok)
            return Context::fail(Text::tr("--seed must be a non-negative whole number."));
    }
    if (parser.isSet(QStringLiteral("resamples"))) {
        req.resamples = parser.value(QStringLiteral("resamples")).toInt(&ok);
        if (!ok || req.resamples < 100 || req.resamples > 100000)
            return Context::fail(Text::tr("--resamples must be a whole number from 100 to 100000."));
    }
    // The registry and windows need PostgreSQL; plain files do not.
    const bool needsPg =
        req.windowSeconds > 0 || std::any_of(req.models.cbegin(), req.models.cend(), [](const QString &m) {
            return m.contains(QLatin1Char(':')) || m.contains(QLatin1Char('@'));
        });
    if (needsPg || parser.isSet(QStringLiteral("pg"))) {
        auto pg = inv.pgEndpointOf();
        if (!pg)
            return Context::fail(pg.errorMessage());
        req.pg = pg.value();
    }

    const auto outcome = runComparison(req);
    if (!outcome)
        return Context::fail(outcome.errorMessage());
    if (!single && parser.isSet(QStringLiteral("out"))) {
        const QString path = parser.value(QStringLiteral("out"));
        QSaveFile file(path);
        const QByteArray csv = stats::toCsv(*outcome);
        if (!file.open(QIODevice::WriteOnly) || file.write(csv) != csv.size() || !file.commit())
            return Context::fail(Text::tr("Cannot write %1: %2").arg(path, file.errorString()));
    }
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonObject json = stats::toJson(*outcome);
        if (single) {
            json.remove(QStringLiteral("deltas"));
            json.remove(QStringLiteral("verdict"));
        }
        Context::outJson(QJsonDocument(json));
    } else {
        printReport(*outcome);
    }
    return Success;
}

int runCompare(Context &ctx)
{
    return runComparisonVerb(ctx, false);
}

} // namespace mldeck::cli
