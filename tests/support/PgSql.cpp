#include "tests/support/PgSql.h"

#include "core/store/pg/PgConnectionInternal.h"

#include <string>
#include <vector>

namespace mldeck::test {

Result<QList<QStringList>> query(PgConnection &conn, const QString &sql, const QStringList &params)
{
    try {
        pqxx::nontransaction tx(pg::raw(conn));
        const pqxx::result res =
            params.isEmpty() ? tx.exec(sql.toStdString()) : pg::execParams(tx, sql.toStdString(), params);
        QList<QStringList> rows;
        rows.reserve(qsizetype(res.size()));
        for (const auto &row : res) {
            QStringList cells;
            cells.reserve(qsizetype(row.size()));
            for (const auto &field : row) {
                if (field.is_null())
                    cells << QString();
                else if (field.size() == 0)
                    cells << QStringLiteral(""); // empty, not null (fromUtf8 of nothing would be null)
                else
                    cells << QString::fromUtf8(field.c_str(), qsizetype(field.size()));
            }
            rows << cells;
        }
        return rows;
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), QStringLiteral("running a query"));
    }
}

QString queryValue(PgConnection &conn, const QString &sql, const QStringList &params)
{
    auto r = query(conn, sql, params);
    if (!r || r->isEmpty() || r->at(0).isEmpty()) {
        qWarning("%s", qPrintable(r ? QStringLiteral("no row: ") + sql : r.errorMessage()));
        return {};
    }
    return r->at(0).value(0);
}

Status exec(PgConnection &conn, const QString &sql)
{
    try {
        pqxx::nontransaction tx(pg::raw(conn));
        tx.exec(sql.toStdString());
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), QStringLiteral("running a statement"));
    }
}

} // namespace mldeck::test
