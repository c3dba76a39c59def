#pragma once

#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QList>
#include <QString>

#include <functional>

namespace mldeck {

// Audit rows that could not reach PostgreSQL (a rollback while the database is down, or a
// commit that failed after Redis had applied the change), kept durably on this machine:
// one JSON file per row, named by its change id, written to a temporary file, fsync'ed, renamed,
// and the directory fsync'ed. A row leaves the spool only after the database stored it
// (insert is idempotent by change id, so a crash between insert and removal is harmless).
class AuditSpool final
{
public:
    explicit AuditSpool(QString directory = defaultDirectory());

    // <AppLocalDataLocation>/audit-spool; MLDECK_AUDIT_SPOOL_DIR overrides (tests, packaging).
    static QString defaultDirectory();
    const QString &directory() const { return m_dir; }

    Status put(const AuditRecord &record);
    QList<AuditRecord> pending() const; // oldest first; unreadable files are skipped (and logged)
    Status remove(const AuditRecord &record);

    // Sends each pending row through insert (which must be idempotent) and removes the rows it
    // stored. Stops at the first failure. Returns how many rows were flushed.
    Result<int> flush(const std::function<Status(const AuditRecord &)> &insert);

private:
    QString fileOf(const AuditRecord &record) const;
    QString m_dir;
};

} // namespace mldeck
