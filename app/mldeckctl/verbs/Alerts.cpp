#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Deployment.h"
#include "core/domain/Figure.h"
#include "core/services/AlertsService.h"
#include "core/services/WebhookNotifier.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/services/metrics/AlertRulesExport.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>

namespace mldeck::cli {

namespace {

QString iso(const QDateTime &d)
{
    return d.isValid() ? d.toUTC().toString(Qt::ISODate) : QString();
}
QJsonValue isoJson(const QDateTime &d)
{
    return d.isValid() ? QJsonValue(iso(d)) : QJsonValue();
}
QString isoSecs(qint64 s)
{
    return s > 0 ? iso(QDateTime::fromSecsSinceEpoch(s, Qt::UTC)) : QString();
}

const QString kApp = QStringLiteral("mldeckctl-alerts");

// "90s", "15m", "2h", "1d" -> seconds.
std::optional<qint64> parseDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d{1,7})\\s*([smhd])\\s*$"));
    const auto m = re.match(text.toLower());
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QChar u = m.captured(2).at(0);
    const qint64 unit = u == QLatin1Char('s') ? 1 : u == QLatin1Char('m') ? 60 : u == QLatin1Char('h') ? 3600 : 86400;
    return n > 0 ? std::optional<qint64>(n * unit) : std::nullopt;
}

std::optional<qint64> positiveId(const QCommandLineParser &parser)
{
    if (parser.positionalArguments().size() != 1)
        return std::nullopt;
    bool ok = false;
    const qint64 id = parser.positionalArguments().constFirst().toLongLong(&ok);
    return ok && id > 0 ? std::optional<qint64>(id) : std::nullopt;
}

QJsonObject alertJson(const Alert &a, const QDateTime &now)
{
    return {{QStringLiteral("id"), a.id},
            {QStringLiteral("deployment"), a.deployment},
            {QStringLiteral("kind"), a.kind},
            {QStringLiteral("severity"), a.severity},
            {QStringLiteral("dedup_key"), a.dedupKey},
            {QStringLiteral("title"), a.title},
            {QStringLiteral("state"), a.displayState(now)},
            {QStringLiteral("raised_at"), isoJson(a.raisedAt)},
            {QStringLiteral("last_seen_at"), isoJson(a.lastSeenAt)},
            {QStringLiteral("acknowledged_at"), isoJson(a.acknowledgedAt)},
            {QStringLiteral("acknowledged_by"), a.acknowledgedBy},
            {QStringLiteral("silenced_until"), isoJson(a.silencedUntil)},
            {QStringLiteral("resolved_at"), isoJson(a.resolvedAt)},
            {QStringLiteral("details"), a.details}};
}

// alerts export --format prometheus [--deployment D] [--output FILE]: the KPI alert rules as a
// Prometheus rules file over the guard's exported gauges.
int runExportRules(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions(
        {{QStringLiteral("deployment"), Text::tr("Only this deployment (default: every deployment)."),
          QStringLiteral("name")},
         {QStringLiteral("format"), Text::tr("Output format: prometheus (a rules file for promtool and Prometheus)."),
          QStringLiteral("format"), QStringLiteral("prometheus")},
         {QStringLiteral("output"), Text::tr("Write to this file instead of standard output."),
          QStringLiteral("file")}});
    if (auto code = inv.start(Text::tr("Writes the KPI alert rules as a Prometheus rules file that fires on the same "
                                       "conditions as the guard, from the series of `mldeckctl guard --listen`.")))
        return *code;
    if (parser.value(QStringLiteral("format")) != QLatin1String("prometheus"))
        return Context::fail(
            Text::tr("--format must be prometheus (got \"%1\").").arg(parser.value(QStringLiteral("format"))));
    PgConnection &conn = inv.pg();
    QStringList deployments;
    if (parser.isSet(QStringLiteral("deployment"))) {
        const QString d = parser.value(QStringLiteral("deployment"));
        if (!isValidDeploymentName(d))
            return Context::fail(Text::tr("\"%1\" is not a valid deployment name.").arg(d));
        deployments << d;
    } else {
        auto names = DeploymentStore(conn).names();
        if (!names)
            return Context::fail(names.errorMessage());
        deployments = *names;
    }
    QMap<QString, QList<AlertRule>> rules;
    for (const QString &d : std::as_const(deployments)) {
        auto list = AlertRuleStore(conn).rules(d);
        if (!list)
            return Context::fail(list.errorMessage());
        rules.insert(d, *list);
    }
    for (const QList<AlertRule> &list : std::as_const(rules))
        if (std::any_of(list.cbegin(), list.cend(),
                        [](const AlertRule &r) { return r.enabled && r.keepFiringSeconds > 0; })) {
            Context::warn(
                Text::tr("keep_firing_for needs Prometheus 2.42 or later (an older one refuses the whole file); "
                         "an absent series resolves there, while the guard holds on an unknown figure."));
            break;
        }
    return writeExport(parser.value(QStringLiteral("output")), prometheusAlertRules(rules));
}

