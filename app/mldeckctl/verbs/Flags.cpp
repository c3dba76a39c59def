// mldeckctl flags status|set|enable|disable|rollback|init|bucket: read and change the rollout
// flags of a deployment. Changes go through FlagService (audited; see resources/contract/rollout.md).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Deployment.h"
#include "core/rollout/Bucketing.h"
#include "core/rollout/FlagValues.h"
#include "core/services/FlagService.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

const QString kEnabled = QStringLiteral("enabled");
const QString kPercentage = QStringLiteral("percentage");
const QString kFallback = QStringLiteral("fallback");
const QString kExpectVersion = QStringLiteral("expect-version");
const QString kKey = QStringLiteral("key");
const QString kReason = QStringLiteral("reason");

void addValueOptions(QCommandLineParser &p)
{
    p.addOption({kEnabled, Text::tr("ML enabled: 0 or 1."), QStringLiteral("0|1")});
    p.addOption({kPercentage, Text::tr("Share of traffic routed to ML: whole number 0 to 100."), QStringLiteral("N")});
    p.addOption(
        {kFallback, Text::tr("Fall back to the heuristic when the model fails: 0 or 1."), QStringLiteral("0|1")});
}

// Validates every value the user typed before anything is sent.
Result<FlagChange> changeOf(const QCommandLineParser &p)
{
    FlagChange c;
    c.actor = Actor::current().name;
    if (p.isSet(kEnabled)) {
        auto v = parseFlagBoolInput(QStringLiteral("--enabled"), p.value(kEnabled));
        if (!v)
            return v.error();
        c.mlEnabled = *v;
    }
    if (p.isSet(kPercentage)) {
        auto v = parseTrafficPercentageInput(p.value(kPercentage));
        if (!v)
            return v.error();
        c.trafficPercentage = *v;
    }
    if (p.isSet(kFallback)) {
        auto v = parseFlagBoolInput(QStringLiteral("--fallback"), p.value(kFallback));
        if (!v)
            return v.error();
        c.fallbackOnError = *v;
    }
    return c;
}

QJsonObject toJson(const FlagState &s)
{
    const auto valueOr = [&s](const char *field, const QJsonValue &v) {
        return s.invalidFields.contains(QLatin1String(field)) ? QJsonValue(QJsonValue::Null) : v;
    };
    return QJsonObject{
        {QStringLiteral("deployment"), s.deployment},
        {QStringLiteral("exists"), s.exists},
        {QStringLiteral("valid"), s.isValid()},
        {QStringLiteral("ml_enabled"), valueOr(flagfield::kMlEnabled, s.mlEnabled)},
        {QStringLiteral("ml_traffic_percentage"), valueOr(flagfield::kTrafficPercentage, s.trafficPercentage)},
        {QStringLiteral("fallback_on_error"), valueOr(flagfield::kFallbackOnError, s.fallbackOnError)},
        {QStringLiteral("version"), valueOr(flagfield::kVersion, s.version)},
        {QStringLiteral("updated_at"),
         s.updatedAt.isValid() ? QJsonValue(s.updatedAt.toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("updated_by"), s.updatedBy},
        {QStringLiteral("invalid_fields"), QJsonArray::fromStringList(s.invalidFields)},
    };
}

void printState(const FlagState &s, bool json)
{
    if (json) {
        Context::outJson(QJsonDocument(toJson(s)));
        return;
    }
    const auto show = [&s](const char *field, const QString &text) {
        const QString shown = s.invalidFields.contains(QLatin1String(field)) ? Text::tr("INVALID") : text;
        Context::out(QString::fromLatin1(field).leftJustified(24) + shown);
    };
    Context::out(QStringLiteral("deployment").leftJustified(24) + s.deployment);
    show(flagfield::kMlEnabled, s.mlEnabled ? QStringLiteral("1") : QStringLiteral("0"));
    show(flagfield::kTrafficPercentage, QString::number(s.trafficPercentage));
    show(flagfield::kFallbackOnError, s.fallbackOnError ? QStringLiteral("1") : QStringLiteral("0"));
    show(flagfield::kVersion, QString::number(s.version));
    Context::out(QStringLiteral("updated_at").leftJustified(24) +
                 (s.updatedAt.isValid() ? s.updatedAt.toString(Qt::ISODateWithMs) : QStringLiteral("-")));
    Context::out(QStringLiteral("updated_by").leftJustified(24) +
                 (s.updatedBy.isEmpty() ? QStringLiteral("-") : s.updatedBy));
    if (s.isValid())
        Context::out(Text::tr("state                   valid"));
    else
        Context::out(Text::tr("state                   INVALID (%1): ML is OFF for every request until fixed")
                         .arg(s.invalidFields.join(QStringLiteral(", "))));
}

int unknownDeployment(FlagStore &store, const QString &d, const RedisConnection &conn)
{
    auto names = store.deployments();
    const QString known = names && !names->isEmpty() ? names->join(QStringLiteral(", ")) : Text::tr("none");
    return Context::fail(Text::tr("No flags for deployment \"%1\" in Redis at %2 (known: %3). Create them with "
                                  "\"mldeckctl flags init --deployment %1\".")
                             .arg(d, conn.endpoint().display(), known));
}

int runStatusSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Json);
    if (auto code = inv.start(Text::tr("Show the flags of a deployment. Exit code 1 when the stored flags are invalid "
                                       "(ML is then off).")))
        return *code;
    const QString &d = inv.deployment();
    auto conn = RedisConnection::open(inv.redis());
    if (!conn)
        return Context::fail(conn.errorMessage());
    FlagStore store(**conn);
    auto s = store.read(d);
    if (!s)
        return Context::fail(s.errorMessage());
    if (!s->exists)
        return unknownDeployment(store, d, **conn);
    printState(*s, inv.json());
    return s->isValid() ? Success : CheckFailed;
}

