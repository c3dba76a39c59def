#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/store/pg/PgTls.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace mldeck {

// One PostgreSQL session. Not thread-safe: one connection per thread (or per worker).
// A handle only: it runs no SQL of its own. The stores of core/store/pg hold every statement and
// reach libpqxx, behind this pimpl, through PgConnectionInternal.h. No exception leaves this
// class: every failure is an Error.
// The session runs with TimeZone=UTC and client_encoding=UTF8 so that text results
// are the same whatever the server's defaults.
class PgConnection final
{
public:
    static Result<std::unique_ptr<PgConnection>> open(const PgEndpoint &endpoint, const QString &applicationName);
    ~PgConnection();
    PgConnection(const PgConnection &) = delete;
    PgConnection &operator=(const PgConnection &) = delete;

    Status ping(); // one round trip to the server

    QString currentUser() const;
    QString serverVersion() const;
    PgTlsState tls() const; // encrypted, and what was verified of the server's certificate
    const PgEndpoint &endpoint() const;

    // For core/store/pg only (defined in PgConnectionInternal.h).
    struct Impl;
    Impl &impl() { return *m_impl; }

private:
    explicit PgConnection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace mldeck