int runList(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({{QStringLiteral("deployment"), Text::tr("Only this deployment (default: every deployment)."),
                        QStringLiteral("name")},
                       {QStringLiteral("all"), Text::tr("Include resolved alerts.")},
                       {QStringLiteral("limit"), Text::tr("At most this many alerts (default 200)."),
                        QStringLiteral("n"), QStringLiteral("200")}});
    if (auto code = inv.start(Text::tr("Lists open alerts (KPI rules, drift, guardrails), newest first.")))
        return *code;
    bool ok = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit <= 0)
        return Context::fail(Text::tr("--limit must be a positive whole number."));
    PgConnection &conn = inv.pg();
    const auto alerts =
        AlertStore(conn).list(parser.value(QStringLiteral("deployment")), parser.isSet(QStringLiteral("all")), limit);
    if (!alerts)
        return Context::fail(alerts.errorMessage());
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray a;
        for (const Alert &x : *alerts)
            a.append(alertJson(x, now));
        Context::outJson(QJsonDocument(a));
        return Success;
    }
    if (alerts->isEmpty()) {
        Context::out(Text::tr("No alerts."));
        return Success;
    }
    for (const Alert &x : *alerts)
        Context::out(QStringLiteral("%1  %2  %3  %4  %5  %6  %7")
                         .arg(x.id, 6)
                         .arg(x.displayState(now), -12)
                         .arg(x.severity, -8)
                         .arg(x.deployment, x.kind + QLatin1Char('/') + x.dedupKey, iso(x.raisedAt), x.title));
    return Success;
}

int runAck(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOption({QStringLiteral("reason"), Text::tr("Why (kept in the audit log)."), QStringLiteral("text")});
    parser.addPositionalArgument(QStringLiteral("ID"), Text::tr("The alert id (see alerts list)."));
    if (auto code = inv.start(Text::tr("Acknowledges an alert (audited).")))
        return *code;
    const auto id = positiveId(parser);
    if (!id)
        return Context::fail(Text::tr("Give one alert id, a positive number."));
    PgConnection &conn = inv.pg();
    if (auto s =
            AlertStore(conn).acknowledge(*id, AlertsService::currentUser(), parser.value(QStringLiteral("reason")));
        !s)
        return Context::fail(s.errorMessage(), CheckFailed);
    Context::out(Text::tr("Alert %1 acknowledged.").arg(*id));
    return Success;
}

