#pragma once

#include "core/domain/FlagState.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

class RedisConnection;

// What an editor wants to change; unset fields stay as they are. actor goes to updated_by.
struct FlagChange
{
    std::optional<bool> mlEnabled;
    std::optional<int> trafficPercentage;
    std::optional<bool> fallbackOnError;
    QString actor;

    bool isEmpty() const { return !mlEnabled && !trafficPercentage && !fallbackOnError; }
};

// The flags of each deployment in Redis (resources/contract/flags.md). Every write is one Lua
// script: compare-and-set on version, bump, stamp, PUBLISH — never half-applied.
// Blocking (see RedisConnection): call from a worker thread.
class FlagStore final
{
public:
    explicit FlagStore(RedisConnection &conn);

    // exists=false when there is no key. Malformed fields are listed in invalidFields, never coerced;
    // a key of another type than hash reads as a set whose every field is invalid.
    Result<FlagState> read(const QString &deployment);

    // Compare-and-set on version: fails with a readable conflict naming who changed the set and
    // its current values when version != expectedVersion. expectedVersion 0 matches a set whose
    // version is missing or malformed, so such a set can be repaired. Values are validated before
    // anything is sent. The flag set must exist (see initialiseIfMissing).
    // changeId (optional) is stored in the field last_change_id in the same script, so that a
    // client whose connection broke mid-write can tell afterwards whether its write was applied.
    Result<FlagState> write(const QString &deployment, const FlagChange &change, qint64 expectedVersion,
                            const QString &changeId = {});

    // The dominant write: ML off, 0 %, version bumped, stamped, published — in one script with no
    // version check, so it always wins over a concurrent edit. A missing set is created (version
    // 1) and a key of the wrong type is replaced: either way the result is a valid "ML off" set.
    struct Rollback
    {
        FlagState before; // as the script found it (exists=false when there was none)
        FlagState after;
    };
    Result<Rollback> rollback(const QString &deployment, const QString &actor, const QString &changeId = {});

    // The change id of the last write (empty when none was recorded).
    Result<QString> lastChangeId(const QString &deployment);

    // Whether the last write recorded changeId; when it did, the field is written again (same value) so
    // that a WAIT on this connection covers the change: a write found on a new connection (after a
    // failover) can then be confirmed as replicated. Writes nothing otherwise.
    Result<bool> reassertChange(const QString &deployment, const QString &changeId);

    // Creates the set at version 1 with the given values (unset ones: ML off, 0 %, fallback on)
    // when the key does not exist; returns the current state either way.
    Result<FlagState> initialiseIfMissing(const QString &deployment, const FlagChange &defaults);

    // Whether this connection's Redis user may run the write scripts on the flag keys: false when
    // its ACL refuses (NOPERM), e.g. the read-only user of resources/contract/security.md. Writes nothing.
    Result<bool> canWrite();

    // Names in the set mldeck:deployments, sorted.
    Result<QStringList> deployments();

    static QByteArray key(const QString &deployment); // "mldeck:flags:<deployment>"
    static QByteArray channel();                      // "mldeck:flags:changed"
    static QByteArray deploymentsKey();               // "mldeck:deployments"

    // The outcome of the last write() when it failed on a version conflict (so callers can tell
    // a conflict, exit code 1, from a connection or input error).
    bool lastWriteWasConflict() const { return m_lastWriteConflict; }

private:
    RedisConnection &m_conn;
    bool m_lastWriteConflict = false;
};

} // namespace mldeck
