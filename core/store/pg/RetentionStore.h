#pragma once

#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QDate>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

class PgConnection;

// Retention of the raw log (resources/sql/023_retention.sql, resources/contract/retention.md): each
// deployment keeps its predictions, outcomes and feedback for its retention; older rows are dropped
// (whole daily partitions) or deleted (bounded batches), minute aggregates past the fold horizon are
// folded into their hour rows. Every removal writes its audit row in the same transaction.
class RetentionStore final
{
public:
    static constexpr int kDefaultDays = 90;
    static constexpr int kMinDays = 1;
    static constexpr int kMaxDays = 3650;

    explicit RetentionStore(PgConnection &conn);

    // The one check of a retention value (GUI, CLI and the store); empty when it is valid.
    static QString validateDays(qint64 days);

    // The retention of a deployment in days: its setting, else kDefaultDays.
    Result<int> days(const QString &deployment);
    // What is stored: the deployment's own retention, nullopt when it has none (the default applies). An unknown
    // deployment is an error.
    Result<std::optional<int>> setting(const QString &deployment);
    // Sets it (nullopt: back to the default), audited "deployment.retention" (before, after) in the same
    // transaction; an unchanged value writes nothing. A bad value or an unknown deployment changes nothing.
    Status setDays(const QString &deployment, std::optional<int> days, const Actor &actor, const QString &reason = {});

    // What retention did to a deployment so far (seconds since the epoch; 0: nothing): raw rows before
    // rawBeforeSecs may be gone; minute aggregates before minutesBeforeSecs may be folded into hours.
    struct Horizons
    {
        qint64 rawBeforeSecs = 0;
        qint64 minutesBeforeSecs = 0;
    };
    Result<Horizons> horizons(const QString &deployment);
    // The readers' refusal of a window of the last `seconds` (server clock) that starts before raw rows the
    // deployment lost to retention; empty when every raw row of it is there.
    Result<QString> rawRowsGoneSince(const QString &deployment, qint64 seconds);
    // The hour before which minute aggregates are folded at nowSecs (the global policy, 14 days by default).
    Result<qint64> minuteHorizon(qint64 nowSecs);

    // Deletes at most `limit` rows of the outcomes' day index (mldeck.request_days) for days older than the oldest
    // prediction left; returns how many. An index, not the log: not audited.
    Result<qint64> trimRequestDays(int limit);
    // Whether the connected role may run the retention pass (mldeck_admin or the owner): empty when it
    // may, else why not.
    Result<QString> passRefusal();
    // Deployments whose raw rows retention looks after: every deployment, archived ones included.
    Result<QStringList> deployments();

    struct DroppedPartition
    {
        QString name;
        QDate day;
        qint64 rows = 0;
        bool rowsEstimated = false; // a large partition's count is the planner's estimate: no scan under the lock
        QStringList deployments;
    };
    // Drops up to `limit` daily prediction partitions past the retention of every deployment with rows
    // in them; one audit row "retention.drop_partition" each (deployment: none).
    Result<QList<DroppedPartition>> dropPartitions(qint64 nowSecs, int limit, const Actor &actor);

    struct DeletedRows
    {
        QString table; // predictions, outcomes, feedback, kpi_outcome_state (the label state of keys gone)
        qint64 rows = 0;
        qint64 oldestSecs = 0;
        qint64 newestSecs = 0;
        qint64 cutoffSecs = 0;
    };
    // Deletes up to `batch` rows per table of the deployment that are past its retention, then up to `batch`
    // rows of its label state whose outcome is past retention and of whose key no prediction remains; one
    // audit row "retention.delete_rows" when anything was deleted. Empty list: nothing is left to delete.
    Result<QList<DeletedRows>> deleteBatch(const QString &deployment, qint64 nowSecs, int batch, const Actor &actor);

    struct Fold
    {
        qint64 hours = 0;      // hours whose minute rows were folded
        qint64 mismatched = 0; // hours kept at minute resolution: the hour rows do not hold their sums
        qint64 minuteRows = 0, classRows = 0, feedbackRows = 0;
        qint64 rows() const { return minuteRows + classRows + feedbackRows; }
    };
    // The start of the deployment's oldest minute aggregate row (seconds), nullopt when it has none.
    Result<std::optional<qint64>> oldestMinute(const QString &deployment);
    // Folds the deployment's minute rows over whole hours [fromSecs, toSecs) (toSecs <= the minute
    // horizon); audited "retention.fold_minutes" when rows were removed or hours disagreed.
    Result<Fold> foldMinutes(const QString &deployment, qint64 fromSecs, qint64 toSecs, const Actor &actor);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
