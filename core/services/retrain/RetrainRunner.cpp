// One retraining run: record it, load and split the window, train from the champion, evaluate candidate
// and champion on the SAME holdout rows (paired bootstrap), decide, register the candidate. Then
// applyDecision() promotes / keeps as challenger / discards it, on a person's (or the guard's) word.
#include "core/services/retrain/RetrainInternal.h"

#include "core/ml/ModelRunner.h"
#include "core/ml/ModelStore.h"
#include "core/services/ModelCheckOperations.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/AuditLog.h"
#include "core/store/pg/ModelCheckStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/RetrainStore.h"
#include "core/store/pg/RolloutPlanStore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <cmath>

namespace mldeck::retrain {

namespace {

Q_LOGGING_CATEGORY(lcRetrain, "mldeck.services.retrain")

// Relative improvements are compared with a margin far below any meaningful figure, so that "exactly 2 %"
// computed in floating point counts as 2 %.
constexpr double kEpsilon = 1e-9;

QString percent(double share)
{
    return QString::number(share * 100.0, 'f', 1) + QStringLiteral(" %");
}

// A difference of two accuracies, in percentage points: "2.4", "-0.8".
QString points(double share)
{
    return QString::number(share * 100.0, 'f', 1);
}

QJsonObject intervalJson(const stats::DifferenceInterval &d)
{
    return {{QStringLiteral("champion"), d.valueA},
            {QStringLiteral("candidate"), d.valueB},
            {QStringLiteral("difference"), d.difference},
            {QStringLiteral("low"), d.low},
            {QStringLiteral("high"), d.high},
            {QStringLiteral("relative"), d.relative},
            {QStringLiteral("relative_low"), d.relativeLow},
            {QStringLiteral("relative_high"), d.relativeHigh},
            {QStringLiteral("level"), d.level},
            {QStringLiteral("resamples"), d.resamples}};
}

QJsonArray historyJson(const std::vector<EpochReport> &h)
{
    QJsonArray a;
    for (const EpochReport &e : h) {
        QJsonObject o{{QStringLiteral("epoch"), e.epoch},
                      {QStringLiteral("train_loss"), e.trainLoss},
                      {QStringLiteral("validation_loss"), e.validationLoss},
                      {QStringLiteral("learning_rate"), e.learningRate}};
        if (e.validationAccuracy)
            o.insert(QStringLiteral("validation_accuracy"), *e.validationAccuracy);
        else
            o.insert(QStringLiteral("validation_mae"), e.validationMae);
        a.append(o);
    }
    return a;
}

} // namespace

QString metricKey(DecisionMetric metric)
{
    switch (metric) {
    case DecisionMetric::Mae:
        return QStringLiteral("mae");
    case DecisionMetric::Accuracy:
        return QStringLiteral("accuracy");
    case DecisionMetric::LogLoss:
        return QStringLiteral("log_loss");
    }
    return {};
}

std::optional<DecisionMetric> classificationMetricOf(const QString &key)
{
    if (key == QLatin1String("accuracy"))
        return DecisionMetric::Accuracy;
    if (key == QLatin1String("log_loss"))
        return DecisionMetric::LogLoss;
    return std::nullopt;
}

namespace {

// Accuracy: higher is better, and its minimum improvement is in points (candidate - champion).
RetrainDecision decideOnAccuracy(RetrainDecision out, double minImprovement)
{
    const stats::DifferenceInterval &d = out.difference;
    const double gain = d.valueB - d.valueA;
    const bool bigEnough = gain + kEpsilon >= minImprovement;
    const bool sure = d.low > 0; // the whole interval is a gain: it excludes 0 (no improvement)
    out.promote = bigEnough && sure;
    if (out.promote)
        out.reason = ServiceText::tr("Promote: the candidate's accuracy is %1 points higher than the champion's (%2 vs "
                                     "%3; at least %4 points needed) and the %5 interval of the difference [%6, %7] "
                                     "excludes no improvement.")
                         .arg(points(gain), percent(d.valueB), percent(d.valueA), points(minImprovement),
                              percent(d.level), points(d.low), points(d.high));
    else if (gain <= 0)
        out.reason = ServiceText::tr("Do not promote: the candidate's accuracy (%1) is not higher than the "
                                     "champion's (%2).")
                         .arg(percent(d.valueB), percent(d.valueA));
    else if (!bigEnough)
        out.reason = ServiceText::tr("Do not promote: the candidate's accuracy is only %1 points higher than the "
                                     "champion's (%2 vs %3); at least %4 points are required.")
                         .arg(points(gain), percent(d.valueB), percent(d.valueA), points(minImprovement));
    else
        out.reason = ServiceText::tr("Do not promote: the accuracy is %1 points higher, but the %2 interval of the "
                                     "difference [%3, %4] does not exclude no improvement: the gain may be chance.")
                         .arg(points(gain), percent(d.level), points(d.low), points(d.high));
    return out;
}

// MAE and log-loss: lower is better, and the minimum improvement is relative to the champion's value.
RetrainDecision decideOnLoss(RetrainDecision out, const QString &name, double minImprovement)
{
    const stats::DifferenceInterval &d = out.difference;
    // d is candidate - champion: an improvement is a negative difference.
    const double improvement = d.valueA > 0 ? (d.valueA - d.valueB) / d.valueA : 0.0;
    const bool bigEnough = d.valueA > 0 && improvement + kEpsilon >= minImprovement;
    const bool sure = d.high < 0; // the whole interval is an improvement: it excludes 0 (no improvement)
    out.promote = bigEnough && sure;
    if (out.promote)
        out.reason = ServiceText::tr(
                         "Promote: the candidate's %1 is %2 better than the champion's (%3 vs %4; at least %5 needed) "
                         "and the %6 interval of the difference [%7, %8] excludes no improvement.")
                         .arg(name, percent(improvement))
                         .arg(d.valueB, 0, 'f', 4)
                         .arg(d.valueA, 0, 'f', 4)
                         .arg(percent(minImprovement))
                         .arg(percent(d.level))
                         .arg(d.low, 0, 'f', 4)
                         .arg(d.high, 0, 'f', 4);
    else if (improvement <= 0)
        out.reason = ServiceText::tr("Do not promote: the candidate's %1 (%2) is not better than the champion's (%3).")
                         .arg(name)
                         .arg(d.valueB, 0, 'f', 4)
                         .arg(d.valueA, 0, 'f', 4);
    else if (!bigEnough)
        out.reason =
            ServiceText::tr("Do not promote: the candidate's %1 is only %2 better than the champion's (%3 vs %4); "
                            "at least %5 is required.")
                .arg(name, percent(improvement))
                .arg(d.valueB, 0, 'f', 4)
                .arg(d.valueA, 0, 'f', 4)
                .arg(percent(minImprovement));
    else
        out.reason = ServiceText::tr(
                         "Do not promote: the %1 is %2 better, but the %3 interval of the difference [%4, %5] does not "
                         "exclude no improvement: the gain may be chance.")
                         .arg(name, percent(improvement), percent(d.level))
                         .arg(d.low, 0, 'f', 4)
                         .arg(d.high, 0, 'f', 4);
    return out;
}

} // namespace

RetrainDecision decide(DecisionMetric metric, const stats::DifferenceInterval &d, double minImprovement)
{
    RetrainDecision out;
    out.metric = metric;
    out.difference = d;
    out.champion = d.valueA;
    out.candidate = d.valueB;
    switch (metric) {
    case DecisionMetric::Accuracy:
        return decideOnAccuracy(out, minImprovement);
    case DecisionMetric::LogLoss:
        return decideOnLoss(out, ServiceText::tr("log-loss"), minImprovement);
    case DecisionMetric::Mae:
        break;
    }
    return decideOnLoss(out, QStringLiteral("MAE"), minImprovement);
}

namespace {

// One run of runRetrain, one method per step. A step returns false when the run ended there
// (refused, failed or cancelled): m_out then holds the outcome.
class RetrainSteps
{
public:
    RetrainSteps(PgConnection &pg, const RetrainRequest &request, const Actor &actor, const std::atomic<bool> *cancel,
                 const std::function<void(const RetrainProgress &)> &progress)
        : m_pg(pg), m_request(request), m_actor(actor), m_cancel(cancel), m_progress(progress), m_store(pg)
    {
        m_out.run.deployment = request.deployment;
        m_out.run.trigger = request.trigger;
        m_out.run.dryRun = request.dryRun;
        m_out.run.params = request.toJson();
        m_out.run.requestedBy = actor.name;
    }

