// mldeckctl simulate: the reference serving backend on demo traffic.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/simulator/Simulator.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QTime>

#include <atomic>
#include <csignal>
#include <utility>

namespace mldeck::cli {

namespace {

std::atomic_bool g_stop{false};
extern "C" void onStopSignal(int)
{
    g_stop = true;
}

QString statsLine(const SimulatorStats &s)
{
    const auto &f = s.flags;
    const QString flags = !f.exists ? Text::tr("flags: none (ML off)")
                          : !f.isValid()
                              ? Text::tr("flags: INVALID (%1) → ML off").arg(f.invalidFields.join(QStringLiteral(", ")))
                              : Text::tr("flags v%1: ML %2 %3%")
                                    .arg(f.version)
                                    .arg(f.mlEnabled ? Text::tr("on") : Text::tr("off"))
                                    .arg(f.trafficPercentage);
    QString line = Text::tr("%1  %2 requests (%3/s)  ml %4  heuristic %5  fallback %6  failed %7 | written %8, "
                            "outcomes %9, feedback %10, buffered %11 | %12")
                       .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")))
                       .arg(s.requests)
                       .arg(s.achievedRate(), 0, 'f', 0)
                       .arg(s.ml)
                       .arg(s.heuristic)
                       .arg(s.fallback)
                       .arg(s.failed)
                       .arg(s.predictionsWritten)
                       .arg(s.outcomesWritten)
                       .arg(s.feedbackWritten)
                       .arg(s.buffered)
                       .arg(flags);
    if (!s.modelVersion.isEmpty())
        line += Text::tr(" | model %1").arg(s.modelVersion);
    if (!s.modelWarning.isEmpty())
        line += Text::tr(" | WARNING: %1").arg(s.modelWarning);
    if (s.weatherDown)
        line += Text::tr(" | weather API down: neutral weather factor");
    if (!s.dependencyError.isEmpty())
        line += Text::tr(" | dependency report: %1").arg(s.dependencyError);
    if (!s.activeScenarios.isEmpty())
        line += Text::tr(" | scenarios: %1").arg(s.activeScenarios.join(QStringLiteral(", ")));
    if (!s.redisError.isEmpty())
        line += Text::tr(" | Redis: %1").arg(s.redisError);
    if (!s.pgError.isEmpty())
        line += Text::tr(" | PostgreSQL: %1").arg(s.pgError);
    return line;
}

QJsonObject statsJson(const SimulatorStats &s)
{
    return QJsonObject{{QStringLiteral("elapsed_ms"), s.elapsedMs},
                       {QStringLiteral("requests"), s.requests},
                       {QStringLiteral("rate"), s.achievedRate()},
                       {QStringLiteral("ml"), s.ml},
                       {QStringLiteral("heuristic"), s.heuristic},
                       {QStringLiteral("fallback"), s.fallback},
                       {QStringLiteral("failed"), s.failed},
                       {QStringLiteral("predictions_written"), s.predictionsWritten},
                       {QStringLiteral("outcomes_written"), s.outcomesWritten},
                       {QStringLiteral("feedback_written"), s.feedbackWritten},
                       {QStringLiteral("dropped"), s.dropped},
                       {QStringLiteral("flags_version"), s.flags.version},
                       {QStringLiteral("model_version"), s.modelVersion},
                       {QStringLiteral("model_switches"), s.modelSwitches},
                       {QStringLiteral("model_warning"), s.modelWarning},
                       {QStringLiteral("weather_down"), s.weatherDown}};
}

} // namespace

int runSimulate(Context &ctx)
{
    Invocation inv(ctx, Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    p.addOptions({
        {QStringLiteral("deployment"), Text::tr("Deployment to serve (default: eta)."), QStringLiteral("name"),
         QStringLiteral("eta")},
        {QStringLiteral("rate"), Text::tr("Requests per second (default: 200)."), QStringLiteral("n"),
         QStringLiteral("200")},
        {QStringLiteral("duration"), Text::tr("Stop after this long (e.g. 90s, 10m); default: until Ctrl-C."),
         QStringLiteral("time")},
        {QStringLiteral("model"),
         Text::tr("Serve this TorchScript file for the whole run and do not follow the champion "
                  "(default: follow the deployment's champion from the registry, the demo MLP "
                  "until there is one)."),
         QStringLiteral("file")},
        {QStringLiteral("scenario"),
         Text::tr("Play a scenario: drift, errors, latency, degraded, weather-down, (a classifier) calibration or "
                  "(an image deployment) image-drift, as NAME[@START][+DURATION]; repeatable."),
         QStringLiteral("spec")},
        {QStringLiteral("seed"), Text::tr("Random seed (default: 42)."), QStringLiteral("n"), QStringLiteral("42")},
        {QStringLiteral("outcome-delay"), Text::tr("Mean delay before ground truth arrives (default: 20s)."),
         QStringLiteral("time"), QStringLiteral("20s")},
        {QStringLiteral("outcome-share"),
         Text::tr("Share of requests whose ground truth arrives, 0 to 1 (default: 0.9)."), QStringLiteral("p"),
         QStringLiteral("0.9")},
        {QStringLiteral("feedback-share"),
         Text::tr("Share of requests with user feedback, 0 to 1 (default: 0.05; a regression's among those "
                  "with ground truth)."),
         QStringLiteral("p"), QStringLiteral("0.05")},
        {QStringLiteral("initial-percentage"),
         Text::tr("Create missing flags with ML on at this percentage (default: 25; -1: never create)."),
         QStringLiteral("n"), QStringLiteral("25")},
        {QStringLiteral("threads"), Text::tr("Model inference threads (default: 1)."), QStringLiteral("n"),
         QStringLiteral("1")},
        {QStringLiteral("quiet"), Text::tr("Print only the final summary.")},
    });
    if (auto code = inv.start(Text::tr("Acts as the production serving backend: follows the flags live, routes each "
                                       "request to the model or the heuristic, and logs predictions, outcomes and "
                                       "feedback to PostgreSQL. A deployment created as a classifier is served ride "
                                       "offers (will the driver accept) with class probabilities. Without --model it "
                                       "serves the deployment's champion and "
                                       "switches to a newly promoted one (SHA-256 verified) between batches. Ctrl-C "
                                       "flushes what is buffered.")))
        return *code;

    SimulatorOptions o;
    o.deployment = p.value(QStringLiteral("deployment"));
    bool ok = false;
    o.rate = p.value(QStringLiteral("rate")).toDouble(&ok);
    if (!ok)
        return Context::fail(Text::tr("--rate must be a number of requests per second."));
    o.seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
    if (!ok)
        return Context::fail(Text::tr("--seed must be a non-negative integer."));
    o.initialPercentage = p.value(QStringLiteral("initial-percentage")).toInt(&ok);
    if (!ok || o.initialPercentage < -1 || o.initialPercentage > 100)
        return Context::fail(Text::tr("--initial-percentage must be an integer from -1 to 100."));
    o.modelThreads = p.value(QStringLiteral("threads")).toInt(&ok);
    if (!ok || o.modelThreads < 1 || o.modelThreads > 64)
        return Context::fail(Text::tr("--threads must be an integer from 1 to 64."));
    if (p.isSet(QStringLiteral("duration"))) {
        auto d = parseDurationMs(p.value(QStringLiteral("duration")));
        if (!d)
            return Context::fail(d.errorMessage());
        o.durationMs = *d;
    }
    auto delay = parseDurationMs(p.value(QStringLiteral("outcome-delay")));
    if (!delay)
        return Context::fail(delay.errorMessage());
    o.outcomeDelayMs = *delay;
    for (auto [name, share] : {std::pair{QStringLiteral("outcome-share"), &o.outcomeShare},
                               std::pair{QStringLiteral("feedback-share"), &o.feedbackShare}}) {
        *share = p.value(name).toDouble(&ok);
        if (!ok || !(*share >= 0 && *share <= 1))
            return Context::fail(Text::tr("--%1 must be a number from 0 to 1, not \"%2\".").arg(name, p.value(name)));
    }
    for (const QString &spec : p.values(QStringLiteral("scenario"))) {
        auto sc = parseScenario(spec);
        if (!sc)
            return Context::fail(sc.errorMessage());
        o.scenarios.push_back(*sc);
    }
    o.modelPath = p.value(QStringLiteral("model"));
    o.redis = inv.redis();
    o.pg = inv.pgEndpoint();

    Simulator sim(o);
    if (auto st = sim.prepare(); !st)
        return Context::fail(st.errorMessage());

    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);
    const bool quiet = p.isSet(QStringLiteral("quiet")) || p.isSet(QStringLiteral("json"));
    qint64 lastPrinted = -5000;
    SimulatorStats last;
    const Status st = sim.run(g_stop, [&](const SimulatorStats &s) {
        last = s;
        if (!quiet && s.elapsedMs - lastPrinted >= 5000) {
            lastPrinted = s.elapsedMs;
            Context::out(statsLine(s));
        }
    });
    if (p.isSet(QStringLiteral("json")))
        Context::outJson(QJsonDocument(statsJson(last)));
    else
        Context::out(statsLine(last));
    if (!st)
        return Context::fail(st.errorMessage());
    return Success;
}

} // namespace mldeck::cli
