#pragma once

// The image side of a comparison (CompareService): where the images come from and how every model
// scores them. One comparison path: the bootstrap, the verdicts and the report are CompareService's.
#include "core/domain/Result.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/LabelledImages.h"
#include "core/stats/ComparisonReport.h"

#include <QJsonObject>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace mldeck {

class KeptPgConnection;
class ModelRunner;
struct CompareRequest;

namespace compare {

// Labelled images: a folder with one subfolder per class, or a deployment's logged predictions whose
// request has an outcome (the true class), resolved through the deployment's image store.
struct ImageSource
{
    std::unique_ptr<ImageStore> store;
    QJsonObject storeConfig; // ImageStoreConfig::toJson(), for whoever shows the images later
    std::vector<ImageItem> items;
    QString description; // for people: "labelled folder /data/holdout"
    QStringList notes;
};

Result<ImageSource> loadImageSource(const CompareRequest &request, const ClassSpec &classes, KeptPgConnection &pg);

struct ImageModel
{
    ModelRunner *runner = nullptr;
    QString label;
};

// Runs every model on every image (evaluateImages). The report's rows are the images that every model
// saw, in item order, so the comparison stays paired; the others are listed as skipped. Fills rep's
// models, actual, predictions, probabilities, classSpecs, images and per-class segments. Cancelled:
// returns success early (the caller checks its cancel flag).
Status evaluateImageModels(const CompareRequest &request, const std::vector<ImageModel> &models,
                           const ImageSource &source, stats::ComparisonReport &rep, const std::atomic<bool> *cancel,
                           const std::function<void(int, const QString &)> &report);

} // namespace compare
} // namespace mldeck
