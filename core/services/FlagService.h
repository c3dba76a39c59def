#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/FlagState.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/rollout/AuditSpool.h"

#include <QJsonObject>
#include <QString>
#include <QUuid>

#include <functional>
#include <memory>
#include <optional>

namespace mldeck {

class KeptPgConnection;
class PgConnection;
class RedisConnection;

// What an editor wants to change; unset fields stay as they are.
struct FlagEdit
{
    std::optional<bool> mlEnabled;
    std::optional<int> trafficPercentage;
    std::optional<bool> fallbackOnError;
    QString reason;
};

// The result of one change attempt (apply or rollback). Never an exception, never silent.
struct ApplyOutcome
{
    bool applied = false;
    bool conflict = false; // someone else changed it first
    FlagState state;       // the state read back from Redis after the attempt (exists=false if unreadable)
    QString message; // readable: what happened; for a conflict who changed what; for failure why ("not applied: ...")
    QUuid changeId;  // the audit change id of this attempt
    bool auditSpooled = false;      // the audit row is in the local spool, not yet in PostgreSQL
    bool connectionFailure = false; // Redis or PostgreSQL could not be reached (or timed out)
    // Sentinel endpoints only: applied on the master, but no replica acknowledged it within the wait,
    // so a failover could still lose it. applied stays true: applying it again is not the answer.
    bool notReplicated = false;
    bool replicaConfirmed = false; // Sentinel endpoints only: applied and acknowledged by a replica
    int attempts = 1;              // a rollback through a failover: how many times the master was asked
};

// Reads and changes rollout flags with an audit trail (resources/contract/rollout.md).
// Synchronous and blocking: the CLI calls it directly, RolloutService on its JobThread.
// Owns one Redis and one PostgreSQL connection, opened lazily and reopened after a failure.
// Not thread-safe: one thread at a time.
class FlagService final
{
public:
    FlagService(RedisEndpoint redis, PgEndpoint pg, QString spoolDirectory = AuditSpool::defaultDirectory());
    ~FlagService();
    FlagService(const FlagService &) = delete;
    FlagService &operator=(const FlagService &) = delete;

    Result<FlagState> read(const QString &deployment);
    Result<QStringList> deployments();
    // False when the Redis user may not change flags (a read-only ACL user; FlagStore::canWrite).
    Result<bool> canWriteFlags();

    // Compare-and-set on version, audited: the audit row is inserted in an open transaction first
    // (no writable audit log: nothing is changed), then Redis is written, then the row committed.
    ApplyOutcome apply(const QString &deployment, const FlagEdit &edit, qint64 expectedVersion, const QString &reason,
                       const Actor &actor, const QString &action = QStringLiteral("flags.apply"),
                       const QJsonObject &details = {}, const QUuid &changeId = {});

    // The dominant write (ML off, 0 %), audited; works while PostgreSQL is down (the audit row is
    // spooled durably and written when PostgreSQL is back). Behind Sentinel it keeps going through a
    // failover: re-resolved and retried (with Backoff, at most kRollbackRetryMs in all) until the master
    // has it and a replica acknowledged it; one audit row whatever the number of attempts.
    ApplyOutcome rollback(const QString &deployment, const QString &reason, const Actor &actor,
                          const QString &action = QStringLiteral("flags.rollback"), const QJsonObject &details = {},
                          const QUuid &changeId = {});
    // (changeId: chosen by the caller when it must recognise the change before the call returns;
    // by default a new one is generated.)

    // An audited event that changes no flag (guard re-arm, plan saved): needs PostgreSQL.
    Status audit(const AuditRecord &record);

    // Writes the spooled audit rows (idempotent by change id). Also done on every new connection.
    Result<int> flushSpool();
    AuditSpool &spool() { return m_spool; }

    // The connections, opened on demand (for stores that share them on this thread).
    Result<RedisConnection *> redis();
    Result<PgConnection *> pg();
    void dropRedis();
    void dropPg();

    const RedisEndpoint &redisEndpoint() const { return m_redisEndpoint; }
    const PgEndpoint &pgEndpoint() const { return m_pgEndpoint; }
    // The change ids this service wrote (to tell "changed by someone else" from our own echo).
    bool isOwnChange(const QString &changeId) const;

    // Tests: runs between the audit row being prepared and the Redis write (inject a concurrent edit).
    void setBeforeRedisWriteHook(std::function<void()> hook) { m_beforeRedisWrite = std::move(hook); }
    // Tests: hold this connection (as if opened before a switchover) until it breaks; the next one is
    // opened from the service's endpoint, through the sentinels.
    void holdRedisConnection(std::unique_ptr<RedisConnection> conn);

    // Sentinel endpoints: how long a write waits for a replica's acknowledgement (WAIT 1 <ms>), and how
    // long a rollback keeps trying through a failover.
    static constexpr int kReplicaWaitMs = 1000;
    static constexpr int kRollbackRetryMs = 30000;

private:
    Result<FlagState> rollbackOnce(const QString &deployment, const QString &actorName, const QString &changeId,
                                   FlagState *before, bool *connection);
    Result<FlagState> rollbackThroughFailover(const QString &deployment, const QString &actorName,
                                              const QString &changeId, FlagState *before, ApplyOutcome *out,
                                              QString *notReplicatedWhy);
    // Sentinel endpoints: WAIT 1 on conn; "" when a replica acknowledged, else why not. Plain Redis: "".
    QString replicationProblem(RedisConnection &conn);
    ApplyOutcome notApplied(const QString &deployment, const QString &why, bool connection);
    FlagState readBackOrEmpty(const QString &deployment);
    bool confirmAppliedAfterError(const QString &deployment, const QUuid &changeId);

    RedisEndpoint m_redisEndpoint;
    PgEndpoint m_pgEndpoint;
    AuditSpool m_spool;
    std::unique_ptr<RedisConnection> m_redis;
    quint64 m_redisGeneration = 0; // counts the Redis connections opened: a new one may be a new master
    std::unique_ptr<KeptPgConnection> m_pg;
    // Why the PostgreSQL role may not roll back ("" when it may), read when a session opens: a rollback
    // then never waits on PostgreSQL to ask. nullopt: no session has answered yet.
    std::optional<QString> m_rollbackRefusal;
    QStringList m_ownChanges; // the last few change ids written here
    std::function<void()> m_beforeRedisWrite;
};

} // namespace mldeck
