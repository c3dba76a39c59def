#include "core/services/guard/RetentionGuardJob.h"

#include "core/Text.h"
#include "core/services/DriftReference.h"
#include "core/services/KeptPgConnection.h"
#include "core/store/pg/RetentionStore.h"

#include <QDateTime>

namespace mldeck {

namespace {

qint64 floorHour(qint64 secs)
{
    return secs - ((secs % 3600) + 3600) % 3600;
}

bool stopped(const std::atomic<bool> *stop)
{
    return stop && *stop;
}

class RetentionGuardJob final : public GuardJob
{
public:
    RetentionGuardJob(qint64 periodSecs, RetentionPassOptions options) : m_periodSecs(periodSecs), m_options(options) {}

    QString name() const override { return QStringLiteral("retention"); }
    int intervalMs() const override { return 60'000; }

    Status runOnce(const GuardContext &context) override
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (m_lastPass.isValid() && m_lastPass.secsTo(now) < m_periodSecs)
            return {}; // one pass covers every deployment: the summary of the last one stands
        auto conn = m_pg.get(context.pg);
        if (!conn) {
            m_summary = ServiceText::tr("retention: PostgreSQL unavailable: %1").arg(conn.errorMessage());
            return conn.error();
        }
        // A guard that runs as a role without the right says so once a period, not once a round.
        auto refusal = RetentionStore(**conn).passRefusal();
        if (!refusal || !refusal->isEmpty()) {
            m_lastPass = now;
            m_summary = ServiceText::tr("retention: %1").arg(refusal ? *refusal : refusal.errorMessage());
            return Error{m_summary};
        }
        auto report = runRetentionPass(**conn, now.toSecsSinceEpoch(), guardActor(context), m_options, context.stop);
        if (!report) {
            m_summary = ServiceText::tr("retention: %1").arg(report.errorMessage());
            return report.error();
        }
        if (!report->unfinished)
            m_lastPass = now; // an unfinished pass goes on next round
        if (!report->dropsFailed.isEmpty()) {
            m_summary = ServiceText::tr("retention: %1").arg(report->dropsFailed);
            return Error{m_summary};
        }
        m_summary = ServiceText::tr("retention: %n partition(s) dropped (%1 rows), %2 rows deleted, %3 label states "
                                    "trimmed, %4 minute rows folded into %5 hours%6%7",
                                    nullptr, int(report->droppedPartitions.size()))
                        .arg(report->droppedRows)
                        .arg(report->deletedRows)
                        .arg(report->trimmedStates)
                        .arg(report->foldedMinuteRows)
                        .arg(report->foldedHours)
                        .arg(report->mismatchedHours
                                 ? ServiceText::tr("; %n hour(s) kept at minute resolution (hour rows disagree)",
                                                   nullptr, int(report->mismatchedHours))
                                 : QString())
                        .arg(report->keptReferences.isEmpty()
                                 ? QString()
                                 : ServiceText::tr("; first_rows drift reference kept as a snapshot: %1")
                                       .arg(report->keptReferences.join(QStringLiteral(", "))));
        return {};
    }

    QString lastSummary() const override { return m_summary; }

private:
    qint64 m_periodSecs;
    RetentionPassOptions m_options;
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard-retention")};
    QDateTime m_lastPass;
    QString m_summary;
};

} // namespace

Result<RetentionPassReport> runRetentionPass(PgConnection &conn, qint64 nowSecs, const Actor &actor,
                                             const RetentionPassOptions &options, const std::atomic<bool> *stop)
{
    RetentionStore store(conn);
    RetentionPassReport report;
    auto deployments = store.deployments();
    if (!deployments)
        return deployments.error();
    // 0. A first_rows drift reference whose rows are about to go is kept as a snapshot first: "the first N
    // logged predictions" would otherwise silently become other rows. A failure stops the pass: no row a
    // reference needs is removed without being kept.
    for (const QString &d : *deployments) {
        auto kept = keepFirstRowsReference(conn, d, nowSecs, actor);
        if (!kept)
            return kept.error();
        if (*kept)
            report.keptReferences << QStringLiteral("%1: %2").arg(d, (*kept)->snapshot);
    }
    // 1. Whole days first: dropping a partition costs nothing, deleting its rows would.
    for (;;) {
        if (stopped(stop)) {
            report.unfinished = true;
            return report;
        }
        auto dropped = store.dropPartitions(nowSecs, options.partitionsPerTransaction, actor);
        if (!dropped) {
            report.dropsFailed = dropped.errorMessage();
            report.unfinished = true;
            break;
        }
        for (const auto &d : *dropped) {
            report.droppedPartitions << d.name;
            report.droppedRows += d.rows;
        }
        if (dropped->size() < options.partitionsPerTransaction)
            break;
    }
    // 2. What remains past a deployment's retention: rows in partitions that other deployments still
    // keep, the default partition, outcomes and feedback; then the label state of the keys gone.
    for (const QString &d : *deployments) {
        for (int batch = 0;; ++batch) {
            if (stopped(stop) || batch >= options.maxBatchesPerPass) {
                report.unfinished = true;
                break;
            }
            auto deleted = store.deleteBatch(d, nowSecs, options.rowsPerBatch, actor);
            if (!deleted)
                return deleted.error();
            bool full = false;
            for (const auto &t : *deleted) {
                (t.table == QLatin1String("kpi_outcome_state") ? report.trimmedStates : report.deletedRows) += t.rows;
                full = full || t.rows >= options.rowsPerBatch;
            }
            if (!full)
                break;
        }
    }
    // The outcomes' day index of the days no prediction is left of.
    for (int batch = 0;; ++batch) {
        if (stopped(stop) || batch >= options.maxBatchesPerPass) {
            report.unfinished = true;
            break;
        }
        auto trimmed = store.trimRequestDays(options.rowsPerBatch);
        if (!trimmed)
            return trimmed.error();
        report.trimmedRequestDays += *trimmed;
        if (*trimmed < options.rowsPerBatch)
            break;
    }
    // 3. Minute aggregates past the horizon: their hour rows already hold them.
    auto horizon = store.minuteHorizon(nowSecs);
    if (!horizon)
        return horizon.error();
    for (const QString &d : *deployments) {
        auto oldest = store.oldestMinute(d);
        if (!oldest)
            return oldest.error();
        if (!*oldest)
            continue;
        for (qint64 from = floorHour(**oldest); from < *horizon;) {
            if (stopped(stop)) {
                report.unfinished = true;
                return report;
            }
            const qint64 to = std::min(*horizon, from + options.foldSecsPerTransaction);
            auto fold = store.foldMinutes(d, from, to, actor);
            if (!fold)
                return fold.error();
            report.foldedHours += fold->hours;
            report.foldedMinuteRows += fold->rows();
            report.mismatchedHours += fold->mismatched;
            from = to;
        }
    }
    return report;
}

std::unique_ptr<GuardJob> makeRetentionGuardJob(qint64 periodSecs, RetentionPassOptions options)
{
    return std::make_unique<RetentionGuardJob>(periodSecs, options);
}

} // namespace mldeck