    RetrainOutcome execute()
    {
        if (checkDue() && recordRun() && loadBaseAndWindow() && train() && evaluate())
            registerCandidate();
        return m_out;
    }

private:
    // 1. Checks that record nothing: bad parameters, not due.
    bool checkDue()
    {
        if (Status s = detail::validateRequest(m_request); !s)
            return refuse(s.errorMessage());
        report(RetrainStage::Checking, 0.0, ServiceText::tr("Checking the triggers"));
        if (m_request.force)
            return true;
        const auto check = checkTriggers(m_pg, m_request.deployment);
        if (!check)
            return refuse(check.errorMessage());
        if (!check->due)
            return refuse(ServiceText::tr("Retraining is not due (%1) Use force to run anyway.").arg(check->reason));
        // Checked and due: unless the caller named the trigger, the run records the condition that was met.
        if (m_request.trigger == QLatin1String("manual"))
            m_out.run.trigger = triggerFor(*check);
        return true;
    }

    // 2. The run row; from here on every ending is recorded.
    bool recordRun()
    {
        const auto id = m_store.insertRun(m_request.deployment, m_out.run.trigger, m_request.dryRun, m_out.run.params);
        if (!id)
            return refuse(id.errorMessage());
        m_out.run.id = *id;
        return true;
    }

