#include "core/store/redis/DependencyStore.h"

#include "core/domain/Deployment.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/RedisLog.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace mldeck {

namespace {

// A deployment with more dependencies than this is a backend bug; reading them all in one script
// would block Redis for everyone.
constexpr int kMaxDependencies = 256;

// KEYS: index set. ARGV: hash key prefix, max count.
// Returns {name, type, pttl, HGETALL or {}} per indexed name, in one round trip so the list is
// one consistent picture. Unreadable names are returned too: the C++ side reports them.
constexpr char kReadScript[] = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {} end
if t ~= 'set' then return {{'', t, -2, {}}} end
local names = redis.call('SMEMBERS', KEYS[1])
table.sort(names)
local out = {}
for i, name in ipairs(names) do
  if i > tonumber(ARGV[2]) then break end
  local key = ARGV[1] .. name
  local kt = redis.call('TYPE', key)['ok']
  if kt == 'hash' then
    table.insert(out, {name, kt, redis.call('PTTL', key), redis.call('HGETALL', key)})
  else
    table.insert(out, {name, kt, -2, {}})
  end
end
return out
)lua";

// KEYS: dependency hash, index set. ARGV: ttl ms, channel, message, state, fallback_active, name,
// then field/value pairs. Replaces the hash (so a field the backend no longer sends, such as
// fallback_since after recovery, does not linger), sets the expiry in the same script so the hash
// never exists without one, and publishes only when state or fallback changed.
constexpr char kReportScript[] = R"lua(
local old = {false, false}
if redis.call('TYPE', KEYS[1])['ok'] == 'hash' then
  old = redis.call('HMGET', KEYS[1], 'state', 'fallback_active')
end
redis.call('DEL', KEYS[1])
local sets = {}
for i = 7, #ARGV do table.insert(sets, ARGV[i]) end
redis.call('HSET', KEYS[1], unpack(sets))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[6])
if old[1] ~= ARGV[4] or old[2] ~= ARGV[5] then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
)lua";

Error unexpectedReply()
{
    return Error{DependencyStore::tr("Unexpected answer from Redis to the dependency read.")};
}

} // namespace

DependencyStore::DependencyStore(RedisConnection &conn) : m_conn(conn) {}

QByteArray DependencyStore::key(const QString &deployment, const QString &name)
{
    return QByteArrayLiteral("mldeck:dep:") + deployment.toUtf8() + ':' + name.toUtf8();
}

QByteArray DependencyStore::indexKey(const QString &deployment)
{
    return QByteArrayLiteral("mldeck:deps:") + deployment.toUtf8();
}

QByteArray DependencyStore::channel()
{
    return QByteArrayLiteral("mldeck:deps:changed");
}

