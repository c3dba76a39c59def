#include "core/store/redis/FlagSubscriber.h"

#include "core/domain/Deployment.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/RedisLog.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>

namespace mldeck {

FlagSubscriber::FlagSubscriber(std::unique_ptr<RedisConnection> conn) : m_conn(std::move(conn)) {}

FlagSubscriber::~FlagSubscriber() = default;

Result<std::unique_ptr<FlagSubscriber>> FlagSubscriber::open(const RedisEndpoint &endpoint)
{
    auto conn = RedisConnection::open(endpoint);
    if (!conn)
        return conn.error();
    std::unique_ptr<RedisConnection> c = std::move(conn).value();
    if (Status s = c->subscribe({FlagStore::channel()}); !s)
        return s.error();
    return std::unique_ptr<FlagSubscriber>(new FlagSubscriber(std::move(c)));
}

FlagChangeEvent FlagSubscriber::parseMessage(const QByteArray &payload)
{
    FlagChangeEvent e;
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    const QString name = o.value(QLatin1String("deployment")).toString();
    const QJsonValue version = o.value(QLatin1String("version"));
    if (!isValidDeploymentName(name) || !version.isDouble()) {
        qCWarning(lcRedis) << "unparsable flag change message" << payload;
        return e;
    }
    e.deployment = name;
    e.version = qint64(version.toDouble());
    return e;
}

Result<std::optional<FlagChangeEvent>> FlagSubscriber::waitForChange(int timeoutMs)
{
    const QDeadlineTimer deadline(qMax(0, timeoutMs));
    for (;;) {
        auto push = m_conn->nextPush(int(qMax<qint64>(0, deadline.remainingTime())));
        if (!push)
            return push.error();
        if (!push->has_value())
            return std::optional<FlagChangeEvent>();
        const RedisValue &v = **push;
        // ["message", channel, payload]; anything else (e.g. a late subscribe confirmation) is skipped.
        if (v.isArray() && v.array.size() == 3 && v.array.at(0).string == "message" &&
            v.array.at(1).string == FlagStore::channel())
            return std::optional<FlagChangeEvent>(parseMessage(v.array.at(2).string));
        if (deadline.hasExpired())
            return std::optional<FlagChangeEvent>();
    }
}

} // namespace mldeck