    // 3. The champion is the base and the yardstick; the window is loaded and split by time.
    bool loadBaseAndWindow()
    {
        const auto champion = ModelRegistry(m_pg).byAlias(m_request.deployment, QStringLiteral("champion"));
        if (!champion)
            return fail(champion.errorMessage());
        if (!champion->has_value())
            return fail(
                ServiceText::tr("Deployment \"%1\" has no champion: register a model and promote it before retraining.")
                    .arg(m_request.deployment));
        m_base = **champion;
        m_out.run.baseVersion = m_base.version;

        report(RetrainStage::LoadingData, 0.02,
               ServiceText::tr("Loading the last %n days", nullptr, m_request.daysBack));
        auto window = detail::loadWindow(m_pg, m_request, m_cancel);
        if (cancelled())
            return cancelledEnd();
        if (!window)
            return fail(window.errorMessage());
        m_window = std::move(window).value();
        m_out.data = m_window.summary;
        if (Status s = m_store.markRunning(m_out.run.id, m_out.run.params, m_base.version, m_base.id,
                                           m_window.summary.from, m_window.summary.to);
            !s)
            return fail(s.errorMessage());
        splitWindow();
        return true;
    }

    void splitWindow()
    {
        if (m_window.images)
            return; // ImageWindow holds its own split
        const qint64 n = m_window.data.rowCount();
        std::vector<qint64> trainRows;
        trainRows.reserve(size_t(m_window.trainEnd) * 2);
        for (qint64 i = 0; i < m_window.trainEnd; ++i) {
            trainRows.push_back(i);
            // Documented rule: a request a user flagged as wrong is seen twice per epoch.
            if (m_request.includeFeedback && m_window.negative[size_t(i)])
                trainRows.push_back(i);
        }
        std::vector<qint64> validationRows, holdoutRows;
        for (qint64 i = m_window.trainEnd; i < m_window.holdoutBegin; ++i)
            validationRows.push_back(i);
        for (qint64 i = m_window.holdoutBegin; i < n; ++i)
            holdoutRows.push_back(i);
        m_train = detail::subset(m_window.data, trainRows);
        m_validation = detail::subset(m_window.data, validationRows);
        m_holdout = detail::subset(m_window.data, holdoutRows);
    }

