#pragma once

#include "core/domain/ModelVersion.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h" // Actor: who makes a change (osUser, host go to the audit row)

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

class PgConnection;

// The model registry in mldeck.models / mldeck.model_aliases, with audited alias moves.
// Each alias move is one transaction (alias row + audit row); concurrent moves are serialised by a
// row lock on the deployment, so exactly one champion exists whatever the interleaving.
class ModelRegistry final
{
public:
    explicit ModelRegistry(PgConnection &conn);

    // Inserts the row and its audit row in one transaction. An empty version gets the next whole
    // number of the deployment ("1", "2", ...). Refuses an unknown deployment or parent, a taken version,
    // a file (SHA-256) already registered for the deployment.
    Result<ModelVersion> insert(const NewModelVersion &model, const Actor &actor);
    Result<QList<ModelVersion>> list(const QString &deployment, bool includeArchived = true);
    Result<ModelVersion> byVersion(const QString &deployment, const QString &version);
    Result<std::optional<ModelVersion>> bySha256(const QString &deployment, const QString &sha256);
    Result<std::optional<ModelVersion>> byAlias(const QString &deployment, const QString &alias);

    // Moves `alias` to `version` (refuses archived versions and a no-op move), audited. expectedChampion (a
    // champion move): the champion's id the model checks compared with (0: there was none); another one now
    // is refused under the deployment's row lock, nothing changed.
    Result<AliasChange> promote(const QString &deployment, const QString &version, const QString &alias,
                                const QString &reason, const Actor &actor,
                                std::optional<qint64> expectedChampion = std::nullopt);
    // The same refusals as promote() (unknown or archived version, a no-op move), without moving anything:
    // asked before the model checks, so that no scoring is spent on a promotion the registry would refuse.
    Status checkPromotable(const QString &deployment, const QString &version, const QString &alias);
    // Makes the champion before the current one champion again (from the audit log), audited.
    Result<AliasChange> restorePrevious(const QString &deployment, const QString &reason, const Actor &actor);
    // Archives a version (refuses the champion; drops a challenger alias pointing at it), audited.
    Result<ModelVersion> archive(const QString &deployment, const QString &version, const QString &reason,
                                 const Actor &actor);

    // Adds keys to the metrics of one model (figures known after registration, e.g. a retrain's).
    Status mergeMetrics(qint64 modelId, const QJsonObject &metrics);
    // How many rows (any deployment) other than excludeModelId use this file.
    Result<qint64> fileUsers(const QString &filePath, qint64 excludeModelId = 0);
    // The model that was champion before the current one (from the audit log), 0 when none.
    Result<qint64> previousChampionId(const QString &deployment);

    static bool isValidAlias(const QString &alias);
    // Versions appear in references "D@VERSION": 1 to 64 of letters, digits, '.', '_', '-'.
    static bool isValidVersion(const QString &version);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
