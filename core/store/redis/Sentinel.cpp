#include "core/store/redis/Sentinel.h"

#include "core/Text.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/RedisLog.h"

#include <QCoreApplication>

#include <memory>

namespace mldeck::sentinel {

namespace {

constexpr int kMaxPerSentinelMs = 500;

// One sentinel, logged in with the endpoint's user and password. A sentinel without a password
// refuses AUTH: then it is asked without one (sentinels are often left open on a private network).
Result<std::unique_ptr<RedisConnection>> openSentinel(const RedisEndpoint &endpoint, const HostPort &node)
{
    RedisEndpoint s;
    s.host = node.host;
    s.port = node.port;
    s.user = endpoint.user;
    s.password = endpoint.password;
    s.timeoutMs = perSentinelTimeoutMs(endpoint);
    auto conn = RedisConnection::open(s);
    if (!conn && !s.password.isEmpty() &&
        (conn.errorMessage().contains(QLatin1String("without any password configured")) ||
         conn.errorMessage().contains(QLatin1String("no password is set")))) {
        s.user.clear();
        s.password.clear();
        conn = RedisConnection::open(s);
    }
    return conn;
}

Result<HostPort> askMaster(RedisConnection &conn, const QString &masterName)
{
    auto r = conn.command(
        {QByteArrayLiteral("SENTINEL"), QByteArrayLiteral("get-master-addr-by-name"), masterName.toUtf8()});
    if (!r)
        return r.error();
    if (r->isNil())
        return Error{StoreText::tr("the sentinel at %1 does not monitor a master named \"%2\"")
                         .arg(conn.endpoint().display(), masterName)};
    bool ok = false;
    const int port = r->isArray() && r->array.size() == 2 ? r->array.at(1).string.toInt(&ok) : 0;
    if (!ok)
        return Error{StoreText::tr("Unexpected answer from Redis to %1.")
                         .arg(QStringLiteral("SENTINEL get-master-addr-by-name"))};
    return HostPort{QString::fromUtf8(r->array.at(0).string), port};
}

// "a=1,b=2" → value of key.
QByteArray field(const QByteArray &list, const QByteArray &key)
{
    for (const QByteArray &kv : list.split(','))
        if (kv.startsWith(QByteArray(key + '=')))
            return kv.mid(key.size() + 1);
    return {};
}

} // namespace

int perSentinelTimeoutMs(const RedisEndpoint &endpoint)
{
    return qMax(1, qMin(endpoint.timeoutMs, kMaxPerSentinelMs));
}

Result<HostPort> resolveMaster(const RedisEndpoint &endpoint, QStringList *problems)
{
    QStringList why;
    for (const HostPort &node : endpoint.sentinels) {
        auto conn = openSentinel(endpoint, node);
        if (!conn) {
            why << conn.errorMessage();
            continue;
        }
        auto master = askMaster(**conn, endpoint.masterName);
        if (master) {
            if (problems)
                *problems = why;
            return master;
        }
        why << master.errorMessage();
    }
    if (problems)
        *problems = why;
    return Error{StoreText::tr("No sentinel could name the Redis master \"%1\": %2")
                     .arg(endpoint.masterName, why.join(QStringLiteral("; ")))};
}

Result<std::optional<QString>> role(RedisConnection &conn)
{
    auto r = conn.command({QByteArrayLiteral("ROLE")});
    if (!r) {
        if (r.errorMessage().contains(QLatin1String("NOPERM")))
            return std::optional<QString>();
        return r.error();
    }
    if (!r->isArray() || r->array.isEmpty())
        return Error{StoreText::tr("Unexpected answer from Redis to %1.").arg(QStringLiteral("ROLE"))};
    return std::optional<QString>(QString::fromUtf8(r->array.at(0).string));
}

Result<Replication> replication(RedisConnection &conn)
{
    auto r = conn.command({QByteArrayLiteral("INFO"), QByteArrayLiteral("replication")});
    if (!r)
        return r.error();
    Replication out;
    for (QByteArray line : r->string.split('\n')) {
        line = line.trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray key = line.left(colon);
        const QByteArray value = line.mid(colon + 1);
        if (key == "role")
            out.role = QString::fromUtf8(value);
        else if (key == "master_repl_offset")
            out.masterOffset = value.toLongLong();
        else if (key.startsWith("slave") && key.mid(5).toInt() >= 0 && value.contains("ip=")) {
            Replica replica;
            replica.address = HostPort{QString::fromUtf8(field(value, "ip")), field(value, "port").toInt()};
            replica.state = QString::fromUtf8(field(value, "state"));
            replica.offset = field(value, "offset").toLongLong();
            out.replicas.append(replica);
        }
    }
    for (Replica &replica : out.replicas)
        replica.lagBytes = qMax<qint64>(0, out.masterOffset - replica.offset);
    return out;
}

Overview probe(const RedisEndpoint &endpoint)
{
    Overview o;
    o.sentinelsGiven = int(endpoint.sentinels.size());
    for (const HostPort &node : endpoint.sentinels) {
        auto conn = openSentinel(endpoint, node);
        if (!conn) {
            o.problems << conn.errorMessage();
            continue;
        }
        auto master = askMaster(**conn, endpoint.masterName);
        if (!master) {
            o.problems << master.errorMessage();
            continue;
        }
        ++o.sentinelsReached;
        if (o.master)
            continue;
        o.master = *master;
        if (auto others = (*conn)->command(
                {QByteArrayLiteral("SENTINEL"), QByteArrayLiteral("sentinels"), endpoint.masterName.toUtf8()});
            others && others->isArray())
            o.sentinelsKnown = int(others->array.size()) + 1;
    }
    if (!o.master)
        return o;
    auto data = RedisConnection::open(endpoint.atNode(*o.master));
    if (!data) {
        o.problems << data.errorMessage();
        return o;
    }
    auto repl = replication(**data);
    if (repl)
        o.replication = *repl;
    else
        o.problems << repl.errorMessage();
    return o;
}

} // namespace mldeck::sentinel
