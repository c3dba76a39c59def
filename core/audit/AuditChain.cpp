#include "core/audit/AuditChain.h"

#include <QCryptographicHash>

namespace mldeck {

namespace {

void field(QByteArray &out, const QByteArray &utf8)
{
    out += QByteArray::number(utf8.size());
    out += ':';
    out += utf8;
    out += '|';
}

void field(QByteArray &out, const std::optional<QString> &v)
{
    if (v)
        field(out, v->toUtf8());
    else
        out += "-|";
}

void field(QByteArray &out, qint64 v)
{
    field(out, QByteArray::number(v));
}

} // namespace

QByteArray auditGenesisHash()
{
    return QByteArray(64, '0');
}

QByteArray AuditChainRow::canonical() const
{
    QByteArray out;
    out.reserve(256 + (before ? before->size() : 0) + (after ? after->size() : 0));
    field(out, chainKey.toUtf8());
    field(out, seq);
    field(out, id);
    field(out, changeId.toUtf8());
    field(out, tsMicros);
    field(out, actorDb);
    field(out, actorOs);
    field(out, host);
    field(out, action.toUtf8());
    field(out, deployment);
    field(out, before);
    field(out, after);
    field(out, reason);
    if (occurredAtMicros)
        field(out, *occurredAtMicros);
    else
        out += "-|";
    field(out, QByteArray(spooled ? "t" : "f"));
    if (prevHash.isEmpty())
        out += "-|";
    else
        field(out, prevHash);
    return out;
}

QByteArray AuditChainRow::computeHash() const
{
    return QCryptographicHash::hash(canonical(), QCryptographicHash::Sha256).toHex();
}

AuditChainVerifier::AuditChainVerifier(QString chainKey)
    : m_chainKey(std::move(chainKey)), m_lastHash(auditGenesisHash())
{
}

bool AuditChainVerifier::add(const AuditChainRow &row)
{
    if (m_break)
        return false;
    const auto broken = [&](AuditChainBreak::Kind kind, const QString &message) {
        m_break = AuditChainBreak{kind, m_chainKey, row.id, row.seq, message};
        return false;
    };
    if (row.seq == 0 || row.rowHash.isEmpty() || row.prevHash.isEmpty())
        return broken(
            AuditChainBreak::Kind::Inserted,
            tr("Row %1 has no place in the chain (no sequence or hash): it was inserted past the chain.").arg(row.id));
    if (row.seq < m_expectSeq)
        return broken(
            AuditChainBreak::Kind::Inserted,
            tr("Row %1 repeats position %2 of the chain: it was inserted out of order.").arg(row.id).arg(row.seq));
    if (row.seq > m_expectSeq)
        return broken(AuditChainBreak::Kind::Removed,
                      tr("Rows at positions %1 to %2 of the chain are missing before row %3: they were removed.")
                          .arg(m_expectSeq)
                          .arg(row.seq - 1)
                          .arg(row.id));
    if (row.prevHash != m_lastHash)
        return broken(AuditChainBreak::Kind::Inserted,
                      tr("Row %1 (position %2) does not follow the row before it (previous hash differs): a row was "
                         "rewritten or inserted here.")
                          .arg(row.id)
                          .arg(row.seq));
    if (row.computeHash() != row.rowHash)
        return broken(AuditChainBreak::Kind::Changed,
                      tr("Row %1 (position %2) was changed after it was written (its content no longer matches its "
                         "hash).")
                          .arg(row.id)
                          .arg(row.seq));
    m_lastHash = row.rowHash;
    ++m_expectSeq;
    ++m_rows;
    return true;
}

void AuditChainVerifier::finish(qint64 headSeq, const QByteArray &headHash)
{
    if (m_break)
        return;
    const qint64 lastSeq = m_expectSeq - 1;
    if (headSeq > lastSeq)
        m_break = AuditChainBreak{AuditChainBreak::Kind::HeadMoved, m_chainKey, 0, lastSeq + 1,
                                  tr("The chain ends at position %1 but its head records position %2: the last "
                                     "rows were removed.")
                                      .arg(lastSeq)
                                      .arg(headSeq)};
    else if (headSeq < lastSeq || headHash != m_lastHash)
        m_break = AuditChainBreak{AuditChainBreak::Kind::HeadMoved, m_chainKey, 0, headSeq,
                                  tr("The chain's recorded head (position %1) does not match its last row "
                                     "(position %2): the head was moved.")
                                      .arg(headSeq)
                                      .arg(lastSeq)};
}

} // namespace mldeck
