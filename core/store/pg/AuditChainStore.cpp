#include "core/store/pg/AuditChainStore.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <map>

namespace mldeck {

namespace {

// The distinct chain keys present in the rows, one index probe each (a skip scan over the unique
// index on (coalesce(deployment, ''), chain_seq)), plus the recorded heads.
constexpr char kChains[] = R"SQL(
WITH RECURSIVE k AS (
    (SELECT coalesce(deployment, '') AS key FROM mldeck.audit_log ORDER BY coalesce(deployment, '') LIMIT 1)
    UNION ALL
    SELECT (SELECT coalesce(deployment, '') FROM mldeck.audit_log
            WHERE coalesce(deployment, '') > k.key ORDER BY coalesce(deployment, '') LIMIT 1)
    FROM k WHERE k.key IS NOT NULL)
SELECT key FROM k WHERE key IS NOT NULL
UNION
SELECT chain_key FROM mldeck.audit_chain_heads
ORDER BY 1)SQL";

constexpr char kRows[] = R"SQL(
SELECT id, chain_seq, change_id::text, (EXTRACT(EPOCH FROM ts) * 1000000)::bigint, actor_db, actor_os, host,
       action, deployment, before::text, after::text, reason, (EXTRACT(EPOCH FROM occurred_at) * 1000000)::bigint,
       spooled, prev_hash, row_hash
FROM mldeck.audit_log WHERE coalesce(deployment, '') = current_setting('mldeck.audit_chain_key')
ORDER BY chain_seq NULLS LAST, id)SQL";

constexpr int kBatch = 2000;

std::optional<QString> optText(const pqxx::field &f)
{
    return f.is_null() ? std::nullopt : std::optional<QString>(QString::fromUtf8(f.c_str()));
}

AuditChainRow rowOf(const QString &chainKey, const pqxx::row &r)
{
    AuditChainRow row;
    row.chainKey = chainKey;
    row.id = r[0].as<qint64>();
    row.seq = r[1].is_null() ? 0 : r[1].as<qint64>();
    row.changeId = pg::text(r[2]);
    row.tsMicros = r[3].as<qint64>();
    row.actorDb = optText(r[4]);
    row.actorOs = optText(r[5]);
    row.host = optText(r[6]);
    row.action = pg::text(r[7]);
    row.deployment = optText(r[8]);
    row.before = optText(r[9]);
    row.after = optText(r[10]);
    row.reason = optText(r[11]);
    if (!r[12].is_null())
        row.occurredAtMicros = r[12].as<qint64>();
    row.spooled = r[13].as<bool>();
    row.prevHash = QByteArray(r[14].is_null() ? "" : r[14].c_str());
    row.rowHash = QByteArray(r[15].is_null() ? "" : r[15].c_str());
    return row;
}

using Snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

AuditChainResult verifyChain(Snapshot &tx, const QString &key,
                             const std::map<QString, std::pair<qint64, QByteArray>> &heads)
{
    AuditChainResult result;
    result.chainKey = key;
    if (const auto it = heads.find(key); it != heads.end()) {
        result.headSeq = it->second.first;
        result.headHash = it->second.second;
    } else {
        result.headHash = auditGenesisHash();
    }
    AuditChainVerifier verifier(key);
    // A cursor takes no parameters: the chain key goes in a transaction-local setting instead.
    tx.exec_params("SELECT set_config('mldeck.audit_chain_key', $1, true)", pg::utf8(key));
    tx.exec(std::string("DECLARE audit_chain NO SCROLL CURSOR FOR ") + kRows);
    bool going = true;
    while (going) {
        const pqxx::result batch = tx.exec("FETCH " + std::to_string(kBatch) + " FROM audit_chain");
        for (const pqxx::row &r : batch) {
            if (!verifier.add(rowOf(key, r))) {
                going = false;
                break;
            }
        }
        if (batch.size() < size_t(kBatch))
            going = false;
    }
    tx.exec("CLOSE audit_chain");
    verifier.finish(result.headSeq, result.headHash);
    result.rowsChecked = verifier.rowsChecked();
    result.firstBreak = verifier.firstBreak();
    return result;
}

} // namespace

AuditChainStore::AuditChainStore(PgConnection &conn) : m_conn(conn) {}

Result<QList<AuditChainResult>> AuditChainStore::verify(const std::optional<QString> &chainKey)
{
    try {
        Snapshot tx(pg::raw(m_conn), "mldeck_audit_verify");
        std::map<QString, std::pair<qint64, QByteArray>> heads;
        for (const pqxx::row &r : tx.exec("SELECT chain_key, seq, hash FROM mldeck.audit_chain_heads"))
            heads[pg::text(r[0])] = {r[1].as<qint64>(), QByteArray(r[2].c_str())};
        QStringList keys;
        if (chainKey) {
            keys << *chainKey;
        } else {
            for (const pqxx::row &r : tx.exec(kChains))
                keys << pg::text(r[0]);
        }
        QList<AuditChainResult> results;
        for (const QString &key : std::as_const(keys))
            results << verifyChain(tx, key, heads);
        tx.commit();
        return results;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("checking the audit log's hash chain"));
    }
}

} // namespace mldeck
