#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <memory>

namespace mldeck {

class PgConnection;

// Leader election for guards: pg_try_advisory_lock on a dedicated session. The server releases
// the lock the moment that session ends (process killed, network cut, pg_terminate_backend), so
// another guard takes over on its next attempt. Blocking; one thread at a time.
class LeaderLock final
{
public:
    LeaderLock(PgEndpoint endpoint, QString scope);
    ~LeaderLock();
    LeaderLock(const LeaderLock &) = delete;
    LeaderLock &operator=(const LeaderLock &) = delete;

    // Call before every round of work. Leader: checks the session is still alive (a dead session
    // means the lock is gone). Not leader: (re)connects if needed and tries to take the lock.
    // true while this instance holds the lock; an Error when PostgreSQL cannot be reached.
    Result<bool> ensure();
    bool isLeader() const { return m_leader; }
    int backendPid() const { return m_pid; } // of the lock session, 0 when none (tests kill it)
    void release();

private:
    PgEndpoint m_endpoint;
    QString m_scope;
    std::unique_ptr<PgConnection> m_conn;
    bool m_leader = false;
    int m_pid = 0;
};

} // namespace mldeck
