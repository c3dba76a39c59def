#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/store/pg/PgConnection.h"

#include <QString>

#include <memory>

namespace mldeck {

// One PostgreSQL session kept between the jobs of one worker (a service's JobThread, a guard job):
// reused while it answers a ping, reopened when the endpoint changed or the server dropped it.
// Not thread-safe: touch it from the worker's thread only.
class KeptPgConnection final
{
public:
    explicit KeptPgConnection(QString applicationName) : m_applicationName(std::move(applicationName)) {}

    // opened (optional): set to whether this call opened a new session.
    Result<PgConnection *> get(const PgEndpoint &endpoint, bool *opened = nullptr)
    {
        if (opened)
            *opened = false;
        const QString url = endpoint.toUrl(true);
        if (m_conn && (m_url != url || !m_conn->ping()))
            m_conn.reset();
        if (!m_conn) {
            auto session = PgConnection::open(endpoint, m_applicationName);
            if (!session)
                return session.error();
            m_conn = std::move(session).value();
            m_url = url;
            if (opened)
                *opened = true;
        }
        return m_conn.get();
    }

    // The session kept now, without checking it (nullptr: none).
    PgConnection *current() const { return m_conn.get(); }
    void reset() { m_conn.reset(); }

private:
    QString m_applicationName;
    QString m_url;
    std::unique_ptr<PgConnection> m_conn;
};

} // namespace mldeck
