// mldeckctl guard [--deployment D] [--once] [--interval 5s] | guard rearm --deployment D --reason R
// | guard rules --deployment D [changes --reason R]
// Runs the automatic guard headless (leader election through PostgreSQL), or re-arms a latched one.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Deployment.h"
#include "core/logging/EventLog.h"
#include "core/services/FlagService.h"
#include "core/services/guard/GuardDaemon.h"
#include "core/services/guard/GuardRunner.h"
#include "core/services/metrics/MetricsServer.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <atomic>
#include <cmath>
#include <csignal>
#include <functional>
#include <thread>
#include <type_traits>
#include <utility>

namespace mldeck::cli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void onSignal(int signal)
{
    g_signal = signal;
    g_stop = true;
}

// "5s", "500ms", "2m", "5" (seconds).
std::optional<int> parseIntervalMs(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^(\\d{1,6})(ms|s|m)?$"));
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QString unit = m.captured(2);
    const qint64 ms = unit == QLatin1String("ms") ? n : unit == QLatin1String("m") ? n * 60000 : n * 1000;
    if (ms < 100 || ms > 3600000)
        return std::nullopt;
    return int(ms);
}

int runRearm(Context &ctx)
{
    Invocation inv(ctx, Invocation::Redis | Invocation::PgUrl);
    QCommandLineParser &p = inv.parser();
    p.addOption({QStringLiteral("deployment"), Text::tr("Deployment to re-arm."), QStringLiteral("name")});
    p.addOption({QStringLiteral("reason"), Text::tr("Why the guard may act again (required, audited)."),
                 QStringLiteral("text")});
    if (auto code = inv.start(Text::tr("Re-arm a latched guard so that it may act again (audited).")))
        return *code;
    const QString d = p.value(QStringLiteral("deployment"));
    if (!isValidDeploymentName(d))
        return Context::fail(Text::tr("Give --deployment with a valid deployment name (got \"%1\").").arg(d));
    const QString reason = p.value(QStringLiteral("reason")).trimmed();
    if (reason.isEmpty())
        return Context::fail(Text::tr("Give --reason: re-arming the guard is audited and needs a reason."));
    FlagService flags(inv.redis(), inv.pgEndpoint());
    auto db = flags.pg();
    if (!db)
        return Context::fail(db.errorMessage());
    auto before = GuardStore(**db).rearm(d);
    if (!before)
        return Context::fail(before.errorMessage());
    AuditRecord record = AuditRecord::make(QStringLiteral("guard.rearm"), d, Actor::current(), reason);
    record.before = QJsonObject{{QStringLiteral("latched"), before->latched},
                                {QStringLiteral("latched_action"), before->latchedAction},
                                {QStringLiteral("latched_reason"), before->latchedReason}};
    record.after = QJsonObject{{QStringLiteral("latched"), false}};
    if (Status s = flags.audit(record); !s)
        return Context::fail(
            Text::tr("The guard was re-armed but the audit row could not be written: %1").arg(s.errorMessage()));
    Context::out(before->latched ? Text::tr("Guard of \"%1\" re-armed (it was latched on %2: %3).")
                                       .arg(d, before->latchedAction, before->latchedReason)
                                 : Text::tr("Guard of \"%1\" was not latched; streaks cleared.").arg(d));
    return Success;
}

// How each action's conditions combine, the advisory ones and each condition's hysteresis.
void printConditionSettings(const GuardRules &r)
{
    const auto line = [](const GateCombination &c) {
        return c.advisory.isEmpty()
                   ? c.modeText()
                   : Text::tr("%1 (advisory: %2)").arg(c.modeText(), c.advisory.join(QStringLiteral(", ")));
    };
    Context::out(Text::tr("  conditions combine: ML off on %1; halved on %2")
                     .arg(line(r.rollbackCombination), line(r.halveCombination)));
    for (auto it = r.hysteresis.cbegin(); it != r.hysteresis.cend(); ++it)
        Context::out(Text::tr("  %1: resolves past %2 for %3 s")
                         .arg(it.key(), QString::number(r.conditionHysteresis(it.key()).effectiveResolveThreshold()))
                         .arg(it.value().keepFiringSeconds));
}

