#pragma once

#include "core/domain/Result.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace mldeck {
class PgConnection;
}

// Raw SQL on a store connection, for tests that set up rows or check what the stores wrote. The
// application runs no SQL outside core/store/pg; tests reach the same session here.
namespace mldeck::test {

// Rows as text (NULL -> null QString); $1..$n parameters (a null QString is passed as NULL).
Result<QList<QStringList>> query(PgConnection &conn, const QString &sql, const QStringList &params = {});
// The first column of the first row (null QString, with a warning, when the query fails or returns none).
QString queryValue(PgConnection &conn, const QString &sql, const QStringList &params = {});
// Statements without result (several allowed, one implicit transaction).
Status exec(PgConnection &conn, const QString &sql);

} // namespace mldeck::test
