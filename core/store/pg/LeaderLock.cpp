#include "core/store/pg/LeaderLock.h"

#include "core/store/pg/PgConnectionInternal.h"

namespace mldeck {

LeaderLock::LeaderLock(PgEndpoint endpoint, QString scope) : m_endpoint(std::move(endpoint)), m_scope(std::move(scope))
{
}

LeaderLock::~LeaderLock()
{
    release();
}

Result<bool> LeaderLock::ensure()
{
    if (m_conn && m_leader) {
        if (m_conn->ping())
            return true;
        qCWarning(lcPg) << "guard leader session lost; leadership released";
        m_conn.reset();
        m_leader = false;
        m_pid = 0;
    }
    if (!m_conn) {
        auto c = PgConnection::open(m_endpoint, QStringLiteral("mldeck-guard-lock"));
        if (!c)
            return c.error();
        m_conn = std::move(c).value();
        auto pid = m_conn->query(QStringLiteral("SELECT pg_backend_pid()"));
        if (!pid) {
            m_conn.reset();
            return pid.error();
        }
        m_pid = pid->value(0).value(0).toInt();
    }
    // hashtext gives a stable 32-bit key per scope; the two-key form keeps MLDeck's locks apart
    // from other users of advisory locks in the same database.
    auto r = m_conn->query(QStringLiteral("SELECT pg_try_advisory_lock(hashtext('mldeck.guard'), hashtext($1))"),
                           {m_scope});
    if (!r) {
        m_conn.reset();
        m_pid = 0;
        return r.error();
    }
    m_leader = r->value(0).value(0) == QLatin1String("t");
    if (m_leader)
        qCInfo(lcPg) << "this guard is now the leader for" << m_scope << "(session" << m_pid << ")";
    return m_leader;
}

void LeaderLock::release()
{
    if (m_conn && m_leader)
        (void)m_conn->query(QStringLiteral("SELECT pg_advisory_unlock(hashtext('mldeck.guard'), hashtext($1))"),
                            {m_scope});
    m_leader = false;
    m_conn.reset();
    m_pid = 0;
}

} // namespace mldeck