    // 4. Train on a temporary file: nothing reaches the model store unless the run gets that far.
    bool train()
    {
        m_scratch = std::make_unique<QTemporaryDir>();
        if (!m_scratch->isValid())
            return fail(ServiceText::tr("No temporary directory for the candidate: %1").arg(m_scratch->errorString()));
        m_version = QStringLiteral("retrain-%1").arg(m_out.run.id);
        m_candidateFile = m_scratch->filePath(QStringLiteral("candidate.pt"));
        auto baseFile = ModelStore::loadVerified(m_base.filePath, m_base.sha256.toLatin1());
        if (!baseFile)
            return fail(ServiceText::tr("The champion's file cannot be used: %1").arg(baseFile.errorMessage()));
        m_baseRunner = std::move(baseFile).value();

        TrainingOptions topt;
        topt.cancel = &m_stop;
        topt.baseSha256 = m_base.sha256.toLatin1(); // the bytes trained are the bytes verified
        topt.progress = [this](double f) {
            cancelled();
            report(RetrainStage::Training, 0.05 + 0.75 * f, ServiceText::tr("Training"));
        };
        topt.epochDone = [this](const EpochReport &e) {
            // Another session (the GUI of a colleague, `retrain cancel`) may ask through the run row.
            if (const auto asked = m_store.cancelRequested(m_out.run.id); asked && *asked)
                m_stop = true;
            cancelled();
            m_out.history.push_back(e);
            report(RetrainStage::Training, 0.05 + 0.75 * double(e.epoch) / double(std::max(1, e.epochs)),
                   ServiceText::tr("Epoch %1 of %2").arg(e.epoch).arg(e.epochs), e);
        };
        report(RetrainStage::Training, 0.05,
               ServiceText::tr("Training from %1@%2").arg(m_request.deployment, m_base.version));
        auto trained = m_window.images ? trainImages(topt)
                                       : trainModel(m_base.filePath, m_train, m_validation, m_request.training,
                                                    m_version, m_candidateFile, topt);
        if (trained && trained->cancelled)
            return cancelledEnd();
        if (cancelled()) {
            QFile::remove(m_candidateFile);
            return cancelledEnd();
        }
        if (!trained)
            return fail(trained.errorMessage());
        m_trained = std::move(trained).value();
        m_out.history = m_trained.history;
        if (!QFile::exists(m_candidateFile))
            return fail(ServiceText::tr("Training finished but wrote no model file."));
        return true;
    }

    // 5. Candidate and champion on the same holdout rows, then the decision rule.
    bool evaluate()
    {
        const int holdoutCount = int(holdoutRows());
        report(RetrainStage::Evaluating, 0.82,
               m_window.images
                   ? ServiceText::tr("Evaluating candidate and champion on %n holdout images", nullptr, holdoutCount)
                   : ServiceText::tr("Evaluating candidate and champion on %n holdout rows", nullptr, holdoutCount));
        auto candidateRunner = ModelRunner::load(m_candidateFile);
        if (!candidateRunner)
            return fail(ServiceText::tr("The trained model cannot be loaded: %1").arg(candidateRunner.errorMessage()));
        auto scores = m_window.images
                          ? scoreImages(**candidateRunner)
                          : detail::scoreHoldout(*m_baseRunner, **candidateRunner, m_holdout, m_window, &m_stop);
        if (cancelled())
            return cancelledEnd();
        if (!scores)
            return fail(scores.errorMessage());
        m_scores = std::move(scores).value();
        stats::BootstrapOptions bopt;
        bopt.resamples = m_request.bootstrapResamples;
        bopt.seed = m_request.training.seed;
        bopt.cancel = &m_stop;
        // One bootstrap for every series: each resample draws the same rows for all of them.
        const auto intervals = stats::pairedBootstrap(m_scores.series, bopt);
        if (cancelled())
            return cancelledEnd();
        if (intervals.size() != m_scores.series.size())
            return fail(ServiceText::tr("The paired bootstrap could not be computed on the holdout."));
        m_intervals = intervals;
        const DecisionMetric metric =
            m_window.classifier ? classificationMetricOf(m_request.classificationMetric).value() : DecisionMetric::Mae;
        const RetrainDecision decision =
            decide(metric, intervals[size_t(m_scores.keys.indexOf(metricKey(metric)))], m_request.minImprovement);
        m_out.decision = decision;
        m_out.run.metrics = QJsonObject{{QStringLiteral("holdout_rows"), double(holdoutRows())},
                                        {QStringLiteral("train_rows"), double(trainRows())},
                                        {QStringLiteral("validation_rows"), double(validationRows())},
                                        {QStringLiteral("feedback_rows"), double(m_window.summary.feedbackRows)},
                                        {QStringLiteral("candidate"), m_scores.candidate},
                                        {QStringLiteral("champion"), m_scores.champion},
                                        {QStringLiteral("decision_rule"),
                                         QJsonObject{{QStringLiteral("promote"), decision.promote},
                                                     {QStringLiteral("metric"), metricKey(metric)},
                                                     {QStringLiteral("min_improvement"), m_request.minImprovement}}},
                                        {QStringLiteral("best_epoch"), m_trained.bestEpoch},
                                        {QStringLiteral("samples_per_second"), m_trained.samplesPerSecond},
                                        {QStringLiteral("history"), historyJson(m_trained.history)}};
        for (qsizetype i = 0; i < m_scores.keys.size(); ++i)
            m_out.run.metrics.insert(m_scores.keys[i] + QStringLiteral("_difference"),
                                     intervalJson(intervals[size_t(i)]));
        if (m_window.classifier)
            m_out.run.metrics.insert(QStringLiteral("classes"), QJsonArray::fromStringList(m_window.classSpec.classes));
        if (m_window.images)
            m_out.run.metrics.insert(QStringLiteral("images"), imageFigures());
        m_out.run.decision = decision.promote ? QStringLiteral("none") : QStringLiteral("rejected");
        m_out.run.decisionReason = decision.reason;
        return true;
    }

