#pragma once

#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// A deployment's golden dataset as mldeck.golden_datasets holds it (021_model_checks.sql).
struct GoldenRecord
{
    QString deployment;
    QString fileName;
    QByteArray content; // empty when read without it
    QByteArray sha256;
    int rows = 0;
    QString targetColumn;
    QString segmentColumn;
    QDateTime updatedAt;
    QString updatedBy;

    QJsonObject toJson() const; // without the content
};

// One stored run of the model checks.
struct CheckRunRecord
{
    qint64 id = 0;
    qint64 modelId = 0;
    QString purpose; // promote, retrain, manual
    bool passed = false;
    QJsonObject report; // checks::CheckReport::toJson
    QDateTime ranAt;
    QString ranBy;
};

// Golden datasets, declared checks and check runs (021). A change people make (golden data, settings)
// writes its audit row in the same transaction.
class ModelCheckStore final
{
public:
    explicit ModelCheckStore(PgConnection &conn);

    Result<std::optional<GoldenRecord>> golden(const QString &deployment, bool withContent = true);
    // Insert or replace; audit "models.golden" (before/after: file, sha256, rows, columns).
    Status saveGolden(const GoldenRecord &golden, const Actor &actor);
    // Removes it (the deployment then has no checks); audit "models.golden" with no after. The removed record;
    // an Error when there is none.
    Result<GoldenRecord> removeGolden(const QString &deployment, const Actor &actor);

    // The stored settings object; nullopt: none stored (the defaults apply).
    Result<std::optional<QJsonObject>> loadSettings(const QString &deployment);
    // Upsert; audit "models.checks" (before/after).
    Status saveSettings(const QString &deployment, const QJsonObject &settings, const Actor &actor);

    // championModelId: the champion the candidate was compared with (nullopt: none, or it could not be).
    Result<qint64> insertRun(const QString &deployment, qint64 modelId, std::optional<qint64> championModelId,
                             const QByteArray &goldenSha256, const QByteArray &settingsSha256, const QString &purpose,
                             bool passed, const QJsonObject &report);
    // The newest run of the same candidate against the same champion, golden data and declared checks: its
    // verdict holds (the models are fixed bytes), so a promotion need not score again.
    Result<std::optional<CheckRunRecord>> reusableRun(const QString &deployment, qint64 modelId,
                                                      std::optional<qint64> championModelId,
                                                      const QByteArray &goldenSha256, const QByteArray &settingsSha256);
    // Whether the session may record a run (a viewer may not): asked before any model is scored.
    Result<bool> mayRecordRuns();
    // The newest run of each model of the deployment, by model id.
    Result<QHash<qint64, CheckRunRecord>> latestByModel(const QString &deployment);
    // The checks of the candidate a retrain run registered.
    Status setRetrainChecks(qint64 runId, const QJsonObject &report);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
