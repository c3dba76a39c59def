#pragma once

// Internal to core/store/pg: the libpqxx side of PgConnection. Never include this outside
// core/store/pg (it pulls in libpqxx).

#include "core/store/pg/PgConnection.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QStringList>

#include <pqxx/pqxx>

#include <exception>
#include <string>
#include <vector>

namespace mldeck {

Q_DECLARE_LOGGING_CATEGORY(lcPg)

struct AuditRecord;

struct PgConnection::Impl
{
    PgEndpoint endpoint;
    std::unique_ptr<pqxx::connection> conn;
    QString currentUser;
    QString serverVersion;
    PgTlsState tls;
};

namespace pg {

inline pqxx::connection &raw(PgConnection &c)
{
    return *c.impl().conn;
}

// Turns any exception thrown by libpqxx (or the standard library) into a message a user can
// read: the server's own text without "ERROR:" noise, prefixed by what we were doing.
Error toError(const std::exception &e, const PgEndpoint &endpoint, const QString &doing);

// The SQLSTATE of a pqxx::sql_error, else empty.
QString sqlState(const std::exception &e);

inline std::string utf8(const QString &s)
{
    return s.toStdString();
}

// exec_params with text parameters: a null QString is sent as SQL NULL, any other as its UTF-8 text.
inline pqxx::result execParams(pqxx::transaction_base &tx, const std::string &sql, const QStringList &params)
{
    std::vector<std::string> storage;
    storage.reserve(size_t(params.size()));
    for (const QString &p : params)
        storage.push_back(p.toStdString());
    std::vector<const char *> values;
    values.reserve(size_t(params.size()));
    for (qsizetype i = 0; i < params.size(); ++i)
        values.push_back(params.at(i).isNull() ? nullptr : storage[size_t(i)].c_str());
    return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
}

// Row readers shared by the stores. NULL -> null QString / invalid QDateTime / empty object.
inline QString text(const pqxx::field &f)
{
    return f.is_null() ? QString() : QString::fromUtf8(f.c_str());
}
// A column selected as (extract(epoch FROM t) * 1000)::bigint.
inline QDateTime msecs(const pqxx::field &f)
{
    return f.is_null() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(f.as<qint64>(), Qt::UTC);
}
inline QJsonObject jsonObject(const pqxx::field &f)
{
    return QJsonDocument::fromJson(QByteArray(f.c_str())).object();
}

// Appends an audit_log row inside the caller's transaction, so it commits or rolls back with the
// change it records (defined in AuditLog.cpp). An invalid occurredAt stores NULL. true when the row
// was new, false when its change id was already there.
bool writeAudit(pqxx::transaction_base &tx, const AuditRecord &record, bool spooled = false);

} // namespace pg
} // namespace mldeck