// mldeckctl guard rules --deployment D [--json] [--error-rate X --latency-p95-ms X --mae X
//   --rollback-accuracy X --min-accuracy X --max-log-loss X (a classifier's)
//   --min-samples N --breaches K --window 300 --enabled 0|1 --reason R]: show, or change (audited).
int runRules(Context &ctx)
{
    Invocation inv(ctx, Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    p.addOptions({
        {QStringLiteral("deployment"), Text::tr("Deployment (default: eta)."), QStringLiteral("name"),
         QStringLiteral("eta")},
        {QStringLiteral("error-rate"), Text::tr("Turn ML off above this failure rate (0 to 1)."), QStringLiteral("x")},
        {QStringLiteral("latency-p95-ms"), Text::tr("Halve the percentage above this latency p95 (ms)."),
         QStringLiteral("x")},
        {QStringLiteral("mae"), Text::tr("Halve the percentage above this MAE."), QStringLiteral("x")},
        {QStringLiteral("rollback-accuracy"), Text::tr("A classifier: turn ML off below this accuracy (0 to 1)."),
         QStringLiteral("x")},
        {QStringLiteral("min-accuracy"), Text::tr("A classifier: halve the percentage below this accuracy (0 to 1)."),
         QStringLiteral("x")},
        {QStringLiteral("max-log-loss"), Text::tr("A classifier: halve the percentage above this log-loss."),
         QStringLiteral("x")},
        {QStringLiteral("min-samples"), Text::tr("Act only on at least this many samples."), QStringLiteral("n")},
        {QStringLiteral("breaches"), Text::tr("Act only after this many consecutive breaches."), QStringLiteral("k")},
        {QStringLiteral("window"), Text::tr("Sliding window in seconds."), QStringLiteral("seconds")},
        {QStringLiteral("enabled"), Text::tr("1: the guard acts on this deployment; 0: it only watches."),
         QStringLiteral("0|1")},
        {QStringLiteral("rollback-combine"),
         Text::tr("How the conditions that turn ML off combine: any (default), all or at-least-N."),
         QStringLiteral("mode")},
        {QStringLiteral("halve-combine"),
         Text::tr("How the conditions that halve the percentage combine: any (default), all or at-least-N."),
         QStringLiteral("mode")},
        {QStringLiteral("advisory"),
         Text::tr("Conditions reported but never acted on, e.g. max_latency_p95_ms (none: no advisory condition)."),
         QStringLiteral("list")},
        {QStringLiteral("hysteresis"),
         Text::tr("A condition's resolve threshold and keep-firing time, CONDITION:RESOLVE:SECONDS (e.g. "
                  "max_mae:2.0:300; RESOLVE may be empty); CONDITION:none removes it. Repeatable."),
         QStringLiteral("spec")},
        {QStringLiteral("reason"), Text::tr("Why (required for a change, audited)."), QStringLiteral("text")},
    });
    if (auto code = inv.start(Text::tr("Show the guard's rules of a deployment, or change them (audited).")))
        return *code;
    const QString d = p.value(QStringLiteral("deployment"));
    if (!isValidDeploymentName(d))
        return Context::fail(Text::tr("\"%1\" is not a valid deployment name.").arg(d));
    FlagService flags(inv.redis(), inv.pgEndpoint());
    auto db = flags.pg();
    if (!db)
        return Context::fail(db.errorMessage());
    GuardStore store(**db);
    auto current = store.rules(d);
    if (!current)
        return Context::fail(current.errorMessage());

    GuardRules next = *current;
    bool changed = false;
    auto number = [&](const char *option, auto &field) -> bool {
        const QString name = QLatin1String(option);
        if (!p.isSet(name))
            return true;
        bool ok = false;
        const double v = p.value(name).toDouble(&ok);
        if (!ok)
            return false;
        using Field = std::remove_reference_t<decltype(field)>;
        if constexpr (std::is_integral_v<Field>) {
            if (v != std::floor(v))
                return false;
        }
        field = static_cast<Field>(v);
        changed = true;
        return true;
    };
    for (auto [option, ok] : {std::pair{"error-rate", number("error-rate", next.rollbackErrorRate)},
                              std::pair{"latency-p95-ms", number("latency-p95-ms", next.maxLatencyP95Ms)},
                              std::pair{"mae", number("mae", next.maxMae)},
                              std::pair{"rollback-accuracy", number("rollback-accuracy", next.rollbackAccuracy)},
                              std::pair{"min-accuracy", number("min-accuracy", next.minAccuracy)},
                              std::pair{"max-log-loss", number("max-log-loss", next.maxLogLoss)},
                              std::pair{"min-samples", number("min-samples", next.minSamples)},
                              std::pair{"breaches", number("breaches", next.consecutiveBreaches)},
                              std::pair{"window", number("window", next.windowSeconds)}}) {
        if (!ok)
            return Context::fail(Text::tr("--%1 must be a number, not \"%2\".")
                                     .arg(QLatin1String(option), p.value(QLatin1String(option))));
    }
    if (p.isSet(QStringLiteral("enabled"))) {
        const QString v = p.value(QStringLiteral("enabled"));
        if (v != QLatin1String("0") && v != QLatin1String("1"))
            return Context::fail(Text::tr("--enabled must be 0 or 1, not \"%1\".").arg(v));
        next.enabled = v == QLatin1String("1");
        changed = true;
    }
    for (auto [option, combination] : {std::pair{"rollback-combine", &next.rollbackCombination},
                                       std::pair{"halve-combine", &next.halveCombination}}) {
        if (!p.isSet(QLatin1String(option)))
            continue;
        auto mode = GateCombination::parseMode(p.value(QLatin1String(option)));
        if (!mode)
            return Context::fail(mode.errorMessage());
        const QStringList advisory = combination->advisory;
        *combination = mode.value();
        combination->advisory = advisory;
        changed = true;
    }
    if (p.isSet(QStringLiteral("advisory"))) {
        const QString list = p.value(QStringLiteral("advisory"));
        const QStringList names =
            list == QLatin1String("none") ? QStringList{} : list.split(QLatin1Char(','), Qt::SkipEmptyParts);
        next.rollbackCombination.advisory.clear();
        next.halveCombination.advisory.clear();
        for (const QString &name : names) {
            if (GuardRules::rollbackConditions().contains(name))
                next.rollbackCombination.advisory << name;
            else if (GuardRules::halveConditions().contains(name))
                next.halveCombination.advisory << name;
            else
                return Context::fail(Text::tr("\"%1\" is not a guard condition (known: %2).")
                                         .arg(name, (GuardRules::rollbackConditions() + GuardRules::halveConditions())
                                                        .join(QStringLiteral(", "))));
        }
        changed = true;
    }
    for (const QString &spec : p.values(QStringLiteral("hysteresis"))) {
        const QStringList parts = spec.split(QLatin1Char(':'));
        if (parts.size() == 2 && parts.at(1) == QLatin1String("none")) {
            next.hysteresis.remove(parts.at(0));
            changed = true;
            continue;
        }
        bool resolveOk = true;
        bool keepOk = false;
        GuardRules::ConditionHysteresis h;
        if (parts.size() == 3 && !parts.at(1).isEmpty())
            h.resolveThreshold = parts.at(1).toDouble(&resolveOk);
        if (parts.size() == 3)
            h.keepFiringSeconds = parts.at(2).toInt(&keepOk);
        if (parts.size() != 3 || !resolveOk || !keepOk)
            return Context::fail(
                Text::tr("--hysteresis takes CONDITION:RESOLVE:SECONDS (e.g. max_mae:2.0:300), not \"%1\".").arg(spec));
        next.hysteresis.insert(parts.at(0), h);
        changed = true;
    }
    if (changed) {
        if (const QString why = next.validate(); !why.isEmpty())
            return Context::fail(why);
        const QString reason = p.value(QStringLiteral("reason")).trimmed();
        if (reason.isEmpty())
            return Context::fail(Text::tr("Give --reason: changing the guard's rules is audited and needs a reason."));
        if (Status s = store.saveRules(d, next, Actor::current(), reason); !s) // audited in the same transaction
            return Context::fail(s.errorMessage());
    }
    if (p.isSet(QStringLiteral("json"))) {
        Context::outJson(QJsonDocument(next.toJson()));
        return Success;
    }
    Context::out(Text::tr("Guard rules of \"%1\"%2:").arg(d, changed ? Text::tr(" (changed)") : QString()));
    Context::out(Text::tr("  acts: %1; window %2 s; at least %3 samples; after %4 consecutive breaches")
                     .arg(next.enabled ? Text::tr("yes") : Text::tr("no (watch only)"))
                     .arg(next.windowSeconds)
                     .arg(next.minSamples)
                     .arg(next.consecutiveBreaches));
    const auto info = DeploymentStore(**db).show(d);
    if (info && info->task == QLatin1String("classification")) {
        Context::out(Text::tr("  ML off above a failure rate of %1 or below an accuracy of %2; percentage halved above "
                              "latency p95 %3 ms, below an accuracy of %4 or above a log-loss of %5 (accuracy and "
                              "log-loss once %6 predictions of the window are labelled)")
                         .arg(next.rollbackErrorRate)
                         .arg(next.rollbackAccuracy)
                         .arg(next.maxLatencyP95Ms)
                         .arg(next.minAccuracy)
                         .arg(next.maxLogLoss)
                         .arg(next.minSamples));
        printConditionSettings(next);
        return Success;
    }
    Context::out(Text::tr("  ML off above a failure rate of %1; percentage halved above latency p95 %2 ms or MAE %3")
                     .arg(next.rollbackErrorRate)
                     .arg(next.maxLatencyP95Ms)
                     .arg(next.maxMae));
    printConditionSettings(next);
    return Success;
}

// The guard with its Prometheus endpoint: rounds on their own thread, HTTP on this one's event loop.
// /metrics reads the hot standby of `reads` when one is configured; the guard's own checks and actions never do.
int runWithMetrics(GuardDaemon &daemon, const GuardRunnerOptions &o, const ReadReplica &reads, const QString &listen)
{
    const auto address = MetricsServer::parseListenAddress(listen);
    if (!address)
        return Context::fail(address.errorMessage());
    MetricsServer server(MetricsCollector::Options{o.redis, o.pg, o.deployments, reads});
    if (const Status listening = server.listen(address->first, address->second); !listening)
        return Context::fail(listening.errorMessage());
    Context::out(Text::tr("metrics on http://%1:%2/metrics").arg(address->first.toString()).arg(server.port()));
    qint64 rounds = 0;
    daemon.setRoundObserver([&](bool leader, int errors) {
        server.setProcessState(ExporterProcessState{leader, ++rounds, QDateTime::currentSecsSinceEpoch(), errors});
    });
    std::thread guard([&] {
        daemon.run(g_stop, g_signal);
        QMetaObject::invokeMethod(QCoreApplication::instance(), &QCoreApplication::quit, Qt::QueuedConnection);
    });
    QCoreApplication::exec();
    guard.join();
    return Success;
}

} // namespace

