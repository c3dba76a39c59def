#include "core/services/ModelCheckOperations.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/ModelStore.h"
#include "core/ml/checks/CheckRunner.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

namespace mldeck::models {

Result<GoldenRecord> setGolden(PgConnection &pg, const QString &deployment, const QString &file,
                               const QString &targetColumn, const QString &segmentColumn, const Actor &actor)
{
    const auto dep = DeploymentStore(pg).show(deployment);
    if (!dep)
        return dep.error();
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return Error{ServiceText::tr("Cannot read the golden dataset %1: %2").arg(file, f.errorString())};
    if (f.size() > checks::kMaxGoldenBytes)
        return Error{ServiceText::tr("The golden dataset %1 is larger than %2 MB.")
                         .arg(file)
                         .arg(checks::kMaxGoldenBytes / (1024 * 1024))};
    const QByteArray bytes = f.readAll();
    const QString name = QFileInfo(file).fileName();
    const auto golden = checks::parseGolden(bytes, name, dep->schema, targetColumn, segmentColumn,
                                            dep->task == QLatin1String("classification"), dep->classSpec);
    if (!golden)
        return golden.error();
    GoldenRecord record;
    record.deployment = deployment;
    record.fileName = name;
    record.content = bytes;
    record.sha256 = golden->sha256;
    record.rows = int(golden->rowCount());
    record.targetColumn = targetColumn;
    record.segmentColumn = segmentColumn;
    ModelCheckStore store(pg);
    if (Status s = store.saveGolden(record, actor); !s)
        return s.error();
    auto stored = store.golden(deployment, false);
    if (!stored)
        return stored.error();
    return stored->value_or(record);
}

Result<checks::ModelCheckSettings> checkSettings(PgConnection &pg, const QString &deployment)
{
    const auto stored = ModelCheckStore(pg).loadSettings(deployment);
    if (!stored)
        return stored.error();
    if (!stored->has_value())
        return checks::ModelCheckSettings{};
    return checks::ModelCheckSettings::fromJson(**stored);
}

Status saveCheckSettings(PgConnection &pg, const QString &deployment, const QJsonObject &settings, const Actor &actor)
{
    const auto dep = DeploymentStore(pg).show(deployment);
    if (!dep)
        return dep.error();
    const auto parsed = checks::ModelCheckSettings::fromJson(settings, dep->schema);
    if (!parsed)
        return parsed.error();
    return ModelCheckStore(pg).saveSettings(deployment, parsed->toJson(), actor);
}

Result<GoldenRecord> removeGolden(PgConnection &pg, const QString &deployment, const Actor &actor)
{
    return ModelCheckStore(pg).removeGolden(deployment, actor);
}

Result<checks::CheckReport> runModelChecks(PgConnection &pg, const QString &deployment, const QString &version,
                                           const QString &purpose, const std::atomic<bool> *cancel, bool reuse)
{
    ModelRegistry registry(pg);
    const auto candidate = registry.byVersion(deployment, version);
    if (!candidate)
        return candidate.error();
    const auto champion = registry.byAlias(deployment, QStringLiteral("champion"));
    if (!champion)
        return champion.error();
    ModelCheckStore store(pg);
    const auto golden = store.golden(deployment);
    if (!golden)
        return golden.error();
    checks::CheckReport unconfigured;
    unconfigured.deployment = deployment;
    unconfigured.candidate = version;
    unconfigured.champion = champion->has_value() ? (*champion)->version : QString();
    unconfigured.championId = champion->has_value() ? (*champion)->id : 0;
    if (!golden->has_value())
        return unconfigured;

    const auto dep = DeploymentStore(pg).show(deployment);
    if (!dep)
        return dep.error();
    const auto settings = checkSettings(pg, deployment);
    if (!settings)
        return settings.error();
    const GoldenRecord &g = **golden;
    const QByteArray settingsSha256 =
        QCryptographicHash::hash(QJsonDocument(settings->toJson()).toJson(QJsonDocument::Compact),
                                 QCryptographicHash::Sha256)
            .toHex();
    // The champion is the yardstick, unless the model checked is the champion itself.
    const bool otherChampion = champion->has_value() && (*champion)->id != candidate->id;
    const std::optional<qint64> championId = otherChampion ? std::optional<qint64>((*champion)->id) : std::nullopt;
    if (reuse) {
        // Scored before against this very champion, golden data and settings (a retrain run, `models check`,
        // possibly on the host where the files are): the verdict holds, nothing is scored again.
        const auto stored = store.reusableRun(deployment, candidate->id, championId, g.sha256, settingsSha256);
        if (!stored)
            return stored.error();
        if (stored->has_value()) {
            checks::CheckReport report = checks::CheckReport::fromJson((*stored)->report);
            report.championId = unconfigured.championId;
            return report;
        }
    }
    // A viewer could not store the run: say so before any model is scored.
    const auto may = store.mayRecordRuns();
    if (!may)
        return may.error();
    if (!*may)
        return Error{ServiceText::tr("Your database role may not record a run of the model checks (mldeck_operator, "
                                     "mldeck_scientist or mldeck_admin may).")};
    // Parsed again against today's schema: the stored bytes are the registered ones (same SHA-256).
    const auto rows = checks::parseGolden(g.content, g.fileName, dep->schema, g.targetColumn, g.segmentColumn,
                                          dep->task == QLatin1String("classification"), dep->classSpec);
    if (!rows)
        return Error{ServiceText::tr("The golden dataset of \"%1\" no longer fits the deployment: %2 Register it "
                                     "again or remove it (mldeckctl models golden remove).")
                         .arg(deployment, rows.errorMessage())};
    if (rows->sha256 != g.sha256)
        return Error{ServiceText::tr("The stored golden dataset of \"%1\" does not match its SHA-256: register it "
                                     "again.")
                         .arg(deployment)};

    auto candidateRunner = ModelStore::loadVerified(candidate->filePath, candidate->sha256.toLatin1());
    if (!candidateRunner)
        return Error{ServiceText::tr("The candidate %1@%2 cannot be loaded: %3")
                         .arg(deployment, version, candidateRunner.errorMessage())};
    // A champion that cannot be read here must not block its replacement: the comparative checks are then
    // without data and the report says why; the candidate's own checks still run.
    std::unique_ptr<ModelRunner> championRunner;
    QString championUnavailable;
    if (otherChampion) {
        auto loaded = ModelStore::loadVerified((*champion)->filePath, (*champion)->sha256.toLatin1());
        if (loaded)
            championRunner = std::move(loaded).value();
        else
            championUnavailable = ServiceText::tr("%1@%2 cannot be loaded: %3")
                                      .arg(deployment, (*champion)->version, loaded.errorMessage());
    }
    auto ran = checks::runChecks(*settings, *rows, dep->schema, **candidateRunner, championRunner.get(), cancel,
                                 championUnavailable);
    if (!ran)
        return ran.error();
    checks::CheckReport report = std::move(ran).value();
    report.deployment = deployment;
    report.candidate = version;
    report.champion = otherChampion ? (*champion)->version : QString();
    report.championId = unconfigured.championId;
    // Recorded against the champion it was compared with: a run that could not compare is never reused for one.
    const bool compared = otherChampion && report.championUnavailable.isEmpty();
    const auto stored = store.insertRun(deployment, candidate->id, compared ? championId : std::nullopt, g.sha256,
                                        settingsSha256, purpose, report.passed(), report.toJson());
    if (!stored)
        return stored.error();
    return report;
}

} // namespace mldeck::models