// Applies an edit through FlagService: audit row first (PostgreSQL must be writable), then the
// compare-and-set in Redis. Exit 1 on a conflict, 2 when not applied.
int applyEdit(const Invocation &inv, const FlagEdit &edit, std::optional<qint64> expected)
{
    const QString &deployment = inv.deployment();
    FlagService flags(inv.redis(), inv.pgEndpoint());
    if (!expected) {
        auto s = flags.read(deployment);
        if (!s)
            return Context::fail(s.errorMessage());
        if (!s->exists) {
            auto conn = flags.redis();
            if (!conn)
                return Context::fail(conn.errorMessage());
            FlagStore store(**conn);
            return unknownDeployment(store, deployment, **conn);
        }
        expected = s->version; // 0 when the stored version is invalid: lets a set be repaired
    }
    const ApplyOutcome out = flags.apply(deployment, edit, *expected, inv.parser().value(kReason), Actor::current());
    if (!out.applied)
        return Context::fail(out.message, out.conflict ? CheckFailed : UsageOrConnection);
    if (!inv.json())
        Context::out(out.message);
    else if (out.notReplicated) // applied: exit 0, but said where scripts look for warnings
        Context::warn(out.message);
    printState(out.state, inv.json());
    return Success;
}

void addReasonOption(QCommandLineParser &p)
{
    p.addOption({kReason, Text::tr("Why (recorded in the audit log)."), QStringLiteral("text")});
}

int runSetSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    addValueOptions(p);
    addReasonOption(p);
    p.addOption({kExpectVersion,
                 Text::tr("Only change the flags if they are still at this version (default: the version read just "
                          "before)."),
                 QStringLiteral("V")});
    if (auto code =
            inv.start(Text::tr("Change the flags of a deployment (compare-and-set on the version, audited). Exit code "
                               "1 when someone else changed them in between.")))
        return *code;
    auto change = changeOf(p);
    if (!change)
        return Context::fail(change.errorMessage());
    if (change->isEmpty())
        return Context::fail(Text::tr("Nothing to change: give --enabled, --percentage and/or --fallback."));
    std::optional<qint64> expected;
    if (p.isSet(kExpectVersion)) {
        auto v = parseFlagVersion(p.value(kExpectVersion).toUtf8());
        if (!v)
            return Context::fail(
                Text::tr("--expect-version must be a whole number >= 0, not \"%1\".").arg(p.value(kExpectVersion)));
        expected = *v;
    }
    FlagEdit edit;
    edit.mlEnabled = change->mlEnabled;
    edit.trafficPercentage = change->trafficPercentage;
    edit.fallbackOnError = change->fallbackOnError;
    return applyEdit(inv, edit, expected);
}

// enable --percentage N | disable: shorthands for set.
int runSwitchSub(Context &ctx, bool enable)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    addReasonOption(p);
    if (enable)
        p.addOption({kPercentage,
                     Text::tr("Share of traffic routed to ML: whole number 0 to 100 (default: unchanged)."),
                     QStringLiteral("N")});
    if (auto code = inv.start(enable ? Text::tr("Turn ML on (optionally at a percentage); audited.")
                                     : Text::tr("Turn ML off (the percentage is kept); audited. For an emergency "
                                                "use \"flags rollback\", which always wins.")))
        return *code;
    FlagEdit edit;
    edit.mlEnabled = enable;
    if (enable && p.isSet(kPercentage)) {
        auto v = parseTrafficPercentageInput(p.value(kPercentage));
        if (!v)
            return Context::fail(v.errorMessage());
        edit.trafficPercentage = *v;
    }
    return applyEdit(inv, edit, std::nullopt);
}

int runRollbackSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    addReasonOption(inv.parser());
    if (auto code = inv.start(Text::tr("Emergency rollback: ML off and 0 % at once, whatever anyone else is doing. "
                                       "Works while PostgreSQL is down (the audit row is kept locally and written "
                                       "later).")))
        return *code;
    // A one-shot process has no session over which the flag service could ask whether the role may roll back
    // (it never connects for that itself): ask first, waiting at most 2 s for a PostgreSQL that is down.
    PgEndpoint pg = inv.pgEndpoint();
    if (pg.connectTimeoutS <= 0 || pg.connectTimeoutS > 2)
        pg.connectTimeoutS = 2;
    FlagService flags(inv.redis(), pg);
    (void)flags.pg();
    const ApplyOutcome out = flags.rollback(inv.deployment(), inv.parser().value(kReason), Actor::current());
    if (!out.applied)
        return Context::fail(out.message);
    if (!inv.json())
        Context::out(out.message);
    else if (out.notReplicated)
        Context::warn(out.message);
    printState(out.state, inv.json());
    return Success;
}

int runInitSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Json);
    addValueOptions(inv.parser());
    if (auto code =
            inv.start(Text::tr("Create the flags of a deployment if they do not exist (version 1; unset values: "
                               "ML off, 0 %, fallback on). Existing flags are left as they are.")))
        return *code;
    const QString &d = inv.deployment();
    auto defaults = changeOf(inv.parser());
    if (!defaults)
        return Context::fail(defaults.errorMessage());
    auto conn = RedisConnection::open(inv.redis());
    if (!conn)
        return Context::fail(conn.errorMessage());
    FlagStore store(**conn);
    auto before = store.read(d);
    if (!before)
        return Context::fail(before.errorMessage());
    auto s = store.initialiseIfMissing(d, *defaults);
    if (!s)
        return Context::fail(s.errorMessage());
    if (!inv.json())
        Context::out(before->exists ? Text::tr("Flags of \"%1\" already exist; left unchanged.").arg(d)
                                    : Text::tr("Created the flags of \"%1\".").arg(d));
    printState(*s, inv.json());
    return s->isValid() ? Success : CheckFailed;
}

int runBucketSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    p.addOption({kKey, Text::tr("Request key (booking id, user id); may be repeated."), QStringLiteral("key")});
    if (auto code = inv.start(Text::tr("Show the bucket (1-100) of request keys: a key goes to ML when ml_enabled is 1 "
                                       "and ml_traffic_percentage >= its bucket. Needs no server.")))
        return *code;
    const QString &d = inv.deployment();
    if (!p.isSet(kKey))
        return Context::fail(Text::tr("Give at least one --key."));
    QJsonArray rows;
    for (const QString &key : p.values(kKey)) {
        const quint32 hash = murmur3_x86_32((d + QLatin1Char(':') + key).toUtf8(), 0);
        const int b = bucket(d, key);
        if (inv.json())
            rows.append(QJsonObject{
                {QStringLiteral("key"), key}, {QStringLiteral("hash"), qint64(hash)}, {QStringLiteral("bucket"), b}});
        else
            Context::out(Text::tr("%1:%2 -> bucket %3 (ML when ml_enabled=1 and ml_traffic_percentage >= %3)")
                             .arg(d, key)
                             .arg(b));
    }
    if (inv.json())
        Context::outJson(
            QJsonDocument(QJsonObject{{QStringLiteral("deployment"), d}, {QStringLiteral("buckets"), rows}}));
    return Success;
}

int flagsUsage(int code)
{
    const QString text =
        Text::tr("Usage: mldeckctl flags <status|set|enable|disable|rollback|init|bucket> [options]   (mldeckctl flags "
                 "<sub> --help)\n\n"
                 "  status   show the flags of a deployment\n"
                 "  set      change them (compare-and-set on the version, audited)\n"
                 "  enable   turn ML on [--percentage N]\n"
                 "  disable  turn ML off\n"
                 "  rollback emergency: ML off and 0 %, always wins\n"
                 "  init     create them if they do not exist\n"
                 "  bucket   show the bucket of request keys");
    return Context::printUsage(text, code);
}

} // namespace

int runFlags(Context &ctx)
{
    return dispatch(ctx,
                    {{"status", runStatusSub},
                     {"set", runSetSub},
                     {"enable", [](Context &c) { return runSwitchSub(c, true); }},
                     {"disable", [](Context &c) { return runSwitchSub(c, false); }},
                     {"rollback", runRollbackSub},
                     {"init", runInitSub},
                     {"bucket", runBucketSub}},
                    flagsUsage);
}

} // namespace mldeck::cli
