// One retraining run: record it, load and split the window, train from the champion, evaluate candidate
// and champion on the SAME holdout rows (paired bootstrap), decide, register the candidate. Then
// applyDecision() promotes / keeps as challenger / discards it, on a person's (or the guard's) word.
#include "core/services/retrain/RetrainInternal.h"

#include "core/ml/Evaluator.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/ModelStore.h"
#include "core/services/ModelOperations.h"
#include "core/stats/Metrics.h"
#include "core/store/pg/AuditLog.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetrainStore.h"
#include "core/store/pg/RolloutPlanStore.h"

#include <QDir>
#include <QElapsedTimer>
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

QString percent(double share) { return QString::number(share * 100.0, 'f', 1) + QStringLiteral(" %"); }

QJsonObject intervalJson(const stats::DifferenceInterval &d)
{
    return {{QStringLiteral("champion"), d.valueA},   {QStringLiteral("candidate"), d.valueB},
            {QStringLiteral("difference"), d.difference}, {QStringLiteral("low"), d.low},
            {QStringLiteral("high"), d.high},         {QStringLiteral("relative"), d.relative},
            {QStringLiteral("relative_low"), d.relativeLow}, {QStringLiteral("relative_high"), d.relativeHigh},
            {QStringLiteral("level"), d.level},        {QStringLiteral("resamples"), d.resamples}};
}

QJsonObject regressionJson(const stats::RegressionMetrics &m)
{
    QJsonObject o{{QStringLiteral("rows"), double(m.rows)},
                  {QStringLiteral("mae"), m.mae},
                  {QStringLiteral("rmse"), m.rmse},
                  {QStringLiteral("r2"), m.r2}};
    if (m.mape)
        o.insert(QStringLiteral("mape"), *m.mape);
    return o;
}

QJsonArray historyJson(const std::vector<EpochReport> &h)
{
    QJsonArray a;
    for (const EpochReport &e : h)
        a.append(QJsonObject{{QStringLiteral("epoch"), e.epoch},
                             {QStringLiteral("train_loss"), e.trainLoss},
                             {QStringLiteral("validation_loss"), e.validationLoss},
                             {QStringLiteral("validation_mae"), e.validationMae},
                             {QStringLiteral("learning_rate"), e.learningRate}});
    return a;
}

// Predictions of one model on the holdout.
Result<std::vector<double>> predictHoldout(ModelRunner &runner, const Dataset &holdout, const std::atomic<bool> *cancel)
{
    DatasetColumns columns;
    columns.target = QStringLiteral("actual");
    columns.timestamp = QStringLiteral("ts");
    const auto inputs = modelInputs(runner.info(), holdout.header, columns, {});
    if (!inputs)
        return inputs.error();
    EvaluationOptions opt;
    opt.latencySamples = 0;
    opt.cancel = cancel;
    auto result = evaluateModel(runner, holdout, *inputs, opt);
    if (!result)
        return result.error();
    if (result->cancelled)
        return Error{ServiceText::tr("cancelled")};
    return std::move(result).value().predictions;
}

std::vector<double> absoluteErrors(const std::vector<double> &predicted, const std::vector<double> &actual)
{
    std::vector<double> e(predicted.size());
    for (size_t i = 0; i < predicted.size(); ++i)
        e[i] = std::abs(predicted[i] - actual[i]);
    return e;
}

} // namespace

