#include "core/store/pg/LeaderLock.h"

#include "core/Text.h"
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
        try {
            pqxx::nontransaction tx(pg::raw(*m_conn));
            m_pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        } catch (const std::exception &e) {
            const Error error = pg::toError(e, m_endpoint, StoreText::tr("starting the guard's leader session"));
            m_conn.reset();
            return error;
        }
    }
    // hashtext gives a stable 32-bit key per scope; the two-key form keeps MLDeck's locks apart
    // from other users of advisory locks in the same database.
    try {
        pqxx::nontransaction tx(pg::raw(*m_conn));
        m_leader =
            tx.exec_params1("SELECT pg_try_advisory_lock(hashtext('mldeck.guard'), hashtext($1))", pg::utf8(m_scope))[0]
                .as<bool>();
    } catch (const std::exception &e) {
        const Error error = pg::toError(e, m_endpoint, StoreText::tr("taking the guard's leader lock"));
        m_conn.reset();
        m_pid = 0;
        return error;
    }
    if (m_leader)
        qCInfo(lcPg) << "this guard is now the leader for" << m_scope << "(session" << m_pid << ")";
    return m_leader;
}

void LeaderLock::release()
{
    if (m_conn && m_leader) {
        try {
            pqxx::nontransaction tx(pg::raw(*m_conn));
            tx.exec_params("SELECT pg_advisory_unlock(hashtext('mldeck.guard'), hashtext($1))", pg::utf8(m_scope));
        } catch (const std::exception &) {
            // The session is gone, and its locks with it.
        }
    }
    m_leader = false;
    m_conn.reset();
    m_pid = 0;
}

} // namespace mldeck