    // 6. Register (not for a dry run). Last cancel point: after this the candidate exists.
    void registerCandidate()
    {
        if (cancelled()) {
            cancelledEnd();
            return;
        }
        if (m_request.dryRun) {
            m_out.run.decision = QStringLiteral("none");
            end(QStringLiteral("succeeded"), QString());
            return;
        }
        report(RetrainStage::Registering, 0.95,
               ServiceText::tr("Registering %1@%2").arg(m_request.deployment, m_version));
        models::RegisterRequest reg;
        reg.file = m_candidateFile;
        reg.deployment = m_request.deployment;
        reg.version = m_version;
        reg.parentVersion = m_base.version;
        reg.trainFrom = m_window.summary.from;
        reg.trainTo = m_window.summary.holdoutFrom.isValid() ? m_window.summary.holdoutFrom : m_window.summary.to;
        reg.storeDirectory = m_request.storeDirectory;
        const auto registered = models::registerModel(m_pg, reg, m_actor);
        if (!registered) {
            fail(ServiceText::tr("Registration failed: %1").arg(registered.errorMessage()));
            return;
        }
        m_out.candidateVersion = registered->model.version;
        m_out.candidatePath = registered->model.filePath;
        m_out.run.resultVersion = registered->model.version;
        if (Status s = ModelRegistry(m_pg).mergeMetrics(registered->model.id, modelMetrics()); !s)
            qCWarning(lcRetrain) << "metrics of" << m_version << "not stored:" << s.errorMessage();
        runChecks();
        if (cancelled()) { // during the checks: the candidate stays registered, the run is cancelled
            cancelledEnd();
            return;
        }
        end(QStringLiteral("succeeded"), QString());
    }

    // The promotion checks of the registered candidate, kept with the run for the decision step and the
    // history; the promotion gate reuses this stored run while the champion, the golden data and the
    // declared checks are the same, and runs them again otherwise.
    void runChecks()
    {
        report(RetrainStage::Registering, 0.97, ServiceText::tr("Running the model checks"));
        const auto checked =
            models::runModelChecks(m_pg, m_request.deployment, m_version, QStringLiteral("retrain"), &m_stop);
        const QJsonObject json = checked ? checked->toJson()
                                         : QJsonObject{{QStringLiteral("configured"), true},
                                                       {QStringLiteral("passed"), false},
                                                       {QStringLiteral("error"), checked.errorMessage()}};
        if (Status s = ModelCheckStore(m_pg).setRetrainChecks(m_out.run.id, json); !s)
            qCWarning(lcRetrain) << "model checks of run" << m_out.run.id << "not stored:" << s.errorMessage();
        m_out.run.checks = json;
    }

