#pragma once

#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/guard/GuardJob.h"

#include <QStringList>

#include <atomic>

namespace mldeck {

class PgConnection;

struct RetentionPassOptions
{
    int partitionsPerTransaction = 8;
    int rowsPerBatch = 50'000;              // per table and transaction: a delete never holds its locks long
    int maxBatchesPerPass = 200;            // per deployment; the rest waits for the next pass
    qint64 foldSecsPerTransaction = 86'400; // minute rows are folded a day at a time
};

// What one pass removed: for the guard's summary and the tests (the audit log holds each step).
struct RetentionPassReport
{
    QStringList droppedPartitions;
    qint64 droppedRows = 0;
    qint64 deletedRows = 0;
    qint64 trimmedStates = 0;      // label state rows (kpi_outcome_state) of request keys gone with their predictions
    qint64 trimmedRequestDays = 0; // rows of the outcomes' day index (request_days) for days no prediction is left of
    QStringList keptReferences;    // "deployment: snapshot" of the first_rows drift references kept as snapshots
    qint64 foldedHours = 0;
    qint64 foldedMinuteRows = 0;
    qint64 mismatchedHours = 0;
    bool unfinished = false; // the batch budget or a stop ended it early
    // Why no partition was dropped (e.g. the log's lock not granted in time behind a long reader): the
    // deletes and folds still ran, and the guard tries the drops again on its next round.
    QString dropsFailed;
};

// One retention pass over every deployment (resources/contract/retention.md): keep as a snapshot each
// first_rows drift reference whose rows are about to go, drop the daily prediction partitions past the
// retention of all their deployments, delete the rows past a deployment's retention that remain in shared
// partitions, outcomes and feedback, and the label state of the request keys gone, then fold minute
// aggregates past the minute horizon into their hour rows. Each step is its own audited transaction; the guard runs it
// as leader.
Result<RetentionPassReport> runRetentionPass(PgConnection &conn, qint64 nowSecs, const Actor &actor,
                                             const RetentionPassOptions &options = {},
                                             const std::atomic<bool> *stop = nullptr);

// The guard job: one pass per period (an hour by default), whichever deployment's turn comes first
// once the period is over (a pass covers them all).
std::unique_ptr<GuardJob> makeRetentionGuardJob(qint64 periodSecs = 3600, RetentionPassOptions options = {});

} // namespace mldeck
