#pragma once

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>
#include <utility>
#include <vector>

namespace mldeck {

class PgConnection;

// A nanny model (core/ml/Nanny.h) as stored in mldeck.nanny_models (resources/sql/017_nanny.sql).
struct StoredNanny
{
    qint64 id = 0;
    QString deployment;
    qint64 modelId = 0;
    QString modelVersion;
    QByteArray weights;
    QJsonObject meta; // NannyMeta::toJson (core/ml/Nanny.h: the store does not read it)
    QByteArray sha256;
    QString reference; // what it learnt on, for people
    qint64 rows = 0;
    double validationMae = 0;
    QDateTime createdAt;
    QString createdBy;
};

// How far the guard has scored a deployment's log (mldeck.nanny_watermark).
struct NannyWatermark
{
    qint64 nannyId = 0;
    qint64 scoredToMicros = 0;
    qint64 scored = 0;
    QDateTime updatedAt;
};

// ML predictions of one model version to score, oldest first: features in the logged schema's order.
struct NannyBatch
{
    std::vector<qint64> tsMicros;
    std::vector<FeatureRow> rows;
    std::vector<double> predicted;
    qint64 toMicros = 0; // the batch covers (from, toMicros]: the watermark after it
};

// Per hour, the ML rows that were scored: their estimated and realised absolute errors (kpi_hour).
struct NannyHourSums
{
    qint64 hourMicros = 0;
    qint64 labelled = 0;
    double absErrSum = 0;
    qint64 estCount = 0;
    double estAbsErrSum = 0;
};

// The nanny's tables, its scoring batches and its additions to the KPI aggregates.
class NannyStore final
{
public:
    explicit NannyStore(PgConnection &conn);

    // Stores a trained nanny for the deployment's model `modelId`, starts the scoring watermark at
    // startMicros and writes `audit` (its after: the nanny's meta, id and SHA-256), in one transaction.
    // Returns its id.
    // `stored` gives the fields of the new row (its id, dates and creator are ignored); rows is the count
    // of reference rows it learnt on.
    Result<qint64> insert(const StoredNanny &stored, qint64 startMicros, AuditRecord audit);
    // The newest nanny of that model of the deployment, if any.
    Result<std::optional<StoredNanny>> forModel(const QString &deployment, qint64 modelId);
    // The newest nanny of the deployment, whatever model.
    Result<std::optional<StoredNanny>> latest(const QString &deployment);
    Result<std::optional<NannyWatermark>> watermark(const QString &deployment);

    // The next successful ML predictions of `modelVersion` logged with feature schema `schemaId`, with
    // ts in (fromMicros, upToMicros]: about maxRows of them (whole timestamps: never half of one).
    Result<NannyBatch> nextBatch(const QString &deployment, const QString &modelVersion, int schemaId,
                                 qint64 fromMicros, qint64 upToMicros, qint64 maxRows);
    // Adds the estimates of the predictions at tsMicros (of modelVersion) to the minute and hour rows and
    // moves the watermark from fromMicros to toMicros, in one transaction (mldeck.nanny_add_estimates).
    // Refused when the watermark is not at fromMicros (another scorer moved it: then *moved is set). The
    // model version is the nanny's. Returns the rows added.
    Result<qint64> addEstimates(const QString &deployment, qint64 nannyId, qint64 fromMicros, qint64 toMicros,
                                const std::vector<qint64> &tsMicros, const std::vector<double> &estimates,
                                bool *moved = nullptr);

    // The time span [first, last] (µs) of the first `rows` successful predictions logged with feature
    // schema `schemaId` (a first_rows reference); none when nothing is logged.
    Result<std::optional<std::pair<qint64, qint64>>> firstRowsSpan(const QString &deployment, int schemaId,
                                                                   qint64 rows);
    // The period a snapshot was taken from; none when it has none (a snapshot read from a CSV file).
    Result<std::optional<std::pair<qint64, qint64>>> snapshotPeriod(const QString &deployment, const QString &name);

    // One scoring run per deployment at a time, across guards: a session-level advisory lock (also taken,
    // for its transaction, by insert). False: another session holds it.
    Result<bool> tryLockScoring(const QString &deployment);
    void unlockScoring(const QString &deployment) noexcept;
    // The database server's clock (µs): the settle time is measured on the clock the backends log with.
    Result<qint64> serverNowMicros();

    // kpi_hour of path 'ml' in [fromMicros, toMicros), rows that the nanny scored, summed per hour.
    Result<std::vector<NannyHourSums>> hourlySums(const QString &deployment, qint64 fromMicros, qint64 toMicros);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