    // The retrain figures kept with the registered candidate.
    QJsonObject modelMetrics() const
    {
        QJsonObject m = m_scores.candidate;
        m.remove(QStringLiteral("rows"));
        m.insert(QStringLiteral("holdout_rows"), double(holdoutRows()));
        m.insert(QStringLiteral("training_rows"), double(trainRows()));
        m.insert(QStringLiteral("retrain_run"), double(m_out.run.id));
        for (qsizetype i = 0; i < m_scores.keys.size(); ++i) {
            const QString &key = m_scores.keys[i];
            m.insert(QStringLiteral("champion_%1_on_holdout").arg(key), m_scores.champion.value(key));
            m.insert(key + QStringLiteral("_difference"), intervalJson(m_intervals[size_t(i)]));
        }
        m.insert(QStringLiteral("params"), m_request.training.toJson());
        m.insert(QStringLiteral("data_window"),
                 QJsonObject{{QStringLiteral("from"), m_window.summary.from.toString(Qt::ISODate)},
                             {QStringLiteral("to"), m_window.summary.to.toString(Qt::ISODate)},
                             {QStringLiteral("holdout_from"), m_window.summary.holdoutFrom.toString(Qt::ISODate)}});
        return m;
    }

    // The row counts: a table's, or an image deployment's images (those the training used, once it has run).
    qint64 trainRows() const
    {
        if (!m_window.images)
            return m_train.rowCount();
        return m_imageFigures.trainImages > 0 ? m_imageFigures.trainImages : m_window.images->trainCount;
    }
    qint64 validationRows() const
    {
        if (!m_window.images)
            return m_validation.rowCount();
        return m_imageFigures.validationImages > 0 ? m_imageFigures.validationImages : m_window.images->validationCount;
    }
    qint64 holdoutRows() const
    {
        if (!m_window.images)
            return m_holdout.rowCount();
        return m_scores.series.empty() ? qint64(m_window.images->holdout.size()) : qint64(m_scores.series[0].a.size());
    }

    // An image deployment's training: the worker reads the images; skipped ones are kept for the outcome.
    Result<TrainingResult> trainImages(const TrainingOptions &options)
    {
        const detail::ImageWindow &images = *m_window.images;
        auto trained = trainImageModel(m_base.filePath, images.train, images.validation, m_request.training,
                                       m_request.augmentation, m_version, m_candidateFile, options);
        if (!trained)
            return trained.error();
        m_imageFigures = trained.value();
        addSkipped(m_imageFigures.skippedCount, m_imageFigures.skipped);
        return std::move(trained).value().training;
    }

    Result<detail::HoldoutScores> scoreImages(ModelRunner &candidate)
    {
        std::vector<SkippedImage> skipped;
        auto scores = detail::scoreImageHoldout(*m_baseRunner, candidate, m_window, &m_stop, skipped);
        addSkipped(qint64(skipped.size()), skipped);
        return scores;
    }

    void addSkipped(qint64 count, const std::vector<SkippedImage> &listed)
    {
        m_out.skippedImageCount += count;
        for (const SkippedImage &s : listed)
            if (m_out.skippedImages.size() < size_t(kMaxSkippedListed))
                m_out.skippedImages.push_back(s);
    }

    QJsonObject imageFigures() const
    {
        const DataSummary &s = m_window.summary;
        QJsonArray skipped;
        for (const SkippedImage &i : m_out.skippedImages)
            skipped.append(QJsonObject{{QStringLiteral("key"), i.key}, {QStringLiteral("reason"), i.reason}});
        return {{QStringLiteral("window_images"), double(s.windowImages)},
                {QStringLiteral("reference_images"), double(s.referenceImages)},
                {QStringLiteral("store"), s.imageStore},
                {QStringLiteral("reference_set"), s.referenceSet},
                {QStringLiteral("holdout_set"), s.holdoutSet},
                {QStringLiteral("skipped_count"), double(m_out.skippedImageCount)},
                {QStringLiteral("skipped"), skipped},
                {QStringLiteral("decode_seconds"), m_imageFigures.decodeSeconds},
                {QStringLiteral("model_seconds"), m_imageFigures.modelSeconds}};
    }

