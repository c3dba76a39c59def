#pragma once

#include "core/domain/Result.h"

#include <QStringList>

namespace mldeck {

class PgConnection;

struct SchemaStatus
{
    int current = 0;            // highest applied step (0: no mldeck schema yet)
    int latest = 0;             // highest step this binary ships
    bool foreignSchema = false; // a "mldeck" schema exists that MLDeck did not create
    QStringList pending;        // "002_registry_audit", ... in order
    QStringList modified;       // applied steps whose SQL differs from what this binary ships
};

// Versioned migrations of the `mldeck` schema, read from the embedded ":/sql/NNN_name.sql".
// Each step runs in its own transaction under an advisory lock, so concurrent runs are safe
// and a failed step leaves the database as it was before that step.
class Migrator final
{
public:
    static int latestVersion();
    static QStringList stepNames();
    static Result<SchemaStatus> status(PgConnection &conn);
    // Names of the steps applied (empty when up to date). Refuses (changing nothing) a foreign
    // `mldeck` schema, a schema newer than this binary, and modified applied steps. Also makes
    // sure the daily prediction partitions from yesterday to 7 days ahead exist.
    static Result<QStringList> migrate(PgConnection &conn);
};

} // namespace mldeck
