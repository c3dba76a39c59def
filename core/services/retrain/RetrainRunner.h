#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/domain/RetrainRun.h"
#include "core/domain/SkippedImage.h"
#include "core/ml/ImageTrainer.h"
#include "core/ml/Trainer.h"
#include "core/rollout/AuditRecord.h"
#include "core/stats/Bootstrap.h"

#include <QDateTime>
#include <QMap>
#include <QString>

#include <atomic>
#include <functional>
#include <optional>

namespace mldeck {

class PgConnection;

namespace retrain {

// Pure: the inputs of the trigger check, and the check itself (boundary tests need no server).
struct TriggerInputs
{
    qint64 feedbackCount = 0;
    qint64 negativeCount = 0;
    bool driftAlertFiring = false;
    std::optional<double> mae;       // of the window
    std::optional<double> maeTarget; // the deployment's target
    // A classifier's performance trigger (onMaeAboveTarget's place): accuracy of the window below target.
    bool classifier = false;
    std::optional<double> accuracy;
    std::optional<double> accuracyTarget;
};
TriggerCheck evaluateTriggers(const QString &deployment, const TriggerInputs &inputs, const RetrainSettings &settings);

Result<RetrainSettings> loadSettings(PgConnection &pg, const QString &deployment);
Status saveSettings(PgConnection &pg, const QString &deployment, const RetrainSettings &settings, const Actor &actor);
Result<TriggerCheck> checkTriggers(PgConnection &pg, const QString &deployment);
// The trigger a run started by this check records: "feedback", "drift", "performance" (MAE above, or a
// classifier's accuracy below, target), else "manual".
QString triggerFor(const TriggerCheck &check);

// What the wizard and the CLI ask for.
struct RetrainRequest
{
    QString deployment;
    int daysBack = 60;
    double holdoutFraction = 0.2;     // the newest share of the rows, by time: never trained on
    double validationFraction = 0.15; // the newest share of the training rows: early stopping
    bool includeFeedback = true;      // rows with negative feedback weigh double (documented)
    TrainingParams training;
    ImageAugmentation augmentation; // an image deployment's training images (retrain.md, "Image models")
    QString trigger = QStringLiteral("manual");
    bool force = false;  // run even when the triggers are not due
    bool dryRun = false; // train and evaluate; register nothing
    double minImprovement = 0.02;
    // A classifier's decision metric: "accuracy" or "log_loss" (RetrainSettings::classificationMetric);
    // a regression model is always judged on its MAE.
    QString classificationMetric = QStringLiteral("accuracy");
    QString storeDirectory; // the model store; empty: ModelStore::defaultDirectory()
    int bootstrapResamples = 1000;

