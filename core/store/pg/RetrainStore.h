#pragma once

#include "core/domain/Result.h"
#include "core/domain/RetrainRun.h"
#include "core/rollout/AuditRecord.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// mldeck.retrain_runs and mldeck.retrain_settings (009_retrain.sql), plus the feedback that retraining reads
// and its purge.
// Every change that people make (settings, purge) writes its audit row in the SAME statement, so a
// change without its audit row cannot exist.
class RetrainStore final
{
public:
    explicit RetrainStore(PgConnection &conn);

    // A new run in state 'queued'. Refuses (readable) while another run of the deployment is queued
    // or running: the partial unique index retrain_runs_one_active decides, so two sessions cannot both start.
    Result<qint64> insertRun(const QString &deployment, const QString &trigger, bool dryRun, const QJsonObject &params);
    // queued -> running, with what the run starts from.
    Status markRunning(qint64 id, const QJsonObject &params, const QString &baseVersion,
                       std::optional<qint64> baseModelId, const QDateTime &dataFrom, const QDateTime &dataTo);
    struct Finish
    {
        QString state; // succeeded, failed, cancelled
        QString error;
        QJsonObject metrics;
        QString decision; // promoted, challenger, rejected, none
        QString decisionReason;
        QString resultVersion;
        std::optional<qint64> resultModelId;
    };
    Status finish(qint64 id, const Finish &f);
    Status setDecision(qint64 id, const QString &decision, const QString &reason);
    Status requestCancel(qint64 id);
    Result<bool> cancelRequested(qint64 id);

    Result<RetrainRun> run(qint64 id);
    // Newest first; an empty deployment lists every deployment.
    Result<QList<RetrainRun>> list(const QString &deployment, int limit);

    // The stored settings object, nullopt when the deployment has none (defaults apply).
    Result<std::optional<QJsonObject>> loadSettings(const QString &deployment);
    // Upsert + audit row "retrain.settings" (before/after) in one statement.
    Status saveSettings(const QString &deployment, const QJsonObject &settings, const Actor &actor);

    // Feedback of the deployment over the last `days`: all of it and the negative part.
    struct FeedbackCounts
    {
        qint64 total = 0;
        qint64 negative = 0;
    };
    Result<FeedbackCounts> feedbackCounts(const QString &deployment, int days);
    // Time stamps (microseconds) of the first prediction of each request in [fromMicros, toMicros) that
    // received negative feedback.
    Result<QSet<qint64>> negativeFeedbackTimes(const QString &deployment, qint64 fromMicros, qint64 toMicros);

    // Feedback of the deployment older than `olderThanDays`: how many rows there are, or deletes them
    // with an audit row "feedback.purge" (count, cutoff) in the same statement. Returns the count.
    Result<qint64> countFeedbackOlderThan(const QString &deployment, int olderThanDays);
    Result<qint64> purgeFeedback(const QString &deployment, int olderThanDays, const Actor &actor);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
