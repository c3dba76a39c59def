#include "core/store/redis/FlagStore.h"

#include "core/Text.h"
#include "core/domain/Deployment.h"
#include "core/rollout/FlagValues.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/RedisLog.h"

#include <QCoreApplication>
#include <QDateTime>

#include <algorithm>

namespace mldeck {

namespace {

// {type} or {type, HGETALL}: one round trip, and a key of the wrong type is reported, not an error.
constexpr char kReadScript[] = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'hash' then return {t} end
return {t, redis.call('HGETALL', KEYS[1])}
)lua";

// KEYS: flag hash, deployments set.
// ARGV: expected version, ml_enabled|'', percentage|'', fallback|'', actor, updated_at, channel, deployment,
//       change id|''.
// The version is read with the same canonical rule as the C++ side, so "007" counts as no version (0).
constexpr char kWriteScript[] = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {'missing'} end
if t ~= 'hash' then return {'wrongtype', t} end
local cur = redis.call('HGET', KEYS[1], 'version')
local curv = 0
if cur and (cur == '0' or string.match(cur, '^[1-9]%d*$')) then curv = tonumber(cur) end
if curv ~= tonumber(ARGV[1]) then
  return {'conflict', cur or '', redis.call('HMGET', KEYS[1], 'updated_by', 'updated_at',
          'ml_enabled', 'ml_traffic_percentage', 'fallback_on_error')}
end
local newv = string.format('%d', curv + 1)
local sets = {'version', newv, 'updated_at', ARGV[6], 'updated_by', ARGV[5]}
if ARGV[2] ~= '' then table.insert(sets, 'ml_enabled'); table.insert(sets, ARGV[2]) end
if ARGV[3] ~= '' then table.insert(sets, 'ml_traffic_percentage'); table.insert(sets, ARGV[3]) end
if ARGV[4] ~= '' then table.insert(sets, 'fallback_on_error'); table.insert(sets, ARGV[4]) end
if ARGV[9] and ARGV[9] ~= '' then table.insert(sets, 'last_change_id'); table.insert(sets, ARGV[9])
else redis.call('HDEL', KEYS[1], 'last_change_id') end
redis.call('HSET', KEYS[1], unpack(sets))
redis.call('SADD', KEYS[2], ARGV[8])
redis.call('PUBLISH', ARGV[7], '{"deployment":"' .. ARGV[8] .. '","version":' .. newv .. '}')
return {'ok', redis.call('HGETALL', KEYS[1])}
)lua";

// KEYS: flag hash, deployments set. ARGV: actor, updated_at, channel, deployment, change id|''.
// No version check: a rollback always wins. Returns {before type, before fields, after fields}.
constexpr char kRollbackScript[] = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
local before = {}
local curv = 0
if t == 'hash' then
  before = redis.call('HGETALL', KEYS[1])
  local cur = redis.call('HGET', KEYS[1], 'version')
  if cur and (cur == '0' or string.match(cur, '^[1-9]%d*$')) then curv = tonumber(cur) end
elseif t ~= 'none' then
  redis.call('DEL', KEYS[1])
end
local newv = string.format('%d', curv + 1)
local sets = {'ml_enabled', '0', 'ml_traffic_percentage', '0', 'version', newv,
              'updated_at', ARGV[2], 'updated_by', ARGV[1]}
if t ~= 'hash' then table.insert(sets, 'fallback_on_error'); table.insert(sets, '1') end
if ARGV[5] ~= '' then table.insert(sets, 'last_change_id'); table.insert(sets, ARGV[5])
else redis.call('HDEL', KEYS[1], 'last_change_id') end
redis.call('HSET', KEYS[1], unpack(sets))
if t == 'hash' then
  local fb = redis.call('HGET', KEYS[1], 'fallback_on_error')
  if fb ~= '0' and fb ~= '1' then redis.call('HSET', KEYS[1], 'fallback_on_error', '1') end
end
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[3], '{"deployment":"' .. ARGV[4] .. '","version":' .. newv .. '}')
return {t, before, redis.call('HGETALL', KEYS[1])}
)lua";

