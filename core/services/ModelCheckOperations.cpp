#include "core/services/ModelCheckOperations.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/ModelStore.h"
#include "core/ml/checks/CheckRunner.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"

#include <QFile>
#include <QFileInfo>

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

Result<checks::CheckReport> runModelChecks(PgConnection &pg, const QString &deployment, const QString &version,
                                           const QString &purpose, const std::atomic<bool> *cancel)
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
    if (!golden->has_value())
        return unconfigured;

    const auto dep = DeploymentStore(pg).show(deployment);
    if (!dep)
        return dep.error();
    const auto settings = checkSettings(pg, deployment);
    if (!settings)
        return settings.error();
    const GoldenRecord &g = **golden;
    // Parsed again against today's schema: the stored bytes are the registered ones (same SHA-256).
    const auto rows = checks::parseGolden(g.content, g.fileName, dep->schema, g.targetColumn, g.segmentColumn,
                                          dep->task == QLatin1String("classification"), dep->classSpec);
    if (!rows)
        return rows.error();
    if (rows->sha256 != g.sha256)
        return Error{ServiceText::tr("The stored golden dataset of \"%1\" does not match its SHA-256: register it "
                                     "again.")
                         .arg(deployment)};

    auto candidateRunner = ModelStore::loadVerified(candidate->filePath, candidate->sha256.toLatin1());
    if (!candidateRunner)
        return Error{ServiceText::tr("The candidate %1@%2 cannot be loaded: %3")
                         .arg(deployment, version, candidateRunner.errorMessage())};
    // The champion is the yardstick, unless the model checked is the champion itself.
    std::unique_ptr<ModelRunner> championRunner;
    const bool otherChampion = champion->has_value() && (*champion)->id != candidate->id;
    if (otherChampion) {
        auto loaded = ModelStore::loadVerified((*champion)->filePath, (*champion)->sha256.toLatin1());
        if (!loaded)
            return Error{ServiceText::tr("The champion %1@%2 cannot be loaded: %3")
                             .arg(deployment, (*champion)->version, loaded.errorMessage())};
        championRunner = std::move(loaded).value();
    }
    auto ran = checks::runChecks(*settings, *rows, dep->schema, **candidateRunner, championRunner.get(), cancel);
    if (!ran)
        return ran.error();
    checks::CheckReport report = std::move(ran).value();
    report.deployment = deployment;
    report.candidate = version;
    report.champion = otherChampion ? (*champion)->version : QString();
    const auto stored =
        store.insertRun(deployment, candidate->id, otherChampion ? std::optional<qint64>((*champion)->id) : std::nullopt,
                        g.sha256, purpose, report.passed(), report.toJson());
    if (!stored)
        return stored.error();
    return report;
}

} // namespace mldeck::models
