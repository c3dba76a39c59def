#pragma once

#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QList>

#include <memory>

namespace mldeck {

class PgConnection;

// mldeck.audit_log: append-only, one row per change, idempotent by change_id
// (INSERT ... ON CONFLICT (change_id) DO NOTHING), so a retried or re-flushed row is stored once.
class AuditLog final
{
public:
    explicit AuditLog(PgConnection &conn);

    // Autocommit insert. true when the row was new, false when the change id was already there.
    Result<bool> insert(const AuditRecord &record, bool spooled = false);

    // Two-phase use for changes that REQUIRE the audit log: the row is inserted inside an open
    // transaction (proving the log is writable for this user) and committed only after the change
    // itself succeeded; abort() (or destruction) rolls it back. The connection is busy until then.
    class Pending
    {
    public:
        ~Pending();
        Pending(const Pending &) = delete;
        Pending &operator=(const Pending &) = delete;
        Status commit();
        void abort();

    private:
        friend class AuditLog;
        struct Impl;
        explicit Pending(std::unique_ptr<Impl> impl);
        std::unique_ptr<Impl> m_impl;
    };
    Result<std::unique_ptr<Pending>> prepare(const AuditRecord &record);

    // How many rows carry this change id (0 or 1); for tests and checks.
    Result<int> count(const QUuid &changeId);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