// KEYS: flag hash, deployments set.
// ARGV: ml_enabled, percentage, fallback, actor, updated_at, channel, deployment.
constexpr char kInitScript[] = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then
  redis.call('HSET', KEYS[1], 'ml_enabled', ARGV[1], 'ml_traffic_percentage', ARGV[2],
             'fallback_on_error', ARGV[3], 'version', '1', 'updated_at', ARGV[5], 'updated_by', ARGV[4])
  redis.call('SADD', KEYS[2], ARGV[7])
  redis.call('PUBLISH', ARGV[6], '{"deployment":"' .. ARGV[7] .. '","version":1}')
  return {'created', redis.call('HGETALL', KEYS[1])}
end
if t ~= 'hash' then return {t} end
redis.call('SADD', KEYS[2], ARGV[7])
return {'existing', redis.call('HGETALL', KEYS[1])}
)lua";

QByteArray boolText(bool b)
{
    return b ? QByteArrayLiteral("1") : QByteArrayLiteral("0");
}

QByteArray nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
}

Status checkDeployment(const QString &deployment)
{
    if (!isValidDeploymentName(deployment))
        return Error{StoreText::tr("\"%1\" is not a valid deployment name (lower-case letter first, then up to 62 of "
                                   "a-z, 0-9, _ and -).")
                         .arg(deployment)};
    return {};
}

Status checkChange(const FlagChange &change)
{
    if (change.trafficPercentage && !isValidTrafficPercentage(*change.trafficPercentage))
        return Error{StoreText::tr("The ML traffic percentage must be a whole number from 0 to 100, not %1.")
                         .arg(*change.trafficPercentage)};
    if (change.actor.trimmed().isEmpty())
        return Error{StoreText::tr("A flag change needs an actor (who makes it) for updated_by.")};
    return {};
}

Error unexpectedReply(const QString &what)
{
    return Error{StoreText::tr("Unexpected answer from Redis to %1.").arg(what)};
}

Result<QHash<QByteArray, QByteArray>> hashFromReply(const RedisValue &v)
{
    if (!v.isArray() || v.array.size() % 2 != 0)
        return unexpectedReply(QStringLiteral("HGETALL"));
    QHash<QByteArray, QByteArray> fields;
    for (qsizetype i = 0; i + 1 < v.array.size(); i += 2)
        fields.insert(v.array.at(i).string, v.array.at(i + 1).string);
    return fields;
}

// A write the Redis ACL refused: name the user, so the reader of the message knows it is about
// rights, not about the flags (resources/contract/security.md).
Error writeRefused(const RedisConnection &conn, const Error &e)
{
    if (!e.message.contains(QLatin1String("NOPERM")))
        return e;
    const QString user = conn.endpoint().user.isEmpty() ? QStringLiteral("default") : conn.endpoint().user;
    return Error{
        StoreText::tr("Redis user \"%1\" may not change flags (a read-only ACL user): %2").arg(user, e.message)};
}

QString orDash(const RedisValue &v)
{
    return v.isString() ? QString::fromUtf8(v.string) : QStringLiteral("-");
}

} // namespace

FlagStore::FlagStore(RedisConnection &conn) : m_conn(conn) {}

QByteArray FlagStore::key(const QString &deployment)
{
    return QByteArrayLiteral("mldeck:flags:") + deployment.toUtf8();
}

QByteArray FlagStore::channel()
{
    return QByteArrayLiteral("mldeck:flags:changed");
}

QByteArray FlagStore::deploymentsKey()
{
    return QByteArrayLiteral("mldeck:deployments");
}

Result<FlagState> FlagStore::read(const QString &deployment)
{
    if (Status s = checkDeployment(deployment); !s)
        return s.error();
    // EVAL_RO: a read-only ACL user (resources/contract/security.md) may run it.
    auto r = m_conn.command({QByteArrayLiteral("EVAL_RO"), QByteArray(kReadScript), "1", key(deployment)});
    if (!r)
        return r.error();
    if (!r->isArray() || r->array.isEmpty())
        return unexpectedReply(QStringLiteral("the flag read"));
    const QByteArray type = r->array.at(0).string;
    if (type == "none") {
        FlagState missing;
        missing.deployment = deployment;
        return missing;
    }
    if (type != "hash" || r->array.size() != 2) {
        qCInfo(lcRedis) << "flag key of" << deployment << "is a" << type << "not a hash";
        return flagStateOfWrongType(deployment);
    }
    auto fields = hashFromReply(r->array.at(1));
    if (!fields)
        return fields.error();
    return flagStateFromFields(deployment, *fields);
}

