#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace mldeck {

class ModelRunner;
class RedisConnection;

// Where the champion of a deployment is, as published in mldeck:champion:<deployment>
// (or, when that key is missing, as recorded in PostgreSQL).
struct ChampionRef
{
    QString version; // the registry version: what predictions.model_version carries
    QByteArray sha256;
    QString path; // the copy in the model store
    bool operator==(const ChampionRef &other) const = default;
};

// A champion loaded and verified, ready to be swapped in.
struct LoadedChampion
{
    ChampionRef ref;
    std::unique_ptr<ModelRunner> runner;
};

// Follows a deployment's champion the way models.md asks a serving backend to: read the champion
// hash, SUBSCRIBE to mldeck:models:changed, re-read on a message for the deployment, after every
// reconnect and every few seconds. A new champion is loaded and SHA-256 verified on this thread, next
// to the model being served; the serving thread picks it up between batches with takeLoaded().
// A failed load (missing file, hash mismatch, not TorchScript) changes nothing but lastError().
class ChampionFollower final
{
public:
    // `serving`: what is served now (nullopt: a file that is no champion), so it is not loaded twice.
    ChampionFollower(RedisEndpoint redis, PgEndpoint pg, QString deployment, int modelThreads,
                     std::optional<ChampionRef> serving);
    ~ChampionFollower();
    ChampionFollower(const ChampionFollower &) = delete;
    ChampionFollower &operator=(const ChampionFollower &) = delete;

    void start();
    void stop();

    // The newly loaded champion, handed over once; nullopt when nothing new is ready.
    std::optional<LoadedChampion> takeLoaded();
    // Why the latest champion is not served (empty when it is), or why it could not be read.
    QString lastError() const;
    qint64 switches() const { return m_switches.load(); }

    // Blocking: the current champion (Redis hash first, PostgreSQL when the key is missing or
    // Redis cannot be read); nullopt when the deployment has none.
    static Result<std::optional<ChampionRef>> read(RedisConnection *redis, const PgEndpoint &pg,
                                                   const QString &deployment);
    // Blocking: loads `ref` refusing a file whose SHA-256 differs. The error says which version failed.
    static Result<LoadedChampion> load(const ChampionRef &ref, int modelThreads);

private:
    void loop();
    void refresh(RedisConnection &redis, bool hinted);
    void setError(const QString &error);

    RedisEndpoint m_redis;
    PgEndpoint m_pg;
    QString m_deployment;
    int m_modelThreads = 1;
    std::thread m_thread;
    std::atomic_bool m_stop{false};
    std::atomic<qint64> m_switches{0};
    mutable std::mutex m_mutex;
    std::optional<ChampionRef> m_wanted; // the latest champion loaded or handed over (follower thread only)
    std::optional<ChampionRef> m_failed; // the latest champion that failed to load, and when
    qint64 m_failedAtMs = 0;
    std::optional<LoadedChampion> m_ready;
    QString m_lastError;
};

} // namespace mldeck