RetrainDecision decide(const stats::DifferenceInterval &d, double minImprovement)
{
    RetrainDecision out;
    out.maeDifference = d;
    out.championMae = d.valueA;
    out.candidateMae = d.valueB;
    // d is candidate - champion: an improvement is a negative difference.
    const double improvement = d.valueA > 0 ? (d.valueA - d.valueB) / d.valueA : 0.0;
    const bool bigEnough = d.valueA > 0 && improvement + kEpsilon >= minImprovement;
    const bool sure = d.high < 0; // the whole interval is an improvement: it excludes 0 (no improvement)
    out.promote = bigEnough && sure;
    if (out.promote)
        out.reason = ServiceText::tr("Promote: the candidate's MAE is %1 better than the champion's (%2 vs %3; at least %4 needed) "
                        "and the %5 interval of the difference [%6, %7] excludes no improvement.")
                         .arg(percent(improvement))
                         .arg(d.valueB, 0, 'f', 4)
                         .arg(d.valueA, 0, 'f', 4)
                         .arg(percent(minImprovement))
                         .arg(percent(d.level))
                         .arg(d.low, 0, 'f', 4)
                         .arg(d.high, 0, 'f', 4);
    else if (improvement <= 0)
        out.reason = ServiceText::tr("Do not promote: the candidate's MAE (%1) is not better than the champion's (%2).")
                         .arg(d.valueB, 0, 'f', 4)
                         .arg(d.valueA, 0, 'f', 4);
    else if (!bigEnough)
        out.reason = ServiceText::tr("Do not promote: the candidate's MAE is only %1 better than the champion's (%2 vs %3); "
                        "at least %4 is required.")
                         .arg(percent(improvement))
                         .arg(d.valueB, 0, 'f', 4)
                         .arg(d.valueA, 0, 'f', 4)
                         .arg(percent(minImprovement));
    else
        out.reason = ServiceText::tr("Do not promote: the MAE is %1 better, but the %2 interval of the difference [%3, %4] does not "
                        "exclude no improvement: the gain may be chance.")
                         .arg(percent(improvement))
                         .arg(percent(d.level))
                         .arg(d.low, 0, 'f', 4)
                         .arg(d.high, 0, 'f', 4);
    return out;
}