Result<FlagState> FlagStore::write(const QString &deployment, const FlagChange &change, qint64 expectedVersion,
                                   const QString &changeId)
{
    m_lastWriteConflict = false;
    if (Status s = checkDeployment(deployment); !s)
        return s.error();
    if (Status s = checkChange(change); !s)
        return s.error();
    if (change.isEmpty())
        return Error{
            StoreText::tr("Nothing to change: give at least one of ML enabled, traffic percentage or fallback.")};
    if (expectedVersion < 0)
        return Error{StoreText::tr("The expected version must not be negative (got %1).").arg(expectedVersion)};

    const QByteArray enabled = change.mlEnabled ? boolText(*change.mlEnabled) : QByteArray("");
    const QByteArray pct = change.trafficPercentage ? QByteArray::number(*change.trafficPercentage) : QByteArray("");
    const QByteArray fallback = change.fallbackOnError ? boolText(*change.fallbackOnError) : QByteArray("");
    auto r = m_conn.command({QByteArrayLiteral("EVAL"), QByteArray(kWriteScript), "2", key(deployment),
                             deploymentsKey(), QByteArray::number(expectedVersion), enabled, pct, fallback,
                             change.actor.toUtf8(), nowIso(), channel(), deployment.toUtf8(), changeId.toUtf8()});
    if (!r)
        return writeRefused(m_conn, r.error());
    if (!r->isArray() || r->array.isEmpty())
        return unexpectedReply(QStringLiteral("the flag write"));
    const QByteArray outcome = r->array.at(0).string;
    if (outcome == "missing")
        return Error{
            StoreText::tr("Deployment \"%1\" has no flags in Redis yet; create them first (mldeckctl flags init).")
                .arg(deployment)};
    if (outcome == "wrongtype")
        return Error{StoreText::tr("The Redis key %1 is not a hash but a %2; refusing to overwrite it.")
                         .arg(QString::fromUtf8(key(deployment)), QString::fromUtf8(r->array.value(1).string))};
    if (outcome == "conflict") {
        m_lastWriteConflict = true;
        const RedisValue &now = r->array.value(2);
        if (!now.isArray() || now.array.size() != 5)
            return unexpectedReply(QStringLiteral("the flag write"));
        return Error{
            StoreText::tr("Conflict: the flags of \"%1\" were changed by %2 at %3 (now version %4: ml_enabled=%5, "
                          "ml_traffic_percentage=%6, fallback_on_error=%7) while you expected version %8. "
                          "Nothing was written; re-read and try again.")
                .arg(deployment, orDash(now.array.at(0)), orDash(now.array.at(1)),
                     r->array.value(1).string.isEmpty() ? QStringLiteral("-")
                                                        : QString::fromUtf8(r->array.value(1).string),
                     orDash(now.array.at(2)), orDash(now.array.at(3)), orDash(now.array.at(4)))
                .arg(expectedVersion)};
    }
    if (outcome != "ok" || r->array.size() != 2)
        return unexpectedReply(QStringLiteral("the flag write"));
    auto fields = hashFromReply(r->array.at(1));
    if (!fields)
        return fields.error();
    FlagState state = flagStateFromFields(deployment, *fields);
    qCInfo(lcRedis) << "flags of" << deployment << "now version" << state.version << "by" << change.actor;
    return state;
}

Result<FlagStore::Rollback> FlagStore::rollback(const QString &deployment, const QString &actor,
                                                const QString &changeId)
{
    if (Status s = checkDeployment(deployment); !s)
        return s.error();
    if (actor.trimmed().isEmpty())
        return Error{StoreText::tr("A flag change needs an actor (who makes it) for updated_by.")};
    auto r =
        m_conn.command({QByteArrayLiteral("EVAL"), QByteArray(kRollbackScript), "2", key(deployment), deploymentsKey(),
                        actor.toUtf8(), nowIso(), channel(), deployment.toUtf8(), changeId.toUtf8()});
    if (!r)
        return writeRefused(m_conn, r.error());
    if (!r->isArray() || r->array.size() != 3)
        return unexpectedReply(QStringLiteral("the rollback"));
    Rollback out;
    const QByteArray type = r->array.at(0).string;
    if (type == "none") {
        out.before.deployment = deployment;
    } else if (type != "hash") {
        out.before = flagStateOfWrongType(deployment);
    } else {
        auto before = hashFromReply(r->array.at(1));
        if (!before)
            return before.error();
        out.before = flagStateFromFields(deployment, *before);
    }
    auto after = hashFromReply(r->array.at(2));
    if (!after)
        return after.error();
    out.after = flagStateFromFields(deployment, *after);
    qCInfo(lcRedis) << "ROLLBACK of" << deployment << "now version" << out.after.version << "by" << actor;
    return out;
}

