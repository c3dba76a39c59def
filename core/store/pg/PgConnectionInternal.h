#pragma once

// Internal to core/store/pg: the libpqxx side of PgConnection. Never include this outside
// core/store/pg (it pulls in libpqxx).

#include "core/store/pg/PgConnection.h"

#include <QLoggingCategory>

#include <pqxx/pqxx>

#include <exception>

namespace mldeck {

Q_DECLARE_LOGGING_CATEGORY(lcPg)

struct PgConnection::Impl
{
    PgEndpoint endpoint;
    std::unique_ptr<pqxx::connection> conn;
    QString currentUser;
    QString serverVersion;
};

namespace pg {

inline pqxx::connection &raw(PgConnection &c) { return *c.impl().conn; }

// Turns any exception thrown by libpqxx (or the standard library) into a message a user can
// read: the server's own text without "ERROR:" noise, prefixed by what we were doing.
Error toError(const std::exception &e, const PgEndpoint &endpoint, const QString &doing);

// The SQLSTATE of a pqxx::sql_error, else empty.
QString sqlState(const std::exception &e);

inline std::string utf8(const QString &s) { return s.toStdString(); }

} // namespace pg
} // namespace mldeck