    void report(RetrainStage stage, double fraction, const QString &message,
                std::optional<EpochReport> epoch = std::nullopt)
    {
        if (m_progress)
            m_progress(RetrainProgress{stage, fraction, epoch, message});
    }

    bool cancelled()
    {
        if (m_cancel && m_cancel->load())
            m_stop = true;
        return m_stop.load();
    }

    // Before the run row exists: nothing to record.
    bool refuse(const QString &message)
    {
        m_out.run.state = QStringLiteral("failed");
        m_out.run.error = message;
        return false;
    }

    // Records how the run ended and reads the row back.
    bool end(const QString &state, const QString &error)
    {
        RetrainStore::Finish f;
        f.state = state;
        f.error = error;
        f.metrics = m_out.run.metrics;
        f.decision = m_out.run.decision;
        f.decisionReason = m_out.run.decisionReason;
        f.resultVersion = m_out.run.resultVersion;
        if (!m_out.candidateVersion.isEmpty() && !m_request.dryRun) {
            const auto m = ModelRegistry(m_pg).byVersion(m_request.deployment, m_out.candidateVersion);
            if (m)
                f.resultModelId = m->id;
        }
        if (Status s = m_store.finish(m_out.run.id, f); !s)
            qCWarning(lcRetrain) << "retrain run" << m_out.run.id << "not recorded as" << state << ":"
                                 << s.errorMessage();
        if (const auto stored = m_store.run(m_out.run.id))
            m_out.run = *stored;
        else {
            m_out.run.state = state;
            m_out.run.error = error;
        }
        if (state != QLatin1String("succeeded"))
            m_out.candidatePath.clear();
        report(RetrainStage::Done, 1.0, state == QLatin1String("succeeded") ? ServiceText::tr("Done") : error);
        return false;
    }
    bool fail(const QString &error) { return end(QStringLiteral("failed"), error); }
    bool cancelledEnd() { return end(QStringLiteral("cancelled"), ServiceText::tr("Cancelled by the user.")); }

    PgConnection &m_pg;
    const RetrainRequest &m_request;
    const Actor &m_actor;
    const std::atomic<bool> *m_cancel;
    const std::function<void(const RetrainProgress &)> &m_progress;
    RetrainStore m_store;
    RetrainOutcome m_out;
    std::atomic<bool> m_stop{false};

