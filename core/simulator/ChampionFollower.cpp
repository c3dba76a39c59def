#include "core/simulator/ChampionFollower.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/ModelStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/ModelKeys.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

#include <algorithm>

namespace mldeck {

namespace {

Q_LOGGING_CATEGORY(lcChampion, "mldeck.simulator.champion")

constexpr int kWaitMs = 250;
constexpr qint64 kSafetyRereadMs = 5000;
// A champion that failed to load is retried on a new message for it, else this rarely: the warning
// must not flood the log while an operator repairs the store.
constexpr qint64 kFailedRetryMs = 30'000;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

ChampionFollower::ChampionFollower(RedisEndpoint redis, PgEndpoint pg, QString deployment, int modelThreads,
                                   std::optional<ChampionRef> serving)
    : m_redis(std::move(redis)), m_pg(std::move(pg)), m_deployment(std::move(deployment)), m_modelThreads(modelThreads),
      m_wanted(std::move(serving))
{
}

ChampionFollower::~ChampionFollower()
{
    stop();
}

void ChampionFollower::start()
{
    m_thread = std::thread([this] { loop(); });
}

void ChampionFollower::stop()
{
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
}

std::optional<LoadedChampion> ChampionFollower::takeLoaded()
{
    std::lock_guard lock(m_mutex);
    std::optional<LoadedChampion> out = std::move(m_ready);
    m_ready.reset();
    return out;
}

QString ChampionFollower::lastError() const
{
    std::lock_guard lock(m_mutex);
    return m_lastError;
}

void ChampionFollower::setError(const QString &error)
{
    std::lock_guard lock(m_mutex);
    m_lastError = error;
}

Result<std::optional<ChampionRef>> ChampionFollower::read(RedisConnection *redis, const PgEndpoint &pg,
                                                          const QString &deployment)
{
    // The hash is the truth for a backend (models.md); PostgreSQL, the record, covers a champion whose
    // publish failed or a Redis that was flushed.
    if (redis) {
        const auto reply = redis->command({QByteArrayLiteral("HGETALL"), redis_keys::champion(deployment)});
        if (reply && reply->isArray() && !reply->array.isEmpty()) {
            ChampionRef ref;
            for (qsizetype i = 0; i + 1 < reply->array.size(); i += 2) {
                const QByteArray &field = reply->array.at(i).string;
                const QByteArray &value = reply->array.at(i + 1).string;
                if (field == "version")
                    ref.version = QString::fromUtf8(value);
                else if (field == "sha256")
                    ref.sha256 = value;
                else if (field == "path")
                    ref.path = QString::fromUtf8(value);
            }
            if (!ref.version.isEmpty() && !ref.sha256.isEmpty() && !ref.path.isEmpty())
                return std::optional<ChampionRef>(ref);
            qCWarning(lcChampion) << "incomplete champion hash for" << deployment << "; reading PostgreSQL";
        } else if (!reply) {
            qCWarning(lcChampion) << "cannot read the champion from Redis:" << reply.errorMessage();
        }
    }
    auto conn = PgConnection::open(pg, QStringLiteral("mldeck-simulate-champion"));
    if (!conn)
        return conn.error();
    const auto row = ModelRegistry(**conn).byAlias(deployment, QStringLiteral("champion"));
    if (!row)
        return row.error();
    if (!row->has_value())
        return std::optional<ChampionRef>();
    return std::optional<ChampionRef>(ChampionRef{(*row)->version, (*row)->sha256.toLatin1(), (*row)->filePath});
}

Result<LoadedChampion> ChampionFollower::load(const ChampionRef &ref, int modelThreads)
{
    auto runner = ModelStore::loadVerified(ref.path, ref.sha256);
    if (!runner)
        return Error{
            SimulatorText::tr("Champion version %1 cannot be served: %2").arg(ref.version, runner.errorMessage())};
    (*runner)->setThreads(modelThreads);
    return LoadedChampion{ref, std::move(runner).value()};
}

void ChampionFollower::refresh(RedisConnection &redis, bool hinted)
{
    const auto champion = read(&redis, m_pg, m_deployment);
    if (!champion) {
        setError(SimulatorText::tr("Cannot read the champion: %1").arg(champion.errorMessage()));
        return;
    }
    // No champion (any more): keep serving what we serve; a backend never stops.
    if (!champion->has_value() || **champion == m_wanted) {
        setError({});
        return;
    }
    const ChampionRef &ref = **champion;
    if (ref == m_failed && !hinted && nowMs() - m_failedAtMs < kFailedRetryMs)
        return;
    auto loaded = load(ref, m_modelThreads);
    if (!loaded) {
        m_failed = ref;
        m_failedAtMs = nowMs();
        qCWarning(lcChampion).noquote() << loaded.errorMessage() << "- still serving the previous model";
        setError(loaded.errorMessage());
        return;
    }
    qCInfo(lcChampion).noquote() << "champion" << ref.version << "of" << m_deployment << "loaded; switching";
    m_wanted = ref;
    m_failed.reset();
    ++m_switches;
    std::lock_guard lock(m_mutex);
    m_ready = std::move(loaded).value(); // replaces one not yet taken: only the newest matters
    m_lastError.clear();
}

// Like FlagFollower: pub/sub loses messages while disconnected, so every (re)connect re-reads.
void ChampionFollower::loop()
{
    int backoffMs = 250;
    while (!m_stop) {
        auto conn = RedisConnection::open(m_redis);
        auto sub = conn ? RedisConnection::open(m_redis) : Result<std::unique_ptr<RedisConnection>>(conn.error());
        Status subscribed = sub ? (*sub)->subscribe({redis_keys::modelsChannel()}) : Status(sub.error());
        if (!conn || !subscribed) {
            setError(SimulatorText::tr("Cannot follow the champion in Redis: %1")
                         .arg(conn ? subscribed.errorMessage() : conn.errorMessage()));
            for (int waited = 0; waited < backoffMs && !m_stop; waited += 50)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            backoffMs = std::min(backoffMs * 2, 5000);
            continue;
        }
        backoffMs = 250;
        refresh(**conn, false);
        bool healthy = !(*conn)->isBroken();
        qint64 lastRead = nowMs();
        while (healthy && !m_stop) {
            auto push = (*sub)->nextPush(kWaitMs);
            if (!push) {
                setError(SimulatorText::tr("Lost the champion channel: %1").arg(push.errorMessage()));
                break;
            }
            bool ours = false;
            if (push->has_value()) {
                const RedisValue &v = **push;
                // ["message", channel, payload]; an unparsable payload is treated as ours: re-reading is safe.
                if (v.isArray() && v.array.size() == 3 && v.array.at(0).string == "message") {
                    const QJsonObject o = QJsonDocument::fromJson(v.array.at(2).string).object();
                    const QString deployment = o.value(QLatin1String("deployment")).toString();
                    ours = deployment.isEmpty() || deployment == m_deployment;
                }
            }
            if (ours || nowMs() - lastRead > kSafetyRereadMs) {
                refresh(**conn, ours);
                healthy = !(*conn)->isBroken();
                lastRead = nowMs();
            }
        }
    }
}

} // namespace mldeck
