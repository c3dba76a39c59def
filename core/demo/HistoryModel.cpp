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
    row.targetUnit = info.targetUnit;
    row.metrics = models::metricsOf(info);
    return m;
}

// As the live backend (Simulator::Impl::predict): a sequence model sees the recent requests of every
// path, an MLP only the rows routed to ML.
std::vector<std::optional<double>> HistoryModel::predict(const std::vector<RideRequest> &requests,
                                                         const std::vector<bool> &onMl, QString *error)
{
    std::vector<std::optional<double>> out(requests.size());
    const int window = std::max(1, runner->info().sequenceLength);
    const std::size_t none = std::size_t(-1);
    std::vector<FeatureRow> rows;
    std::vector<std::size_t> target(requests.size(), none);
    if (window > 1)
        rows.assign(context.begin(), context.end());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (window > 1 || onMl[i]) {
            if (onMl[i])
                target[i] = rows.size();
            rows.push_back(requests[i].features);
        }
    }
    if (window > 1) {
        for (const auto &r : requests)
            context.push_back(r.features);
        while (int(context.size()) > window - 1)
            context.pop_front();
    }
    if (std::find(onMl.begin(), onMl.end(), true) == onMl.end())
        return out;
    auto predicted = runner->predict(rows);
    if (!predicted) {
        *error = predicted.errorMessage();
        return out;
    }
    for (std::size_t i = 0; i < requests.size(); ++i)
        if (target[i] != none)
            out[i] = predicted.value()[target[i]];
    return out;
}

} // namespace mldeck
