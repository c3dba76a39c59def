#pragma once

// Synthetic audit rows made server-side (generate_series), for the audit benchmark and the Audit
// page's million-row test. Rows first..last (1-based) of a log of `total` rows spread over the last
// `days` days in id order, over `deployments` deployments ("audit-0", "audit-1", ...; every 50th row
// has none), with the house's actions, 20 actors and small before/after objects. Runs with
// session_replication_role = replica (superuser) so that the server keeps the given times instead of
// stamping now(); the hash chain trigger is ENABLE ALWAYS and chains every row as it would a live one.
// Insert a large log in committed batches (say 1,000 rows): one transaction moving one chain's head
// row many times costs more per row the longer it gets.
#include <QString>

namespace mldeck::test {

inline QString syntheticAuditSql(qint64 total, qint64 first = 1, qint64 last = 0, int deployments = 8, int days = 90)
{
    return QStringLiteral(R"SQL(
SET session_replication_role = replica;
INSERT INTO mldeck.audit_log (change_id, ts, actor_db, actor_os, host, action, deployment, before, after, reason)
SELECT gen_random_uuid(),
       now() - make_interval(secs => (%1 - i) * (%5 * 86400.0 / %1)),
       'mldeck_ops',
       'user' || (i * 7 %% 20),
       'host-' || (i %% 5),
       (ARRAY['flags.apply', 'flags.rollback', 'guard.halve', 'guard.rollback', 'guard.rearm', 'plan.advance',
              'model.promote', 'model.register', 'alert.acknowledge', 'alert.silence', 'retrain.decision',
              'deployment.set'])[1 + i %% 12],
       CASE WHEN i %% 50 = 0 THEN NULL ELSE 'audit-' || (i %% %4) END,
       jsonb_build_object('ml_enabled', 1, 'ml_traffic_percentage', (i * 13) %% 101, 'version', i),
       jsonb_build_object('ml_enabled', 1, 'ml_traffic_percentage', (i * 17) %% 101, 'version', i + 1),
       'synthetic change ' || i
FROM generate_series(%2, %3) AS i;
RESET session_replication_role;
)SQL")
        .arg(total)
        .arg(first)
        .arg(last > 0 ? last : total)
        .arg(deployments)
        .arg(days)
        .replace(QStringLiteral("%%"), QStringLiteral("%"));
}

// `sql` run with the hash chain trigger off: rows without a chain position or hash, much faster to
// load. For scratch databases only (`audit verify` reports such rows as inserted past the trigger).
inline QString withoutAuditChain(const QString &sql)
{
    return QStringLiteral("ALTER TABLE mldeck.audit_log DISABLE TRIGGER audit_log_stamp_then_chain;") + sql +
           QStringLiteral("ALTER TABLE mldeck.audit_log ENABLE ALWAYS TRIGGER audit_log_stamp_then_chain;");
}

} // namespace mldeck::test