int runSilence(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions(
        {{QStringLiteral("until"), Text::tr("End of the silence, ISO 8601 (e.g. 2024-05-01T18:00:00Z)."),
          QStringLiteral("time")},
         {QStringLiteral("for"), Text::tr("Length of the silence, e.g. 30m, 2h, 1d."), QStringLiteral("duration")},
         {QStringLiteral("off"), Text::tr("Lift the silence.")},
         {QStringLiteral("reason"), Text::tr("Why (kept in the audit log)."), QStringLiteral("text")}});
    parser.addPositionalArgument(QStringLiteral("ID"), Text::tr("The alert id (see alerts list)."));
    if (auto code = inv.start(Text::tr("Silences an alert until a time: no webhook while silenced (audited).")))
        return *code;
    const auto id = positiveId(parser);
    if (!id)
        return Context::fail(Text::tr("Give one alert id, a positive number."));
    const int given = int(parser.isSet(QStringLiteral("until"))) + int(parser.isSet(QStringLiteral("for"))) +
                      int(parser.isSet(QStringLiteral("off")));
    if (given != 1)
        return Context::fail(Text::tr("Give exactly one of --until, --for or --off."));
    QDateTime until;
    if (parser.isSet(QStringLiteral("until"))) {
        until = Context::parseUtc(parser.value(QStringLiteral("until")));
        if (!until.isValid())
            return Context::fail(
                Text::tr("--until must be an ISO 8601 date-time such as 2024-05-01T18:00:00Z, not \"%1\".")
                    .arg(parser.value(QStringLiteral("until"))));
    } else if (parser.isSet(QStringLiteral("for"))) {
        const auto secs = parseDuration(parser.value(QStringLiteral("for")));
        if (!secs)
            return Context::fail(Text::tr("--for must be a duration such as 30m, 2h or 1d, not \"%1\".")
                                     .arg(parser.value(QStringLiteral("for"))));
        until = QDateTime::currentDateTimeUtc().addSecs(*secs);
    }
    PgConnection &conn = inv.pg();
    if (auto s =
            AlertStore(conn).silence(*id, until, AlertsService::currentUser(), parser.value(QStringLiteral("reason")));
        !s)
        return Context::fail(s.errorMessage(), CheckFailed);
    Context::out(until.isValid() ? Text::tr("Alert %1 silenced until %2.").arg(*id).arg(iso(until))
                                 : Text::tr("Alert %1 is no longer silenced.").arg(*id));
    return Success;
}

int runRulesList(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &parser = inv.parser();
    if (auto code = inv.start(Text::tr("Shows a deployment's KPI alert rules and where each stands.")))
        return *code;
    const QString &dep = inv.deployment();
    PgConnection &conn = inv.pg();
    const auto views = AlertRuleStore(conn).ruleViews(dep);
    if (!views)
        return Context::fail(views.errorMessage());
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray a;
        for (const AlertRuleView &v : *views) {
            QJsonObject o = v.rule.toJson();
            // A reader sees every field (the stored definition leaves out the two hysteresis defaults).
            o.insert(QStringLiteral("resolve_threshold"),
                     v.rule.resolveThreshold ? QJsonValue(*v.rule.resolveThreshold) : QJsonValue());
            o.insert(QStringLiteral("keep_firing_seconds"), v.rule.keepFiringSeconds);
            o.insert(QStringLiteral("customised"), v.customised);
            o.insert(QStringLiteral("status"), toJson(v.status));
            o.insert(QStringLiteral("alert_id"), v.alertId > 0 ? QJsonValue(v.alertId) : QJsonValue());
            a.append(o);
        }
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("deployment"), dep}, {QStringLiteral("rules"), a}}));
        return Success;
    }
    for (const AlertRuleView &v : *views) {
        QString where = alertRuleStateName(v.status.state);
        if (v.status.state == AlertRuleState::Pending)
            where += Text::tr(" since %1").arg(isoSecs(v.status.pendingSinceSecs));
        else if (v.status.state == AlertRuleState::Firing)
            where += Text::tr(" since %1").arg(isoSecs(v.status.firingSinceSecs));
        if (v.status.state == AlertRuleState::Firing && v.status.clearingSinceSecs > 0)
            where += Text::tr(", clearing since %1").arg(isoSecs(v.status.clearingSinceSecs));
        const QString last = figureText(v.status.lastValue, [&v](double x) { return v.rule.formatValue(x); });
        Context::out(QStringLiteral("%1  %2  %3  %4  %5  %6")
                         .arg(v.rule.id, -16)
                         .arg(v.rule.enabled ? Text::tr("on") : Text::tr("off"), -3)
                         .arg(v.rule.severity, -8)
                         .arg(v.rule.describe(), where, Text::tr("last %1").arg(last)));
    }
    return Success;
}