int runGuard(Context &ctx)
{
    const QStringList &args = ctx.args();
    if (args.size() >= 2 && (args.at(1) == QLatin1String("rearm") || args.at(1) == QLatin1String("rules"))) {
        QStringList subArgs = args.mid(2);
        subArgs.prepend(args.at(0) + QLatin1Char(' ') + args.at(1));
        Context sub(subArgs);
        return args.at(1) == QLatin1String("rearm") ? runRearm(sub) : runRules(sub);
    }
    Invocation inv(ctx, Invocation::Redis | Invocation::PgUrl);
    QCommandLineParser &p = inv.parser();
    p.addOption({QStringLiteral("deployment"), Text::tr("Guard only this deployment (repeatable; default: all)."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("once"),
                 Text::tr("Run one round and exit (exit code 1 when not the leader or a check failed).")});
    p.addOption({QStringLiteral("interval"), Text::tr("Time between rounds, e.g. 5s, 500ms, 1m (default 5s)."),
                 QStringLiteral("time"), QStringLiteral("5s")});
    p.addOption({QStringLiteral("scope"),
                 Text::tr("Leader-election scope: guards with the same scope elect one leader."),
                 QStringLiteral("name"), QStringLiteral("default")});
    p.addOption({QStringLiteral("listen"),
                 Text::tr("Serve /metrics (Prometheus), /healthz and /readyz on [HOST:]PORT, e.g. 9464 (loopback) or "
                          "127.0.0.1:9464 (off by default)."),
                 QStringLiteral("host:port")});
    if (auto code = inv.start(Text::tr("Run the automatic guard (\"mldeckctl guard rearm --deployment D --reason R\" "
                                       "re-arms a latched one). Only the elected leader acts; Ctrl-C stops.")))
        return *code;
    GuardRunnerOptions o;
    for (const QString &d : p.values(QStringLiteral("deployment"))) {
        if (!isValidDeploymentName(d))
            return Context::fail(Text::tr("\"%1\" is not a valid deployment name.").arg(d));
        o.deployments << d;
    }
    const auto interval = parseIntervalMs(p.value(QStringLiteral("interval")));
    if (!interval)
        return Context::fail(Text::tr("--interval must be a time from 100ms to 60m such as 5s, not \"%1\".")
                                 .arg(p.value(QStringLiteral("interval"))));
    o.intervalMs = *interval;
    o.scope = p.value(QStringLiteral("scope"));
    o.redis = inv.redis();
    o.pg = inv.pgEndpoint();

    GuardRunner runner(o);
    // One line per event on stdout, in the journal's format under systemd (see guard-service.md).
    EventLog log(stdout);
    log.captureQtMessages();
    GuardDaemon daemon(runner, log);
    if (p.isSet(QStringLiteral("once")))
        return daemon.runOnce() ? Success : CheckFailed;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    log.write(LogSeverity::Info,
              Text::tr("guard running every %1 ms (scope \"%2\"); Ctrl-C stops").arg(o.intervalMs).arg(o.scope));
    if (p.isSet(QStringLiteral("listen")))
        return runWithMetrics(daemon, o, inv.readReplica(), p.value(QStringLiteral("listen")));
    daemon.run(g_stop, g_signal);
    return Success;
}

} // namespace mldeck::cli
