#pragma once

// Internal to core/store/pg (it pulls in libpqxx): the one check every reader of raw rows makes against
// retention (resources/contract/retention.md), so that a window past it is refused by name instead of
// being computed over the rows that are left.

#include <QString>

#include <pqxx/pqxx>

namespace mldeck::pg {

// Empty when retention removed none of the deployment's raw rows from fromMicros on; else the refusal,
// naming the time before which they are gone.
QString rawRowsGone(pqxx::transaction_base &tx, const QString &deployment, qint64 fromMicros);

} // namespace mldeck::pg
