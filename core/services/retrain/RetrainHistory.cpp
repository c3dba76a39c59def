// What the runs left behind: the history, the cleanup of old retrained versions, the feedback purge.
#include "core/services/retrain/RetrainInternal.h"

#include "core/domain/Deployment.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetrainStore.h"

#include <QFile>
#include <QSet>

#include <algorithm>

namespace mldeck::retrain {

Result<QList<RetrainRun>> history(PgConnection &pg, const QString &deployment, int limit)
{
    if (!deployment.isEmpty() && !isValidDeploymentName(deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(deployment)};
    return RetrainStore(pg).list(deployment, limit);
}

Result<CleanupReport> cleanup(PgConnection &pg, const QString &deployment, int keep, const Actor &actor)
{
    if (!isValidDeploymentName(deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(deployment)};
    if (keep < 0)
        return Error{ServiceText::tr("--keep must be 0 or more (got %1).").arg(keep)};
    RetrainStore store(pg);
    ModelRegistry registry(pg);
    // Retrained versions are those a run registered.
    const auto runs = store.list(deployment, 100000);
    if (!runs)
        return runs.error();
    QSet<QString> retrained;
    for (const RetrainRun &r : *runs)
        if (!r.resultVersion.isEmpty())
            retrained.insert(r.resultVersion);
    const auto models = registry.list(deployment, false);
    if (!models)
        return models.error();
    const auto previous = registry.previousChampionId(deployment);
    if (!previous)
        return previous.error();
    QList<ModelVersion> candidates;
    for (const ModelVersion &m : *models)
        if (retrained.contains(m.version))
            candidates << m;
    std::sort(candidates.begin(), candidates.end(),
              [](const ModelVersion &a, const ModelVersion &b) { return a.id > b.id; });

    CleanupReport report;
    int kept = 0;
    for (const ModelVersion &m : candidates) {
        // Never the champion, nor the previous champion (what "restore previous" goes back to).
        if (m.isChampion() || m.id == *previous) {
            report.kept << m.version;
            continue;
        }
        if (kept < keep) {
            ++kept;
            report.kept << m.version;
            continue;
        }
        const auto archived = registry.archive(
            deployment, m.version,
            ServiceText::tr("Retrain cleanup: keeping the newest %n retrained versions", nullptr, keep), actor);
        if (!archived)
            return Error{ServiceText::tr("Cleanup stopped at %1@%2: %3 (archived so far: %4)")
                             .arg(deployment, m.version, archived.errorMessage(),
                                  report.archived.isEmpty() ? ServiceText::tr("none")
                                                            : report.archived.join(QStringLiteral(", ")))};
        report.archived << m.version;
        // The row stays (history, lineage); the file goes unless another row still uses it.
        const auto users = registry.fileUsers(m.filePath, m.id);
        if (users && *users == 0 && QFile::exists(m.filePath)) {
            QFile::setPermissions(m.filePath, QFile::permissions(m.filePath) | QFile::WriteOwner);
            QFile::remove(m.filePath);
        }
    }
    return report;
}

Result<qint64> purgeFeedback(PgConnection &pg, const QString &deployment, std::optional<int> olderThanDays,
                             const Actor &actor)
{
    int days = 0;
    if (olderThanDays) {
        days = *olderThanDays;
    } else {
        const auto settings = loadSettings(pg, deployment);
        if (!settings)
            return settings.error();
        days = settings->feedbackRetentionDays;
    }
    if (!isValidDeploymentName(deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(deployment)};
    if (days < 1 || days > 3650)
        return Error{ServiceText::tr("The retention must be between 1 and 3650 days (got %1).").arg(days)};
    return RetrainStore(pg).purgeFeedback(deployment, days, actor);
}

} // namespace mldeck::retrain