    ModelVersion m_base;
    detail::Window m_window;
    Dataset m_train, m_validation, m_holdout;
    std::unique_ptr<QTemporaryDir> m_scratch; // holds the candidate until it is registered
    QString m_version;
    QString m_candidateFile;
    std::unique_ptr<ModelRunner> m_baseRunner;
    TrainingResult m_trained;
    ImageTrainingResult m_imageFigures; // an image deployment's: images used and skipped, timings
    detail::HoldoutScores m_scores;
    std::vector<stats::DifferenceInterval> m_intervals; // one per series of m_scores
};

} // namespace

RetrainOutcome runRetrain(PgConnection &pg, const RetrainRequest &request, const Actor &actor,
                          const std::atomic<bool> *cancel, const std::function<void(const RetrainProgress &)> &progress)
{
    return RetrainSteps(pg, request, actor, cancel, progress).execute();
}

Result<RetrainRun> applyDecision(PgConnection &pg, const std::optional<RedisEndpoint> &redis, qint64 runId,
                                 const ApplyOptions &options, const Actor &actor)
{
    RetrainStore store(pg);
    const auto run = store.run(runId);
    if (!run)
        return run.error();
    if (run->state != QLatin1String("succeeded"))
        return Error{
            ServiceText::tr("Run %1 did not succeed (%2): there is nothing to apply.").arg(runId).arg(run->state)};
    if (run->dryRun || run->resultVersion.isEmpty())
        return Error{ServiceText::tr("Run %1 registered no model (dry run): there is nothing to apply.").arg(runId)};
    if (run->decision == QLatin1String("promoted") || run->decision == QLatin1String("discarded"))
        return Error{ServiceText::tr("Run %1 was already %2.").arg(runId).arg(run->decision)};
    const QString &dep = run->deployment;
    const QString &version = run->resultVersion;
    const bool rulePromotes =
        run->metrics.value(QStringLiteral("decision_rule")).toObject().value(QStringLiteral("promote")).toBool();
    // The only way past the decision rule is an explicit, audited override reason.
    const bool overridden = options.reason.startsWith(QLatin1String("override:"));

    QString decision;
    QString reason = options.reason.isEmpty() ? run->decisionReason : options.reason;
    switch (options.action) {
    case RetrainAction::Promote: {
        if (!rulePromotes && !overridden)
            return Error{
                ServiceText::tr("Promotion refused: %1 (Start the reason with \"override:\" to promote anyway.)")
                    .arg(run->decisionReason)};
        // The comparison was made against the champion of that time: it must still be the champion.
        const auto current = ModelRegistry(pg).byAlias(dep, QStringLiteral("champion"));
        if (!current)
            return current.error();
        if (current->has_value() && (*current)->version != run->baseVersion && !overridden)
            return Error{
                ServiceText::tr("Promotion refused: the champion is now %1@%2, not %3 which run %4 was compared with; "
                                "retrain again.")
                    .arg(dep, (*current)->version, run->baseVersion)
                    .arg(runId)};
        const auto promoted = models::promote(pg, redis, dep, version, QStringLiteral("champion"),
                                              ServiceText::tr("Retrain run %1: %2").arg(runId).arg(reason), actor);
        if (!promoted)
            return promoted.error();
        decision = QStringLiteral("promoted");
        if (options.startRolloutPlan) {
            RolloutPlanStore plans(pg);
            const auto stored = plans.load(dep);
            if (!stored)
                return Error{
                    ServiceText::tr("Promoted, but the rollout plan could not be read: %1").arg(stored.errorMessage())};
            StagedPlan plan = stored->plan;
            plan.setSteps({10, 25, 50, 100}); // a new model starts again at 10 %
            // Not started (-1): the first advance (PlanService, gates and flags) moves ML traffic to 10 %.
            if (Status s = plans.save(dep, plan, -1); !s)
                return Error{
                    ServiceText::tr("Promoted, but the rollout plan could not be stored: %1").arg(s.errorMessage())};
            AuditRecord a = AuditRecord::make(QStringLiteral("retrain.rollout_plan"), dep, actor,
                                              ServiceText::tr("Staged rollout of %1@%2 from 10 %").arg(dep, version));
            a.after = QJsonObject{{QStringLiteral("steps"), QJsonArray{10, 25, 50, 100}},
                                  {QStringLiteral("current_step"), -1},
                                  {QStringLiteral("version"), version}};
            if (const auto r = AuditLog(pg).insert(a); !r)
                return r.error();
        }
        break;
    }
    case RetrainAction::KeepAsChallenger: {
        const auto kept = models::promote(pg, redis, dep, version, QStringLiteral("challenger"),
                                          ServiceText::tr("Retrain run %1: kept as challenger").arg(runId), actor);
        if (!kept)
            return kept.error();
        decision = QStringLiteral("challenger");
        break;
    }
    case RetrainAction::Discard: {
        const auto archived =
            ModelRegistry(pg).archive(dep, version, ServiceText::tr("Retrain run %1: discarded").arg(runId), actor);
        if (!archived)
            return archived.error();
        decision = QStringLiteral("discarded");
        break;
    }
    }
    if (Status s = store.setDecision(runId, decision, reason); !s)
        return s.error();
    AuditRecord a = AuditRecord::make(QStringLiteral("retrain.decision"), dep, actor, reason);
    a.before = QJsonObject{{QStringLiteral("run"), double(runId)}, {QStringLiteral("decision"), run->decision}};
    a.after = QJsonObject{{QStringLiteral("run"), double(runId)},
                          {QStringLiteral("decision"), decision},
                          {QStringLiteral("version"), version},
                          {QStringLiteral("override"), overridden && !rulePromotes}};
    if (const auto r = AuditLog(pg).insert(a); !r)
        qCWarning(lcRetrain) << "retrain decision not audited:" << r.errorMessage();
    return store.run(runId);
}

} // namespace mldeck::retrain
