#pragma once

// Internal to core/store/pg (it pulls in libpqxx): the checks every reader of raw rows makes against
// retention (resources/contract/retention.md), so that a window past it is refused by name instead of
// being computed over the rows that are left.

#include <QString>

#include <pqxx/pqxx>

namespace mldeck::pg {

// Empty when retention removed none of the deployment's raw rows from fromMicros on; else the refusal,
// naming the time before which they are gone.
QString rawRowsGone(pqxx::transaction_base &tx, const QString &deployment, qint64 fromMicros);

// The same for a window of the last `seconds` by the server's clock (the window the query computes with now()).
QString rawRowsGoneSince(pqxx::transaction_base &tx, const QString &deployment, qint64 seconds);

// Empty while retention removed none of the deployment's predictions; else the refusal of "the first
// `rows` logged predictions" (the first_rows drift reference), which no longer means the same rows.
QString firstRowsGone(pqxx::transaction_base &tx, const QString &deployment, qint64 rows);

} // namespace mldeck::pg