int runRulesSet(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions(
        {{QStringLiteral("rule"),
          Text::tr("Rule id (failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback, a classifier's "
                   "accuracy, or one of yours)."),
          QStringLiteral("id")},
         {QStringLiteral("metric"),
          Text::tr("Metric of a new rule: failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback "
                   "(threshold in minutes); a classifier's: accuracy, f1, log_loss, ece, estimated_accuracy "
                   "(in place of mae and r2)."),
          QStringLiteral("name")},
         {QStringLiteral("threshold"), Text::tr("Threshold (failure rate as a share: 0.2 = 20 %; latency in ms)."),
          QStringLiteral("x")},
         {QStringLiteral("comparison"), Text::tr("\">\" or \"<\"."), QStringLiteral("op")},
         {QStringLiteral("for"), Text::tr("Pending period in seconds before firing."), QStringLiteral("seconds")},
         {QStringLiteral("window"), Text::tr("Window in seconds the figure is computed over."),
          QStringLiteral("seconds")},
         {QStringLiteral("resolve"),
          Text::tr("Resolve threshold, on the safe side of the threshold: a firing rule resolves only once the "
                   "figure is past it (\"none\": the threshold itself)."),
          QStringLiteral("x")},
         {QStringLiteral("keep-firing"),
          Text::tr("Seconds the figure must stay past the resolve threshold before the rule resolves."),
          QStringLiteral("seconds")},
         {QStringLiteral("severity"), Text::tr("info, warning or critical."), QStringLiteral("level")},
         {QStringLiteral("enable"), Text::tr("Turn the rule on.")},
         {QStringLiteral("disable"), Text::tr("Turn the rule off (a firing alert resolves).")},
         {QStringLiteral("reset"), Text::tr("Forget this deployment's changes: back to the built-in default.")},
         {QStringLiteral("delete"), Text::tr("Delete a rule of the deployment's own (an alert it raised resolves).")},
         {QStringLiteral("reason"), Text::tr("Why (kept in the audit log)."), QStringLiteral("text")}});
    if (auto code = inv.start(Text::tr("Changes one KPI alert rule of a deployment (audited).")))
        return *code;
    const QString &dep = inv.deployment();
    const QString id = parser.value(QStringLiteral("rule"));
    if (id.isEmpty())
        return Context::fail(Text::tr("--rule is required."));
    if (parser.isSet(QStringLiteral("enable")) && parser.isSet(QStringLiteral("disable")))
        return Context::fail(Text::tr("--enable and --disable exclude each other."));
    if (parser.isSet(QStringLiteral("reset")) && parser.isSet(QStringLiteral("delete")))
        return Context::fail(Text::tr("--reset and --delete exclude each other."));
    PgConnection &conn = inv.pg();
    AlertRuleStore store(conn);
    if (parser.isSet(QStringLiteral("delete"))) {
        const auto r = store.deleteRule(dep, id, AlertsService::currentUser(), parser.value(QStringLiteral("reason")));
        if (!r)
            return Context::fail(r.errorMessage());
        if (!*r)
            return Context::fail(Text::tr("Deployment %1 has no rule \"%2\".").arg(dep, id));
        Context::out(Text::tr("Rule %1 of %2 deleted.").arg(id, dep));
        return Success;
    }
    if (parser.isSet(QStringLiteral("reset"))) {
        const auto r = store.resetRule(dep, id, AlertsService::currentUser());
        if (!r)
            return Context::fail(r.errorMessage());
        Context::out(*r ? Text::tr("Rule %1 of %2 is back to its default.").arg(id, dep)
                        : Text::tr("Rule %1 of %2 had no changes.").arg(id, dep));
        return Success;
    }
    const auto rules = store.rules(dep);
    if (!rules)
        return Context::fail(rules.errorMessage());
    QJsonObject json;
    for (const AlertRule &r : *rules)
        if (r.id == id)
            json = r.toJson();
    if (json.isEmpty()) {
        if (!parser.isSet(QStringLiteral("metric")))
            return Context::fail(Text::tr("Deployment %1 has no rule \"%2\": give --metric to add one.").arg(dep, id));
        json = {{QStringLiteral("id"), id}, {QStringLiteral("metric"), parser.value(QStringLiteral("metric"))}};
    } else if (parser.isSet(QStringLiteral("metric")) &&
               parser.value(QStringLiteral("metric")) != json.value(QStringLiteral("metric")).toString()) {
        return Context::fail(Text::tr("Rule %1 watches %2; its metric cannot change (add a rule with another id).")
                                 .arg(id, json.value(QStringLiteral("metric")).toString()));
    }
    auto number = [&](const char *option, const char *key, bool whole) -> Status {
        if (!parser.isSet(QLatin1String(option)))
            return {};
        bool ok = false;
        const double v = parser.value(QLatin1String(option)).toDouble(&ok);
        if (!ok || (whole && v != std::floor(v)))
            return Error{Text::tr("--%1 must be a %2, not \"%3\".")
                             .arg(QLatin1String(option), whole ? Text::tr("whole number") : Text::tr("number"),
                                  parser.value(QLatin1String(option)))};
        json.insert(QLatin1String(key), v);
        return {};
    };
    const bool noResolve = parser.value(QStringLiteral("resolve")) == QLatin1String("none");
    for (auto s : {number("threshold", "threshold", false), number("for", "for_seconds", true),
                   number("window", "window_seconds", true),
                   noResolve ? Status{} : number("resolve", "resolve_threshold", false),
                   number("keep-firing", "keep_firing_seconds", true)})
        if (!s)
            return Context::fail(s.errorMessage());
    if (noResolve)
        json.insert(QStringLiteral("resolve_threshold"), QJsonValue());
    if (parser.isSet(QStringLiteral("comparison")))
        json.insert(QStringLiteral("comparison"), parser.value(QStringLiteral("comparison")));
    if (parser.isSet(QStringLiteral("severity")))
        json.insert(QStringLiteral("severity"), parser.value(QStringLiteral("severity")));
    if (parser.isSet(QStringLiteral("enable")) || parser.isSet(QStringLiteral("disable")))
        json.insert(QStringLiteral("enabled"), parser.isSet(QStringLiteral("enable")));
    const auto rule = AlertRule::fromJson(json);
    if (!rule)
        return Context::fail(rule.errorMessage());
    if (auto s = store.saveRule(dep, *rule, AlertsService::currentUser(), parser.value(QStringLiteral("reason"))); !s)
        return Context::fail(s.errorMessage());
    Context::out(Text::tr("Rule %1 of %2: %3 (%4).")
                     .arg(rule->id, dep, rule->describe(), rule->enabled ? Text::tr("on") : Text::tr("off")));
    return Success;
}