RetrainOutcome runRetrain(PgConnection &pg, const RetrainRequest &request, const Actor &actor,
                          const std::atomic<bool> *cancel, const std::function<void(const RetrainProgress &)> &progress)
{
    RetrainOutcome out;
    out.run.deployment = request.deployment;
    out.run.trigger = request.trigger;
    out.run.dryRun = request.dryRun;
    out.run.params = request.toJson();
    out.run.requestedBy = actor.name;
    const auto report = [&](RetrainStage stage, double fraction, const QString &message,
                            std::optional<EpochReport> epoch = std::nullopt) {
        if (progress)
            progress(RetrainProgress{stage, fraction, epoch, message});
    };
    const auto refuse = [&](const QString &message) {
        out.run.state = QStringLiteral("failed");
        out.run.error = message;
        return out;
    };

    // 1. Checks that record nothing: bad parameters, not due.
    if (Status s = detail::validateRequest(request); !s)
        return refuse(s.errorMessage());
    report(RetrainStage::Checking, 0.0, ServiceText::tr("Checking the triggers"));
    if (!request.force) {
        const auto check = checkTriggers(pg, request.deployment);
        if (!check)
            return refuse(check.errorMessage());
        if (!check->due)
            return refuse(ServiceText::tr("Retraining is not due (%1) Use force to run anyway.").arg(check->reason));
        // Checked and due: unless the caller named the trigger, the run records the condition that was met.
        if (request.trigger == QLatin1String("manual"))
            out.run.trigger = triggerFor(*check);
    }

    // 2. The run row; from here on every ending is recorded.
    RetrainStore store(pg);
    const auto id = store.insertRun(request.deployment, out.run.trigger, request.dryRun, out.run.params);
    if (!id)
        return refuse(id.errorMessage());
    out.run.id = *id;
    QElapsedTimer clock;
    clock.start();
    std::atomic<bool> stop{false};
    const auto cancelled = [&]() {
        if (cancel && cancel->load())
            stop = true;
        return stop.load();
    };
    const auto end = [&](const QString &state, const QString &error) {
        RetrainStore::Finish f;
        f.state = state;
        f.error = error;
        f.metrics = out.run.metrics;
        f.decision = out.run.decision;
        f.decisionReason = out.run.decisionReason;
        f.resultVersion = out.run.resultVersion;
        if (!out.candidateVersion.isEmpty() && !request.dryRun) {
            const auto m = ModelRegistry(pg).byVersion(request.deployment, out.candidateVersion);
            if (m)
                f.resultModelId = m->id;
        }
        if (Status s = store.finish(out.run.id, f); !s)
            qCWarning(lcRetrain) << "retrain run" << out.run.id << "not recorded as" << state << ":" << s.errorMessage();
        if (const auto stored = store.run(out.run.id))
            out.run = *stored;
        else {
            out.run.state = state;
            out.run.error = error;
        }
        if (state != QLatin1String("succeeded"))
            out.candidatePath.clear();
        report(RetrainStage::Done, 1.0, state == QLatin1String("succeeded") ? ServiceText::tr("Done") : error);
        return out;
    };
    const auto cancelledEnd = [&]() { return end(QStringLiteral("cancelled"), ServiceText::tr("Cancelled by the user.")); };

    // 3. The champion is the base and the yardstick.
    const auto champion = ModelRegistry(pg).byAlias(request.deployment, QStringLiteral("champion"));
    if (!champion)
        return end(QStringLiteral("failed"), champion.errorMessage());
    if (!champion->has_value())
        return end(QStringLiteral("failed"),
                   ServiceText::tr("Deployment \"%1\" has no champion: register a model and promote it before retraining.")
                       .arg(request.deployment));
    const ModelVersion base = **champion;
    out.run.baseVersion = base.version;

    const int daysBack = request.daysBack;
    report(RetrainStage::LoadingData, 0.02, ServiceText::tr("Loading the last %n days", nullptr, daysBack));
    auto window = detail::loadWindow(pg, request, cancel);
    if (cancelled())
        return cancelledEnd();
    if (!window)
        return end(QStringLiteral("failed"), window.errorMessage());
    out.data = window->summary;
    if (Status s = store.markRunning(out.run.id, out.run.params, base.version, base.id, window->summary.from,
                                     window->summary.to);
        !s)
        return end(QStringLiteral("failed"), s.errorMessage());

    // 4. Train on a temporary file: nothing reaches the model store unless the run gets that far.
    const qint64 n = window->data.rowCount();
    std::vector<qint64> trainRows;
    trainRows.reserve(size_t(window->trainEnd) * 2);
    for (qint64 i = 0; i < window->trainEnd; ++i) {
        trainRows.push_back(i);
        // Documented rule: a request a user flagged as wrong is seen twice per epoch.
        if (request.includeFeedback && window->negative[size_t(i)])
            trainRows.push_back(i);
    }
    std::vector<qint64> validationRows, holdoutRows;
    for (qint64 i = window->trainEnd; i < window->holdoutBegin; ++i)
        validationRows.push_back(i);
    for (qint64 i = window->holdoutBegin; i < n; ++i)
        holdoutRows.push_back(i);
    const Dataset train = detail::subset(window->data, trainRows);
    const Dataset validation = detail::subset(window->data, validationRows);
    const Dataset holdout = detail::subset(window->data, holdoutRows);

    QTemporaryDir scratch;
    if (!scratch.isValid())
        return end(QStringLiteral("failed"), ServiceText::tr("No temporary directory for the candidate: %1").arg(scratch.errorString()));
    const QString version = QStringLiteral("retrain-%1").arg(out.run.id);
    const QString candidateFile = scratch.filePath(QStringLiteral("candidate.pt"));
    const auto baseFile = ModelStore::loadVerified(base.filePath, base.sha256.toLatin1());
    if (!baseFile)
        return end(QStringLiteral("failed"), ServiceText::tr("The champion's file cannot be used: %1").arg(baseFile.errorMessage()));

    TrainingOptions topt;
    topt.cancel = &stop;
    topt.baseSha256 = base.sha256.toLatin1(); // the bytes trained are the bytes verified
    topt.progress = [&](double f) {
        cancelled();
        report(RetrainStage::Training, 0.05 + 0.75 * f, ServiceText::tr("Training"));
    };
    topt.epochDone = [&](const EpochReport &e) {
        // Another session (the GUI of a colleague, `retrain cancel`) may ask through the run row.
        if (const auto asked = store.cancelRequested(out.run.id); asked && *asked)
            stop = true;
        cancelled();
        out.history.push_back(e);
        report(RetrainStage::Training, 0.05 + 0.75 * double(e.epoch) / double(std::max(1, e.epochs)),
               ServiceText::tr("Epoch %1 of %2").arg(e.epoch).arg(e.epochs), e);
    };
    report(RetrainStage::Training, 0.05, ServiceText::tr("Training from %1@%2").arg(request.deployment, base.version));
    auto trained = trainModel(base.filePath, train, validation, request.training, version, candidateFile, topt);
    if (trained && trained->cancelled)
        return cancelledEnd();
    if (cancelled()) {
        QFile::remove(candidateFile);
        return cancelledEnd();
    }
    if (!trained)
        return end(QStringLiteral("failed"), trained.errorMessage());
    out.history = trained->history;
    if (!QFile::exists(candidateFile))
        return end(QStringLiteral("failed"), ServiceText::tr("Training finished but wrote no model file."));

    // 5. Candidate and champion on the same holdout rows.
    const int holdoutCount = int(holdout.rowCount());
    report(RetrainStage::Evaluating, 0.82, ServiceText::tr("Evaluating candidate and champion on %n holdout rows", nullptr, holdoutCount));
    auto candidateRunner = ModelRunner::load(candidateFile);
    if (!candidateRunner)
        return end(QStringLiteral("failed"), ServiceText::tr("The trained model cannot be loaded: %1").arg(candidateRunner.errorMessage()));
    const auto candidatePred = predictHoldout(**candidateRunner, holdout, &stop);
    if (cancelled())
        return cancelledEnd();
    if (!candidatePred)
        return end(QStringLiteral("failed"), ServiceText::tr("Candidate: %1").arg(candidatePred.errorMessage()));
    const auto championPred = predictHoldout(**baseFile, holdout, &stop);
    if (cancelled())
        return cancelledEnd();
    if (!championPred)
        return end(QStringLiteral("failed"), ServiceText::tr("Champion: %1").arg(championPred.errorMessage()));
    stats::PairedSeries series;
    series.a = absoluteErrors(*championPred, holdout.target);
    series.b = absoluteErrors(*candidatePred, holdout.target);
    stats::BootstrapOptions bopt;
    bopt.resamples = request.bootstrapResamples;
    bopt.seed = request.training.seed;
    bopt.cancel = &stop;
    const auto intervals = stats::pairedBootstrap({series}, bopt);
    if (cancelled())
        return cancelledEnd();
    if (intervals.empty())
        return end(QStringLiteral("failed"), ServiceText::tr("The paired bootstrap could not be computed on the holdout."));
    const RetrainDecision decision = decide(intervals.front(), request.minImprovement);
    out.decision = decision;
    const auto candidateMetrics = stats::regressionMetrics(*candidatePred, holdout.target);
    const auto championMetrics = stats::regressionMetrics(*championPred, holdout.target);
    out.run.metrics = QJsonObject{
        {QStringLiteral("holdout_rows"), double(holdout.rowCount())},
        {QStringLiteral("train_rows"), double(train.rowCount())},
        {QStringLiteral("validation_rows"), double(validation.rowCount())},
        {QStringLiteral("feedback_rows"), double(window->summary.feedbackRows)},
        {QStringLiteral("candidate"), regressionJson(candidateMetrics)},
        {QStringLiteral("champion"), regressionJson(championMetrics)},
        {QStringLiteral("mae_difference"), intervalJson(decision.maeDifference)},
        {QStringLiteral("decision_rule"), QJsonObject{{QStringLiteral("promote"), decision.promote},
                                                      {QStringLiteral("min_improvement"), request.minImprovement}}},
        {QStringLiteral("best_epoch"), trained->bestEpoch},
        {QStringLiteral("samples_per_second"), trained->samplesPerSecond},
        {QStringLiteral("history"), historyJson(trained->history)}};
    out.run.decision = decision.promote ? QStringLiteral("none") : QStringLiteral("rejected");
    out.run.decisionReason = decision.reason;

    // 6. Register (not for a dry run). Last cancel point: after this the candidate exists.
    if (cancelled())
        return cancelledEnd();
    if (request.dryRun) {
        out.run.decision = QStringLiteral("none");
        return end(QStringLiteral("succeeded"), QString());
    }
    report(RetrainStage::Registering, 0.95, ServiceText::tr("Registering %1@%2").arg(request.deployment, version));
    models::RegisterRequest reg;
    reg.file = candidateFile;
    reg.deployment = request.deployment;
    reg.version = version;
    reg.parentVersion = base.version;
    reg.trainFrom = window->summary.from;
    reg.trainTo = window->summary.holdoutFrom.isValid() ? window->summary.holdoutFrom : window->summary.to;
    reg.storeDirectory = request.storeDirectory;
    const auto registered = models::registerModel(pg, reg, actor);
    if (!registered)
        return end(QStringLiteral("failed"), ServiceText::tr("Registration failed: %1").arg(registered.errorMessage()));
    out.candidateVersion = registered->model.version;
    out.candidatePath = registered->model.filePath;
    out.run.resultVersion = registered->model.version;
    QJsonObject modelMetrics = regressionJson(candidateMetrics);
    modelMetrics.remove(QStringLiteral("rows"));
    modelMetrics.insert(QStringLiteral("holdout_rows"), double(holdout.rowCount()));
    modelMetrics.insert(QStringLiteral("training_rows"), double(train.rowCount()));
    modelMetrics.insert(QStringLiteral("retrain_run"), double(out.run.id));
    modelMetrics.insert(QStringLiteral("champion_mae_on_holdout"), championMetrics.mae);
    modelMetrics.insert(QStringLiteral("mae_difference"), intervalJson(decision.maeDifference));
    modelMetrics.insert(QStringLiteral("params"), request.training.toJson());
    modelMetrics.insert(QStringLiteral("data_window"),
                        QJsonObject{{QStringLiteral("from"), window->summary.from.toString(Qt::ISODate)},
                                    {QStringLiteral("to"), window->summary.to.toString(Qt::ISODate)},
                                    {QStringLiteral("holdout_from"), window->summary.holdoutFrom.toString(Qt::ISODate)}});
    if (Status s = RetrainStore(pg).mergeModelMetrics(registered->model.id, modelMetrics); !s)
        qCWarning(lcRetrain) << "metrics of" << version << "not stored:" << s.errorMessage();
    return end(QStringLiteral("succeeded"), QString());
}

