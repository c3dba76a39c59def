#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace mldeck {

// One PostgreSQL session. Not thread-safe: one connection per thread (or per worker).
// libpqxx stays behind this pimpl; other core/store/pg files reach it through
// PgConnectionInternal.h. No exception leaves this class: every failure is an Error.
// The session runs with TimeZone=UTC and client_encoding=UTF8 so that text results
// are the same whatever the server's defaults.
class PgConnection final
{
public:
    static Result<std::unique_ptr<PgConnection>> open(const PgEndpoint &endpoint, const QString &applicationName);
    ~PgConnection();
    PgConnection(const PgConnection &) = delete;
    PgConnection &operator=(const PgConnection &) = delete;

    Status ping();                   // SELECT 1
    Status exec(const QString &sql); // statements without result (several allowed, one implicit transaction)
    // Rows as text (NULL -> null QString); $1..$n parameters (a null QString is passed as NULL).
    Result<QList<QStringList>> query(const QString &sql, const QStringList &params = {});

    QString currentUser() const;
    QString serverVersion() const;
    const PgEndpoint &endpoint() const;

    // For core/store/pg only (defined in PgConnectionInternal.h).
    struct Impl;
    Impl &impl() { return *m_impl; }

private:
    explicit PgConnection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace mldeck
