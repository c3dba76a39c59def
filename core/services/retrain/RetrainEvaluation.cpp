// Champion and candidate scored on the same holdout rows: the per-row series the paired bootstrap
// resamples and the figures a run records, for a regression model (absolute errors) or a classifier
// (hits of the decided class, log-loss per row).
#include "core/services/retrain/RetrainInternal.h"

#include "core/domain/Figure.h"
#include "core/ml/Evaluator.h"
#include "core/ml/ModelRunner.h"
#include "core/stats/Bootstrap.h"
#include "core/stats/Metrics.h"

#include <cmath>

namespace mldeck::retrain::detail {

namespace {

Result<std::vector<double>> predictValues(ModelRunner &runner, const Dataset &holdout, const std::atomic<bool> *cancel)
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

Result<HoldoutScores> scoreRegression(ModelRunner &champion, ModelRunner &candidate, const Dataset &holdout,
                                      const std::atomic<bool> *cancel)
{
    const auto candidatePred = predictValues(candidate, holdout, cancel);
    if (!candidatePred)
        return Error{ServiceText::tr("Candidate: %1").arg(candidatePred.errorMessage())};
    const auto championPred = predictValues(champion, holdout, cancel);
    if (!championPred)
        return Error{ServiceText::tr("Champion: %1").arg(championPred.errorMessage())};
    const auto absoluteErrors = [&holdout](const std::vector<double> &predicted) {
        std::vector<double> e(predicted.size());
        for (size_t i = 0; i < predicted.size(); ++i)
            e[i] = std::abs(predicted[i] - holdout.target[i]);
        return e;
    };
    HoldoutScores s;
    s.series.push_back({absoluteErrors(*championPred), absoluteErrors(*candidatePred)});
    s.keys << QStringLiteral("mae");
    s.champion = regressionJson(stats::regressionMetrics(*championPred, holdout.target));
    s.candidate = regressionJson(stats::regressionMetrics(*candidatePred, holdout.target));
    return s;
}

// A classifier's holdout figures (stats::classifierMetrics: the live figures' conventions, exact ROC AUC).
QJsonObject classifierJson(const stats::ClassifierMetrics &m)
{
    QJsonObject o{{QStringLiteral("rows"), double(m.rows)},
                  {QStringLiteral("accuracy"), figureJson(m.figures.accuracy)},
                  {QStringLiteral("balanced_accuracy"), figureJson(m.figures.balancedAccuracy)},
                  {QStringLiteral("macro_precision"), figureJson(m.figures.macroPrecision)},
                  {QStringLiteral("macro_recall"), figureJson(m.figures.macroRecall)},
                  {QStringLiteral("macro_f1"), figureJson(m.figures.macroF1)},
                  {QStringLiteral("log_loss"), figureJson(m.figures.logLoss)},
                  {QStringLiteral("brier"), figureJson(m.figures.brier)},
                  {QStringLiteral("ece"), figureJson(m.figures.ece)},
                  {QStringLiteral("roc_auc"), figureJson(m.figures.rocAuc)},
                  {QStringLiteral("pr_auc"), figureJson(m.prAuc)}};
    if (m.figures.f1Positive) // binary: the positive class's figures
        o.insert(QStringLiteral("f1"), *m.figures.f1Positive);
    if (m.figures.precisionPositive)
        o.insert(QStringLiteral("precision"), *m.figures.precisionPositive);
    if (m.figures.recallPositive)
        o.insert(QStringLiteral("recall"), *m.figures.recallPositive);
    return o;
}

Result<ClassProbabilities> predictClasses(ModelRunner &runner, const Dataset &holdout, const ClassSpec &spec,
                                          const std::atomic<bool> *cancel)
{
    const ModelInfo &info = runner.info();
    if (info.task != QLatin1String("classification"))
        return Error{ServiceText::tr("model %1 is not a classifier (task \"%2\").").arg(info.name, info.task)};
    if (info.classSpec.classes != spec.classes)
        return Error{
            ServiceText::tr("the model's classes (%1) are not the deployment's (%2).")
                .arg(info.classSpec.classes.join(QStringLiteral(", ")), spec.classes.join(QStringLiteral(", ")))};
    return runner.predictProbabilities(
        holdout.featureRows(info.schema.numericNames(), info.schema.categoricalNames(), 0, holdout.rowCount()), cancel);
}

Result<HoldoutScores> scoreClassifier(ModelRunner &champion, ModelRunner &candidate, const Dataset &holdout,
                                      const ClassSpec &spec, const std::atomic<bool> *cancel)
{
    const auto candidateP = predictClasses(candidate, holdout, spec, cancel);
    if (!candidateP)
        return Error{ServiceText::tr("Candidate: %1").arg(candidateP.errorMessage())};
    const auto championP = predictClasses(champion, holdout, spec, cancel);
    if (!championP)
        return Error{ServiceText::tr("Champion: %1").arg(championP.errorMessage())};
    std::vector<int> actual;
    actual.reserve(holdout.target.size());
    for (double y : holdout.target)
        actual.push_back(int(y)); // class indices (RetrainData kept only those)
    return classifierScores(spec, *championP, *candidateP, actual);
}

} // namespace

HoldoutScores classifierScores(const ClassSpec &spec, const ClassProbabilities &champion,
                               const ClassProbabilities &candidate, const std::vector<int> &actual)
{
    // The deployment's decision rule (its threshold may differ from the model file's) decides the served class.
    HoldoutScores s;
    s.series.push_back(stats::accuracySeries(spec, champion.values, candidate.values, actual));
    s.series.push_back(stats::logLossSeries(spec.count(), champion.values, candidate.values, actual));
    s.keys << QStringLiteral("accuracy") << QStringLiteral("log_loss");
    s.champion = classifierJson(stats::classifierMetrics(spec, champion.values, actual));
    s.candidate = classifierJson(stats::classifierMetrics(spec, candidate.values, actual));
    return s;
}

Result<HoldoutScores> scoreHoldout(ModelRunner &champion, ModelRunner &candidate, const Dataset &holdout,
                                   const Window &window, const std::atomic<bool> *cancel)
{
    return window.classifier ? scoreClassifier(champion, candidate, holdout, window.classSpec, cancel)
                             : scoreRegression(champion, candidate, holdout, cancel);
}

} // namespace mldeck::retrain::detail
