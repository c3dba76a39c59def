#pragma once

#include "core/audit/AuditChain.h"
#include "core/domain/Result.h"

#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// The outcome of checking one chain of mldeck.audit_log (one per deployment; "" for rows of no
// deployment). headHash is what the database recorded as the chain's last hash: printed so that a
// user can keep it elsewhere and later see that the chain still passes through it.
struct AuditChainResult
{
    QString chainKey;
    qint64 rowsChecked = 0;
    qint64 headSeq = 0;
    QByteArray headHash; // hex
    std::optional<AuditChainBreak> firstBreak;

    bool ok() const { return !firstBreak; }
};

// Recomputes the hash chain of the audit log (core/audit/AuditChain.h) from the rows, one chain at a
// time in chain order through a server-side cursor (memory stays flat whatever the log's size), in
// one read-only snapshot so that rows and heads agree. Blocking; one thread at a time.
class AuditChainStore final
{
public:
    explicit AuditChainStore(PgConnection &conn);

    // Every chain (the heads and any chain key found in the rows, sorted), or only `chainKey`.
    Result<QList<AuditChainResult>> verify(const std::optional<QString> &chainKey = std::nullopt);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