    QJsonObject toJson() const; // what the run row records as params
};

// Step 2 of the wizard: what the data window holds.
struct DataSummary
{
    QDateTime from;
    QDateTime to;
    QDateTime holdoutFrom;
    qint64 rows = 0;
    qint64 trainRows = 0;
    qint64 validationRows = 0;
    qint64 holdoutRows = 0;
    qint64 feedbackRows = 0;
    double targetMean = 0, targetStd = 0, targetMin = 0, targetMax = 0;
    std::vector<qint64> targetHistogram;    // regression: 20 equal-width bins over [targetMin, targetMax]
    QStringList classes;                    // classification: the deployment's classes ...
    std::vector<qint64> classCounts;        // ... and the rows labelled with each
    QMap<QString, qint64> missingByFeature; // rows left out because a value was missing
    QStringList notes;
    // An image deployment: rows are images; the training ones come from the window's labelled predictions
    // (through the deployment's image store) and the reference set, the holdout is the fixed holdout set.
    bool images = false;
    qint64 windowImages = 0;    // labelled images logged in the window
    qint64 referenceImages = 0; // in the reference set
    QString imageStore;         // ImageStore::describe() of the deployment's store
    QString referenceSet;
    QString holdoutSet;
};
Result<DataSummary> summarizeData(PgConnection &pg, const RetrainRequest &request);

// What the decision rule compares on the holdout: a regression model's MAE; a classifier's accuracy
// (the default) or log-loss.
enum class DecisionMetric
{
    Mae,
    Accuracy,
    LogLoss
};
QString metricKey(DecisionMetric metric);                                 // "mae", "accuracy", "log_loss"
std::optional<DecisionMetric> classificationMetricOf(const QString &key); // "accuracy" or "log_loss"

// Step 5: the decision rule. Promote only when the metric improves by at least minImprovement and the
// paired-bootstrap interval of the difference (candidate - champion) excludes "no improvement".
// MAE and log-loss (lower is better): minImprovement is relative to the champion's value (0.02 = 2 %);
// accuracy (higher is better): it is absolute, in accuracy points (0.02 = 2 percentage points).
struct RetrainDecision
{
    bool promote = false;
    QString reason; // translated sentence: why / why not
    DecisionMetric metric = DecisionMetric::Mae;
    double candidate = 0; // the metric on the holdout
    double champion = 0;
    stats::DifferenceInterval difference; // candidate - champion on the holdout
};
RetrainDecision decide(DecisionMetric metric, const stats::DifferenceInterval &difference, double minImprovement);

enum class RetrainStage
{
    Checking,
    LoadingData,
    Training,
    Evaluating,
    Registering,
    Done
};

struct RetrainProgress
{
    RetrainStage stage = RetrainStage::Checking;
    double fraction = 0;              // of the whole run, 0..1
    std::optional<EpochReport> epoch; // set when an epoch just finished
    QString message;
};

struct RetrainOutcome
{
    RetrainRun run; // as recorded (state succeeded / failed / cancelled)
    std::optional<DataSummary> data;
    std::vector<EpochReport> history;
    std::optional<RetrainDecision> decision;
    // An image deployment: the images left out of training and evaluation (unreadable, not an image), counted
    // and the first of them listed with their reasons.
    qint64 skippedImageCount = 0;
    std::vector<SkippedImage> skippedImages;
    QString candidateVersion; // registered (not for a dry run), not yet promoted
    QString candidatePath;    // the TorchScript file (in the model store once registered)
};

// One whole run on the calling thread: record the run, load the window, train, evaluate the
// candidate and the champion on the same holdout, register the candidate (parent = champion,
// data window, parameters, metrics) unless dry-run. Never moves an alias: see applyDecision().
// Cancel or failure records the run as cancelled/failed with its reason and leaves the registry
// and the champion untouched.
RetrainOutcome runRetrain(PgConnection &pg, const RetrainRequest &request, const Actor &actor,
                          const std::atomic<bool> *cancel = nullptr,
                          const std::function<void(const RetrainProgress &)> &progress = {});

// Step 6: what to do with a registered candidate.
enum class RetrainAction
{
    Promote,
    KeepAsChallenger,
    Discard
};
struct ApplyOptions
{
    RetrainAction action = RetrainAction::KeepAsChallenger;
    bool startRolloutPlan = false; // after Promote: a staged plan starting at 10 %
    QString reason;
};
// Promote refuses when the run's decision said no (unless reason starts the override, see .cpp).
Result<RetrainRun> applyDecision(PgConnection &pg, const std::optional<RedisEndpoint> &redis, qint64 runId,
                                 const ApplyOptions &options, const Actor &actor);

Result<QList<RetrainRun>> history(PgConnection &pg, const QString &deployment, int limit = 100);

struct CleanupReport
{
    QStringList archived; // versions archived (registry rows kept, files removed from the store)
    QStringList kept;
};
// Keeps the newest `keep` retrained versions plus the champion and the previous champion.
Result<CleanupReport> cleanup(PgConnection &pg, const QString &deployment, int keep, const Actor &actor);

// Privacy: deletes feedback older than the retention (settings.feedbackRetentionDays unless given).
Result<qint64> purgeFeedback(PgConnection &pg, const QString &deployment, std::optional<int> olderThanDays,
                             const Actor &actor);

} // namespace retrain
} // namespace mldeck
