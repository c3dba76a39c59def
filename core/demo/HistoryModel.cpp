#include "core/demo/HistoryModel.h"

#include "core/ml/ModelStore.h"
#include "core/services/ModelOperations.h"

#include <QFileInfo>

#include <algorithm>

namespace mldeck {

Result<HistoryModel> HistoryModel::load(const QString &path, const QString &deployment, const QString &version,
                                        int featureSchemaId, const QString &storeDirectory)
{
    auto runner = ModelRunner::load(path);
    if (!runner)
        return runner.error();
    HistoryModel m;
    m.runner = std::move(runner).value();
    const ModelInfo &info = m.runner->info();
    const ModelStore store(storeDirectory.isEmpty() ? ModelStore::defaultDirectory() : storeDirectory);
    const auto imported = store.import(path);
    if (!imported)
        return imported.error();
    NewModelVersion &row = m.row;
    row.deployment = deployment;
    row.name = info.name.isEmpty() ? QFileInfo(path).completeBaseName() : info.name;
    row.version = version;
    row.sha256 = QString::fromLatin1(info.sha256);
    row.filePath = imported->path;
    row.task = info.hasMetadata ? info.task : QStringLiteral("regression");
    row.featureSchemaId = featureSchemaId;
    for (const FeatureSpec &f : info.schema.features)
        row.featureNames << f.name;
    row.scaler = models::scalerOf(info);
    // The registry's column is NOT NULL: a classifier names no unit, it gets an empty one.
    row.targetUnit = info.targetUnit.isNull() ? QStringLiteral("") : info.targetUnit;
    row.metrics = models::metricsOf(info);
    return m;
}

std::vector<std::optional<double>> HistoryModel::predict(const std::vector<RideRequest> &requests,
                                                         const std::vector<bool> &onMl, QString *error)
{
    const ModelBatcher::Batch batch = batcher.next(requests, onMl, runner->info().sequenceLength);
    if (batch.mlCount == 0)
        return std::vector<std::optional<double>>(requests.size());
    auto predicted = runner->predict(batch.rows);
    if (!predicted) {
        *error = predicted.errorMessage();
        return std::vector<std::optional<double>>(requests.size());
    }
    return batch.spread(predicted.value());
}

} // namespace mldeck
