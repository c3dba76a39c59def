#pragma once

#include "core/domain/Result.h"
#include "core/ml/Nanny.h"
#include "core/rollout/AuditRecord.h"

#include <QJsonObject>
#include <QString>

#include <atomic>
#include <optional>

namespace mldeck {

class PgConnection;

// What `mldeckctl nanny train|status` and the guard report about a deployment's nanny.
struct NannyStatus
{
    QString deployment;
    QString championVersion; // empty: no champion
    bool championIsRegression = false;
    qint64 nannyId = 0;        // 0: none trained for the deployment
    QString nannyModelVersion; // the champion version the newest nanny belongs to
    bool current = false;      // it belongs to the current champion
    QString reference;
    qint64 rows = 0;
    std::optional<NannyMeta> meta;
    QString createdAt; // ISO 8601, UTC
    QString createdBy;
    std::optional<qint64> scoredToMicros; // the scoring watermark
    qint64 scored = 0;

    QJsonObject toJson() const;
};

Result<NannyStatus> readNannyStatus(PgConnection &conn, const QString &deployment);

struct NannyTrainingRequest
{
    QString deployment;
    QString reason;
    NannyTrainingParams params;
    // Where scoring starts: this long before the training time, so that the last hour's windows get an
    // estimate at once (their predictions are still in the log); never before the mark the champion
    // version's previous nanny reached (mldeck.nanny_start).
    qint64 backfillSeconds = 3600;
};

// Trains a nanny for the deployment's champion (a regression model) on the deployment's drift reference
// rows that have an outcome (resources/contract/nanny.md), stores it, restarts the scoring watermark and
// writes the audit row "nanny.train", in one transaction. Blocking: call it on a worker thread.
Result<NannyStatus> trainDeploymentNanny(PgConnection &conn, const NannyTrainingRequest &request, const Actor &actor,
                                         const std::atomic<bool> *cancel = nullptr);

} // namespace mldeck
