// mldeckctl status: one probe of each server, with the same code the GUI's status bar uses, and a
// start of the model worker (where it was found, how long it took).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/ml/ModelWorker.h"
#include "core/services/KeptReadConnection.h"
#include "core/services/Probes.h"
#include "core/services/RedisAccessService.h"
#include "core/services/SentinelStatus.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

#include <future>
#include <optional>

namespace mldeck::cli {

namespace {

QJsonObject toJson(const QString &endpoint, const ProbeResult &r, bool pg)
{
    QJsonObject o{{QStringLiteral("endpoint"), endpoint},
                  {QStringLiteral("state"), r.up ? QStringLiteral("up") : QStringLiteral("down")},
                  {QStringLiteral("detail"), r.detail}};
    if (r.up)
        o.insert(QStringLiteral("latencyMs"), r.latencyMs);
    if (pg && r.up) {
        o.insert(QStringLiteral("serverVersion"), r.serverVersion);
        o.insert(QStringLiteral("user"), r.user);
        o.insert(QStringLiteral("schema"), QJsonObject{{QStringLiteral("current"), r.schemaCurrent},
                                                       {QStringLiteral("latest"), r.schemaLatest},
                                                       {QStringLiteral("foreign"), r.foreignSchema}});
        o.insert(QStringLiteral("tls"), QJsonObject{{QStringLiteral("encrypted"), r.tlsEncrypted},
                                                    {QStringLiteral("protocol"), r.tlsProtocol},
                                                    {QStringLiteral("verified"), r.tlsVerified}});
    }
    return o;
}

QString line(const QString &server, const QString &endpoint, const ProbeResult &r)
{
    return QStringLiteral("%1 %2 %3  %4")
        .arg(server.leftJustified(11), (r.up ? Text::tr("up") : Text::tr("DOWN")).leftJustified(5), endpoint, r.detail);
}

// "PostgreSQL at db:5432 is unreachable: <why>", without repeating the address when <why> names it.
QString unreachable(const QString &server, const QString &where, const QString &why)
{
    const QString hostPort = where.section(QLatin1Char('@'), -1).section(QLatin1Char('/'), 0, 0);
    if (why.contains(hostPort))
        return Text::tr("%1 is unreachable: %2").arg(server, why);
    return Text::tr("%1 at %2 is unreachable: %3").arg(server, where, why);
}

// The Redis user and what it may do (resources/contract/security.md), as the GUI's status bar says it.
struct RedisUserProbe
{
    QString user;
    std::optional<bool> readOnly; // unset when the probe could not tell
    bool encrypted = true;        // false for a host off this machine (hiredis 0.14 has no TLS)
};

RedisUserProbe probeRedisUser(const RedisEndpoint &endpoint)
{
    RedisUserProbe p;
    p.user = endpoint.user.isEmpty() ? QStringLiteral("default") : endpoint.user;
    p.encrypted = isLoopbackRedisHost(endpoint.host);
    if (auto conn = RedisConnection::open(endpoint)) {
        p.encrypted = isLoopbackRedisHost((*conn)->endpoint().host); // behind Sentinel: the master found
        if (auto canWrite = FlagStore(**conn).canWrite())
            p.readOnly = !*canWrite;
    }
    return p;
}

QString userDetail(const RedisUserProbe &p)
{
    // Whole phrases, one per case, for the translator.
    const bool readOnly = p.readOnly.value_or(false);
    if (readOnly && !p.encrypted)
        return Text::tr("user %1, read-only, not encrypted").arg(p.user);
    if (readOnly)
        return Text::tr("user %1, read-only").arg(p.user);
    if (!p.encrypted)
        return Text::tr("user %1, not encrypted").arg(p.user);
    return Text::tr("user %1").arg(p.user);
}

// Behind Sentinel: which node is master, how many sentinels answered, and the replicas' state.
QStringList sentinelLines(const SentinelStatus &o)
{
    QStringList lines;
    const QString indent = QStringLiteral("  ");
    lines << indent + Text::tr("master      %1").arg(o.master ? o.master->display() : Text::tr("unknown"));
    lines << indent + Text::tr("sentinels   %1 of %2 reached, %3 known to them")
                          .arg(o.sentinelsReached)
                          .arg(o.sentinelsGiven)
                          .arg(o.sentinelsKnown);
    if (o.replicationKnown) {
        if (o.replicas.isEmpty())
            lines << indent + Text::tr("replicas    none connected: writes are not confirmed by a replica");
        for (const SentinelReplicaStatus &r : o.replicas)
            lines << indent + Text::tr("replica     %1 %2, offset %3, %4 bytes behind")
                                  .arg(r.address.display(), r.state)
                                  .arg(r.offset)
                                  .arg(r.lagBytes);
    }
    for (const QString &p : o.problems)
        lines << indent + Text::tr("problem     %1").arg(p);
    return lines;
}

QJsonObject sentinelJson(const SentinelStatus &o)
{
    QJsonArray replicas;
    for (const SentinelReplicaStatus &r : o.replicas)
        replicas.append(QJsonObject{{QStringLiteral("address"), r.address.display()},
                                    {QStringLiteral("state"), r.state},
                                    {QStringLiteral("offset"), r.offset},
                                    {QStringLiteral("lagBytes"), r.lagBytes}});
    QJsonObject out{{QStringLiteral("master"), o.master ? o.master->display() : QString()},
                    {QStringLiteral("sentinelsReached"), o.sentinelsReached},
                    {QStringLiteral("sentinelsGiven"), o.sentinelsGiven},
                    {QStringLiteral("sentinelsKnown"), o.sentinelsKnown},
                    {QStringLiteral("problems"), QJsonArray::fromStringList(o.problems)}};
    if (o.replicationKnown) {
        out.insert(QStringLiteral("masterOffset"), o.masterOffset);
        out.insert(QStringLiteral("replicas"), replicas);
    }
    return out;
}

struct WorkerProbe
{
    bool up = false;
    QString path;
    QString detail;
    double startMs = 0;
};

WorkerProbe probeWorker()
{
    WorkerProbe p;
    const auto path = ModelWorker::executablePath();
    if (!path) {
        p.detail = path.errorMessage();
        return p;
    }
    p.path = path.value();
    ModelWorker worker;
    const Status started = worker.start();
    p.up = started.ok();
    p.startMs = worker.lastStartMs();
    p.detail = p.up ? Text::tr("started in %1 ms").arg(p.startMs, 0, 'f', 0) : started.errorMessage();
    return p;
}

} // namespace

int runStatus(Context &ctx)
{
    Invocation inv(ctx, Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    if (auto code = inv.start(Text::tr("Check the connections to Redis and PostgreSQL once, and start the model "
                                       "worker once.\nExit code 0 when all three are up, 2 otherwise.")))
        return *code;

    const RedisEndpoint &redis = inv.redis();
    const PgEndpoint &pg = inv.pgEndpoint();

    // Both at once: the wait is the slower of the two timeouts, not their sum.
    auto redisFuture = std::async(std::launch::async, [ep = redis] { return probeRedis(ep); });
    auto redisUserFuture = std::async(std::launch::async, [ep = redis] { return probeRedisUser(ep); });
    auto workerFuture = std::async(std::launch::async, probeWorker);
    auto sentinelFuture = std::async(std::launch::async, [ep = redis] {
        return ep.isSentinel() ? std::optional<SentinelStatus>(probeSentinelStatus(ep)) : std::nullopt;
    });
    const ProbeResult pgResult = probePg(pg, QStringLiteral("mldeckctl"));
    ProbeResult redisResult = redisFuture.get();
    const RedisUserProbe redisUser = redisUserFuture.get();
    if (redisResult.up)
        redisResult.detail += QStringLiteral(", ") + userDetail(redisUser);
    const WorkerProbe worker = workerFuture.get();
    const std::optional<SentinelStatus> sentinels = sentinelFuture.get();

    // The read replica, when one is configured: where reads go now and its lag (never a failure of its own: the
    // reads fall back to the primary).
    std::optional<ReadSource> reads;
    if (inv.readReplica().endpoint) {
        KeptPgConnection primary(QStringLiteral("mldeckctl"));
        KeptReadConnection standby(QStringLiteral("mldeckctl-read"));
        ReadSource source;
        (void)standby.get(primary, pg, inv.readReplica(), source);
        reads = source;
    }

    const QString redisWhere = redis.display();
    const QString pgWhere = pg.display();
    if (inv.json()) {
        QJsonObject redisJson = toJson(redisWhere, redisResult, false);
        redisJson.insert(QStringLiteral("user"), redisUser.user);
        redisJson.insert(QStringLiteral("encrypted"), redisUser.encrypted);
        if (redisUser.readOnly)
            redisJson.insert(QStringLiteral("readOnly"), *redisUser.readOnly);
        if (sentinels)
            redisJson.insert(QStringLiteral("sentinel"), sentinelJson(*sentinels));
        QJsonObject json{
            {QStringLiteral("redis"), redisJson},
            {QStringLiteral("postgresql"), toJson(pgWhere, pgResult, true)},
            {QStringLiteral("modelWorker"),
             QJsonObject{{QStringLiteral("state"), worker.up ? QStringLiteral("up") : QStringLiteral("down")},
                         {QStringLiteral("path"), worker.path},
                         {QStringLiteral("startMs"), worker.startMs},
                         {QStringLiteral("detail"), worker.detail}}},
            {QStringLiteral("ok"), redisResult.up && pgResult.up && worker.up}};
        if (reads)
            json.insert(QStringLiteral("readReplica"), reads->toJson());
        Context::outJson(QJsonDocument(json));
    } else {
        Context::out(line(QStringLiteral("Redis"), redisWhere, redisResult));
        if (sentinels)
            for (const QString &l : sentinelLines(*sentinels))
                Context::out(l);
        Context::out(line(QStringLiteral("PostgreSQL"), pgWhere, pgResult));
        if (reads)
            Context::out(QStringLiteral("%1 %2").arg(Text::tr("Reads").leftJustified(11), reads->describe()));
        Context::out(QStringLiteral("%1 %2 %3  %4")
                         .arg(Text::tr("Model worker").leftJustified(11),
                              (worker.up ? Text::tr("up") : Text::tr("DOWN")).leftJustified(5), worker.path,
                              worker.detail));
    }

    // One readable line on stderr per unreachable server, as every verb reports errors.
    if (!redisResult.up)
        Context::fail(unreachable(QStringLiteral("Redis"), redisWhere, redisResult.detail));
    if (!pgResult.up)
        Context::fail(unreachable(QStringLiteral("PostgreSQL"), pgWhere, pgResult.detail));
    if (!worker.up)
        Context::fail(Text::tr("The model worker cannot start: %1").arg(worker.detail));
    return redisResult.up && pgResult.up && worker.up ? Success : UsageOrConnection;
}

} // namespace mldeck::cli