Result<RetrainRun> applyDecision(PgConnection &pg, const std::optional<RedisEndpoint> &redis, qint64 runId,
                                 const ApplyOptions &options, const Actor &actor)
{
    RetrainStore store(pg);
    const auto run = store.run(runId);
    if (!run)
        return run.error();
    if (run->state != QLatin1String("succeeded"))
        return Error{ServiceText::tr("Run %1 did not succeed (%2): there is nothing to apply.").arg(runId).arg(run->state)};
    if (run->dryRun || run->resultVersion.isEmpty())
        return Error{ServiceText::tr("Run %1 registered no model (dry run): there is nothing to apply.").arg(runId)};
    if (run->decision == QLatin1String("promoted") || run->decision == QLatin1String("discarded"))
        return Error{ServiceText::tr("Run %1 was already %2.").arg(runId).arg(run->decision)};
    const QString &dep = run->deployment;
    const QString &version = run->resultVersion;
    const bool rulePromotes = run->metrics.value(QStringLiteral("decision_rule")).toObject().value(QStringLiteral("promote")).toBool();
    // The only way past the decision rule is an explicit, audited override reason.
    const bool overridden = options.reason.startsWith(QLatin1String("override:"));

    QString decision;
    QString reason = options.reason.isEmpty() ? run->decisionReason : options.reason;
    switch (options.action) {
    case RetrainAction::Promote: {
        if (!rulePromotes && !overridden)
            return Error{ServiceText::tr("Promotion refused: %1 (Start the reason with \"override:\" to promote anyway.)")
                             .arg(run->decisionReason)};
        // The comparison was made against the champion of that time: it must still be the champion.
        const auto current = ModelRegistry(pg).byAlias(dep, QStringLiteral("champion"));
        if (!current)
            return current.error();
        if (current->has_value() && (*current)->version != run->baseVersion && !overridden)
            return Error{ServiceText::tr("Promotion refused: the champion is now %1@%2, not %3 which run %4 was compared with; "
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
                return Error{ServiceText::tr("Promoted, but the rollout plan could not be read: %1").arg(stored.errorMessage())};
            StagedPlan plan = stored->plan;
            plan.steps = {10, 25, 50, 100}; // a new model starts again at 10 %
            // Not started (-1): the first advance (PlanService, gates and flags) moves ML traffic to 10 %.
            if (Status s = plans.save(dep, plan, -1); !s)
                return Error{ServiceText::tr("Promoted, but the rollout plan could not be stored: %1").arg(s.errorMessage())};
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
        const auto archived = ModelRegistry(pg).archive(dep, version, ServiceText::tr("Retrain run %1: discarded").arg(runId), actor);
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