Result<std::vector<DependencyState>> DependencyStore::read(const QString &deployment)
{
    if (!isValidDeploymentName(deployment))
        return Error{tr("\"%1\" is not a valid deployment name.").arg(deployment)};
    // EVAL_RO: a read-only ACL user may run it.
    auto r = m_conn.command({QByteArrayLiteral("EVAL_RO"), QByteArray(kReadScript), "1", indexKey(deployment),
                             QByteArrayLiteral("mldeck:dep:") + deployment.toUtf8() + ':',
                             QByteArray::number(kMaxDependencies)});
    if (!r)
        return r.error();
    if (!r->isArray())
        return unexpectedReply();
    std::vector<DependencyState> out;
    out.reserve(size_t(r->array.size()));
    for (const RedisValue &entry : r->array) {
        if (!entry.isArray() || entry.array.size() != 4)
            return unexpectedReply();
        const QString name = QString::fromUtf8(entry.array.at(0).string);
        const QByteArray type = entry.array.at(1).string;
        if (name.isEmpty()) // the index itself is not a set
            return Error{tr("The Redis key %1 is a %2, not a set; the dependencies of \"%3\" cannot be read.")
                             .arg(QString::fromUtf8(indexKey(deployment)), QString::fromUtf8(type), deployment)};
        if (!isValidDependencyName(name)) {
            qCWarning(lcRedis) << "ignoring invalid dependency name in" << indexKey(deployment) << name;
            continue;
        }
        if (type == "none") {
            out.push_back(DependencyFields::expired(deployment, name));
            continue;
        }
        if (type != "hash") {
            out.push_back(DependencyFields::wrongType(deployment, name, type));
            continue;
        }
        const RedisValue &hash = entry.array.at(3);
        if (!hash.isArray() || hash.array.size() % 2 != 0)
            return unexpectedReply();
        QHash<QByteArray, QByteArray> fields;
        for (qsizetype i = 0; i + 1 < hash.array.size(); i += 2)
            fields.insert(hash.array.at(i).string, hash.array.at(i + 1).string);
        DependencyState s = DependencyFields::fromFields(deployment, name, fields);
        const qint64 pttl = entry.array.at(2).integer;
        s.expiresInMs = pttl >= 0 ? pttl : -1;
        // Without an expiry a dead backend's last word would stay "up" forever: the contract's
        // one guarantee is gone, so the report is not believed.
        if (pttl == -1 && !s.isUnknown()) {
            s.state = DependencyHealth::Unknown;
            s.fallbackActive = false;
            s.unknownReason = tr("written without an expiry, so a stopped backend could not be told apart");
        }
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const DependencyState &a, const DependencyState &b) { return a.name < b.name; });
    return out;
}

Status DependencyStore::report(const DependencyReport &report, int ttlMs)
{
    if (auto problem = DependencyFields::validate(report))
        return Error{*problem};
    if (ttlMs < kMinTtlMs || ttlMs > kMaxTtlMs)
        return Error{tr("The expiry of a dependency report must be from %1 to %2 ms, not %3.")
                         .arg(kMinTtlMs)
                         .arg(kMaxTtlMs)
                         .arg(ttlMs)};
    const auto fields = DependencyFields::toFields(report, QDateTime::currentDateTimeUtc());
    const QByteArray state = dependencyHealthName(report.state).toUtf8();
    const QByteArray fallback = report.fallbackActive ? QByteArrayLiteral("1") : QByteArrayLiteral("0");
    const QByteArray message =
        QJsonDocument(QJsonObject{{QStringLiteral("deployment"), report.deployment},
                                  {QStringLiteral("dependency"), report.name},
                                  {QStringLiteral("state"), QString::fromUtf8(state)},
                                  {QStringLiteral("fallback_active"), report.fallbackActive ? 1 : 0}})
            .toJson(QJsonDocument::Compact);
    QList<QByteArray> argv{QByteArrayLiteral("EVAL"),
                           QByteArray(kReportScript),
                           "2",
                           key(report.deployment, report.name),
                           indexKey(report.deployment),
                           QByteArray::number(ttlMs),
                           channel(),
                           message,
                           state,
                           fallback,
                           report.name.toUtf8()};
    for (const auto &[field, value] : fields)
        argv << field << value;
    auto r = m_conn.command(argv);
    if (!r)
        return r.error();
    if (r->isInteger() && r->integer == 1)
        qCInfo(lcRedis) << "dependency" << report.name << "of" << report.deployment << "now" << state << "fallback"
                        << fallback;
    return {};
}

Status DependencyStore::forget(const QString &deployment, const QString &name)
{
    if (!isValidDeploymentName(deployment) || !isValidDependencyName(name))
        return Error{tr("\"%1\" / \"%2\" is not a valid deployment / dependency name.").arg(deployment, name)};
    auto r = m_conn.command({QByteArrayLiteral("EVAL"),
                             QByteArrayLiteral("redis.call('DEL', KEYS[1]) "
                                               "if redis.call('TYPE', KEYS[2])['ok'] == 'set' then "
                                               "redis.call('SREM', KEYS[2], ARGV[1]) end return 1"),
                             "2", key(deployment, name), indexKey(deployment), name.toUtf8()});
    if (!r)
        return r.error();
    return {};
}

} // namespace mldeck