int rulesUsage(int code)
{
    return Context::printUsage(
        Text::tr("Usage: mldeckctl alerts rules [--deployment D] [--json]\n"
                 "       mldeckctl alerts rules set --deployment D --rule ID [--threshold X] [--for S] "
                 "[--window S] [--resolve X|none] [--keep-firing S] [--enable|--disable] [--reset|--delete]"),
        code);
}

int runRules(Context &ctx)
{
    if (ctx.args().size() > 1 && ctx.args().at(1) == QLatin1String("set"))
        return dispatch(ctx, {{"set", runRulesSet}}, rulesUsage);
    return runRulesList(ctx);
}

int runWebhookSet(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOption({QStringLiteral("off"), Text::tr("Turn the webhook off (the URL is kept).")});
    parser.addPositionalArgument(
        QStringLiteral("URL"),
        Text::tr("http(s) address that receives the JSON POST (e.g. a Slack incoming webhook)."));
    if (auto code = inv.start(Text::tr("Sets (or turns off) the alert webhook of a deployment (audited).")))
        return *code;
    const QString &dep = inv.deployment();
    const QStringList pos = parser.positionalArguments();
    const bool off = parser.isSet(QStringLiteral("off"));
    if ((off && !pos.isEmpty()) || (!off && pos.size() != 1))
        return Context::fail(Text::tr("Give either one URL or --off."));
    PgConnection &conn = inv.pg();
    const WebhookSettings settings{off ? QString() : pos.constFirst(), !off};
    if (auto s = AlertRuleStore(conn).setWebhook(dep, settings, AlertsService::currentUser()); !s)
        return Context::fail(s.errorMessage());
    Context::out(off ? Text::tr("Webhook of %1 turned off.").arg(dep)
                     : Text::tr("Webhook of %1 set to %2.").arg(dep, AlertRuleStore::maskedUrl(settings.url)));
    return Success;
}

