#pragma once

#include "core/domain/Kpi.h"
#include "core/domain/Result.h"

#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// The incremental KPI aggregates of resources/sql/007_kpi.sql: statement-level triggers on the
// prediction log, outcomes and feedback fold each batch into per-minute and per-hour rows, so
// the dashboard never scans the raw log. See resources/contract/kpi.md for the design.
class KpiStore final
{
public:
    enum class Level
    {
        Minute,
        Hour
    };

    explicit KpiStore(PgConnection &conn);

    struct Rows
    {
        QList<KpiBucket> buckets;
        QList<FeedbackBucket> feedback;
        // Watermark for the next incremental read: every row written by a transaction that this
        // read could not see has a writer id >= this value (pg_snapshot_xmin of the read's snapshot).
        quint64 nextSinceXid = 0;
    };
    // Buckets of a deployment with startSecs in [fromSecs, toSecs). With sinceXid, only the rows
    // written (inserted or updated) by transactions with id >= sinceXid: what changed since the read
    // that returned that watermark (rows come back whole, to replace the cached ones).
    Result<Rows> read(const QString &deployment, qint64 fromSecs, qint64 toSecs, Level level,
                      std::optional<quint64> sinceXid = std::nullopt);

    // Applies the outcomes that arrived before their prediction was visible (kept aside by the
    // outcome trigger). Cheap when there are none; safe to call from several clients at once.
    // Returns how many were applied; on a hot standby none (it cannot write; the primary's readers apply them).
    Result<qint64> applyPendingOutcomes();
    // On a hot standby: the outcomes of `deployment` still queued, which its figures do not count until the
    // primary applies them (applyPendingOutcomes there); on a primary 0 (its readers apply them before reading).
    Result<qint64> outcomesAwaitingPrimary(const QString &deployment);

    // Recomputes the aggregates of a deployment from the raw rows over [fromSecs, toSecs) (whole
    // hours): the repair path, and what the migration does for rows logged before it.
    Status rebuild(const QString &deployment, qint64 fromSecs, qint64 toSecs);

    Result<KpiTargets> targets(const QString &deployment);
    Status setTargets(const QString &deployment, const KpiTargets &targets);

    // Audit events of the deployment in [fromSecs, toSecs) that belong on the charts, oldest first.
    Result<QList<AuditMarker>> auditMarkers(const QString &deployment, qint64 fromSecs, qint64 toSecs, int limit = 500);

    // Deployments that have aggregates, by name (archived ones left out).
    Result<QStringList> deployments();

private:
    PgConnection &m_conn;
};

} // namespace mldeck
