#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

// The tamper-evident chain of mldeck.audit_log. Every row carries chain_seq (1, 2, ... per chain),
// prev_hash (the row_hash of the previous row of its chain; 32 zero bytes for the first) and
// row_hash = SHA-256 of canonical(row). One chain per deployment; rows of no deployment form the
// chain "" (empty key). The database computes the hashes in an insert trigger (migration 014) that
// serialises writers of one chain on its head row; this class recomputes them independently.
//
// canonical(row): the fields below, in this order, each written as "<byte length>:<UTF-8 bytes>"
// and followed by "|"; a NULL field is written as "-|". Timestamps are microseconds since the epoch
// in decimal; jsonb values are PostgreSQL's text output of the jsonb (deterministic for a value);
// spooled is "t" or "f"; hashes are lower-case hex.
//   chain key, chain_seq, id, change_id, ts, actor_db, actor_os, host, action, deployment,
//   before, after, reason, occurred_at, spooled, prev_hash
struct AuditChainRow
{
    qint64 id = 0;
    qint64 seq = 0;
    QString chainKey; // deployment, or "" for rows of no deployment
    QString changeId;
    qint64 tsMicros = 0;
    std::optional<QString> actorDb, actorOs, host;
    QString action;
    std::optional<QString> deployment, before, after, reason;
    std::optional<qint64> occurredAtMicros;
    bool spooled = false;
    QByteArray prevHash; // hex, as stored; empty when the row has none (written without the trigger)
    QByteArray rowHash;  // hex, as stored; empty when none

    QByteArray canonical() const;   // with this row's prevHash
    QByteArray computeHash() const; // hex SHA-256 of canonical()
};

struct AuditChainBreak
{
    enum class Kind
    {
        Changed,   // the row's content no longer matches its hash
        Removed,   // rows are missing before this one (sequence gap / previous hash not found)
        Inserted,  // a row that does not belong where it is (no hash, duplicate seq, wrong previous hash)
        HeadMoved, // the chain's recorded head is not its last row (last rows removed)
    };
    Kind kind = Kind::Changed;
    QString chainKey;
    qint64 id = 0; // the first row where the chain breaks (0 for HeadMoved with no row)
    qint64 seq = 0;
    QString message; // translated, one sentence naming the row
};

// Feeds rows of one chain in chain_seq order; stops at the first break.
class AuditChainVerifier final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::AuditChainVerifier)

public:
    explicit AuditChainVerifier(QString chainKey);
    // false once a break was found (further rows are ignored).
    bool add(const AuditChainRow &row);
    // After the last row: compare with the chain head the database recorded (seq and hash).
    void finish(qint64 headSeq, const QByteArray &headHash);

    std::optional<AuditChainBreak> firstBreak() const { return m_break; }
    qint64 rowsChecked() const { return m_rows; }
    QByteArray lastHash() const { return m_lastHash; }

private:
    QString m_chainKey;
    qint64 m_expectSeq = 1;
    QByteArray m_lastHash;
    qint64 m_rows = 0;
    std::optional<AuditChainBreak> m_break;
};

QByteArray auditGenesisHash(); // 64 '0' characters

} // namespace mldeck