int runWebhookTest(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &parser = inv.parser();
    if (auto code = inv.start(Text::tr("Sends a test notification to the deployment's webhook (with retries) and "
                                       "records it. Exit code 1 when it was not delivered.")))
        return *code;
    const QString &dep = inv.deployment();
    PgConnection &conn = inv.pg();
    AlertRuleStore store(conn);
    const auto hook = store.webhook(dep);
    if (!hook)
        return Context::fail(hook.errorMessage());
    if (!*hook)
        return Context::fail(
            Text::tr("Deployment %1 has no webhook: set one with \"mldeckctl alerts webhook set\".").arg(dep));
    WebhookEvent event{dep,
                       QStringLiteral("test"),
                       0,
                       AlertRule::defaultFor(AlertRule::Metric::FailureRate),
                       std::nullopt,
                       QDateTime::currentDateTimeUtc(),
                       Text::tr("Webhook test")};
    const WebhookOutcome outcome = deliverWebhook(store, (*hook)->url, event, WebhookNotifier());
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray attempts;
        for (const WebhookAttempt &a : outcome.attempts)
            attempts.append(QJsonObject{{QStringLiteral("attempt"), a.attempt},
                                        {QStringLiteral("http_status"), a.httpStatus},
                                        {QStringLiteral("delivered"), a.delivered},
                                        {QStringLiteral("error"), a.error},
                                        {QStringLiteral("elapsed_ms"), a.elapsedMs}});
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("delivered"), outcome.delivered},
                                                   {QStringLiteral("enabled"), (*hook)->enabled},
                                                   {QStringLiteral("attempts"), attempts}}));
    } else {
        for (const WebhookAttempt &a : outcome.attempts)
            Context::out(Text::tr("attempt %1: %2 (%3 ms)")
                             .arg(a.attempt)
                             .arg(a.delivered ? Text::tr("delivered, HTTP %1").arg(a.httpStatus) : a.error)
                             .arg(a.elapsedMs));
        if (!(*hook)->enabled)
            Context::out(Text::tr("Note: this webhook is turned off; alerts do not use it."));
    }
    return outcome.delivered ? Success : CheckFailed;
}

int webhookUsage(int code)
{
    return Context::printUsage(Text::tr("Usage: mldeckctl alerts webhook set --deployment D URL | --off\n"
                                        "       mldeckctl alerts webhook test --deployment D"),
                               code);
}

int runWebhook(Context &ctx)
{
    return dispatch(ctx, {{"set", runWebhookSet}, {"test", runWebhookTest}}, webhookUsage);
}

int alertsUsage(int code)
{
    return Context::printUsage(
        Text::tr("Usage: mldeckctl alerts <command> [options]   (mldeckctl alerts <command> --help)\n\n"
                 "  list [--deployment D] [--all] [--json]      open alerts (--all: with resolved ones)\n"
                 "  ack ID [--reason TEXT]                       acknowledge an alert (audited)\n"
                 "  silence ID --until ISO|--for 2h|--off        silence an alert until a time (audited)\n"
                 "  rules [--deployment D] [--json]              KPI alert rules and where each stands\n"
                 "  rules set --deployment D --rule ID ...       change a rule (audited)\n"
                 "  webhook set --deployment D URL | --off       the Slack-compatible webhook\n"
                 "  webhook test --deployment D                  send a test notification\n"
                 "  export --format prometheus [--deployment D]  the rules as a Prometheus rules file"),
        code);
}

} // namespace

int runAlerts(Context &ctx)
{
    return dispatch(ctx,
                    {{"list", runList},
                     {"ack", runAck},
                     {"silence", runSilence},
                     {"rules", runRules},
                     {"webhook", runWebhook},
                     {"export", runExportRules}},
                    alertsUsage);
}

} // namespace mldeck::cli