Result<QString> FlagStore::lastChangeId(const QString &deployment)
{
    if (Status s = checkDeployment(deployment); !s)
        return s.error();
    auto r = m_conn.command({QByteArrayLiteral("EVAL_RO"),
                             QByteArrayLiteral("if redis.call('TYPE', KEYS[1])['ok'] ~= 'hash' then return false end "
                                               "return redis.call('HGET', KEYS[1], 'last_change_id')"),
                             "1", key(deployment)});
    if (!r)
        return r.error();
    return r->isString() ? QString::fromUtf8(r->string) : QString();
}

Result<bool> FlagStore::reassertChange(const QString &deployment, const QString &changeId)
{
    if (Status s = checkDeployment(deployment); !s)
        return s.error();
    if (changeId.isEmpty())
        return false;
    auto r = m_conn.command(
        {QByteArrayLiteral("EVAL"),
         QByteArrayLiteral("if redis.call('TYPE', KEYS[1])['ok'] ~= 'hash' then return 0 end "
                           "if redis.call('HGET', KEYS[1], 'last_change_id') ~= ARGV[1] then return 0 end "
                           "redis.call('HSET', KEYS[1], 'last_change_id', ARGV[1]) return 1"),
         "1", key(deployment), changeId.toUtf8()});
    if (!r)
        return writeRefused(m_conn, r.error());
    return r->isInteger() && r->integer == 1;
}

Result<FlagState> FlagStore::initialiseIfMissing(const QString &deployment, const FlagChange &defaults)
{
    if (Status s = checkDeployment(deployment); !s)
        return s.error();
    if (Status s = checkChange(defaults); !s)
        return s.error();
    const FlagState safe; // ML off, 0 %, fallback on
    const QByteArray enabled = boolText(defaults.mlEnabled.value_or(safe.mlEnabled));
    const QByteArray pct = QByteArray::number(defaults.trafficPercentage.value_or(safe.trafficPercentage));
    const QByteArray fallback = boolText(defaults.fallbackOnError.value_or(safe.fallbackOnError));
    auto r =
        m_conn.command({QByteArrayLiteral("EVAL"), QByteArray(kInitScript), "2", key(deployment), deploymentsKey(),
                        enabled, pct, fallback, defaults.actor.toUtf8(), nowIso(), channel(), deployment.toUtf8()});
    if (!r)
        return writeRefused(m_conn, r.error());
    if (!r->isArray() || r->array.isEmpty())
        return unexpectedReply(QStringLiteral("the flag initialisation"));
    const QByteArray outcome = r->array.at(0).string;
    if (outcome != "created" && outcome != "existing")
        return flagStateOfWrongType(deployment);
    auto fields = hashFromReply(r->array.value(1));
    if (!fields)
        return fields.error();
    if (outcome == "created")
        qCInfo(lcRedis) << "created flags of" << deployment << "by" << defaults.actor;
    return flagStateFromFields(deployment, *fields);
}

Result<bool> FlagStore::canWrite()
{
    // EVAL declares its keys as written, so Redis checks the write permission on the key before
    // running anything; the script itself writes nothing.
    auto r = m_conn.command({QByteArrayLiteral("EVAL"), QByteArrayLiteral("return 1"), "1", deploymentsKey()});
    if (r)
        return true;
    if (r.errorMessage().contains(QLatin1String("NOPERM")))
        return false;
    return r.error();
}

Result<QStringList> FlagStore::deployments()
{
    auto r = m_conn.command({QByteArrayLiteral("SMEMBERS"), deploymentsKey()});
    if (!r)
        return r.error();
    if (!r->isArray())
        return unexpectedReply(QStringLiteral("SMEMBERS"));
    QStringList names;
    for (const RedisValue &v : r->array) {
        const QString name = QString::fromUtf8(v.string);
        if (isValidDeploymentName(name))
            names.append(name);
        else
            qCWarning(lcRedis) << "ignoring invalid deployment name in" << deploymentsKey() << name;
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace mldeck
