#include "ui/settings/KpiTargetsEditor.h"

#include "core/domain/Kpi.h"
#include "core/services/DeploymentsService.h"
#include "core/services/SettingsService.h"
#include "core/stats/kpi/KpiAccumulator.h"

namespace mldeck::ui {

namespace {

const QString kMaeMax = QStringLiteral("mae_max");
const QString kStretchMae = QStringLiteral("stretch_mae");
const QString kR2Min = QStringLiteral("r2_min");
const QString kStretchR2 = QStringLiteral("stretch_r2");
const QString kLatencyMax = QStringLiteral("latency_max_ms");
const QString kErrorRateMax = QStringLiteral("error_rate_max");
const QString kUptimeMin = QStringLiteral("uptime_min");
const QString kAnticipation = QStringLiteral("anticipation_minutes");
const QString kAccuracyMin = QStringLiteral("accuracy_min");
const QString kF1Min = QStringLiteral("f1_min");
const QString kRocAucMin = QStringLiteral("roc_auc_min");
const QString kLogLossMax = QStringLiteral("log_loss_max");
const QString kEceMax = QStringLiteral("ece_max");
const QString kStretchAccuracy = QStringLiteral("stretch_accuracy");

} // namespace

KpiTargetsEditor::KpiTargetsEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::KpiTargets, tr("KPI targets"), parent), m_service(new SettingsService(this)),
      m_deployments(new DeploymentsService(this))
{
    const auto positive = [](double v) { return v > 0 ? QString() : tr("Must be above 0."); };
    const auto atMostOne = [](double v) { return v <= 1 ? QString() : tr("Must be at most 1."); };
    const auto share = [](double v) { return v >= 0 && v <= 1 ? QString() : tr("Must be a share from 0 to 1."); };

    addSection(tr("Targets"));
    m_regressionRows << addReal(kMaeMax, tr("MAE at most"), positive, tr("minutes"));
    m_regressionRows << addReal(kR2Min, tr("R² at least"), atMostOne);
    addReal(kLatencyMax, tr("Prediction time at most"), positive, tr("ms"));
    addReal(kErrorRateMax, tr("Error rate at most"), share, tr("share, 0 to 1"));
    addReal(kUptimeMin, tr("Uptime at least"), share, tr("share, 0 to 1"));
    m_regressionRows << addInteger(
        kAnticipation, tr("Delays anticipated by"),
        [](qint64 v) {
            return v >= 1 && v <= stats::kAnticipationThresholds
                       ? QString()
                       : tr("Must be from 1 to %1 minutes.").arg(stats::kAnticipationThresholds);
        },
        tr("minutes"));
    m_regressionRows << addSection(tr("Stretch targets"));
    m_regressionRows << addReal(kStretchMae, tr("Stretch MAE"), positive, tr("minutes"));
    m_regressionRows << addReal(kStretchR2, tr("Stretch R²"), atMostOne);
    m_classificationRows << addSection(tr("Classification targets"));
    m_classificationRows << addReal(kAccuracyMin, tr("Accuracy at least"), share, tr("share, 0 to 1"));
    m_classificationRows << addReal(kF1Min, tr("F1 at least"), share, tr("binary: the positive class; else macro"));
    m_classificationRows << addReal(kRocAucMin, tr("ROC AUC at least"), share, tr("0 to 1"));
    m_classificationRows << addReal(kLogLossMax, tr("Log-loss at most"), positive);
    m_classificationRows << addReal(kEceMax, tr("Calibration error (ECE) at most"), share, tr("share, 0 to 1"));
    m_classificationRows << addReal(kStretchAccuracy, tr("Stretch accuracy"), share, tr("share, 0 to 1"));
    addNote(tr("The dashboard's tiles and charts compare every figure with these targets."));

    // Only the targets of the deployment's task are shown once its task is known.
    connect(m_deployments, &DeploymentsService::shown, this, [this](const Result<DeploymentInfo> &info) {
        if (info && info->name == deployment())
            showTask(info->task);
    });

    connect(m_service, &SettingsService::kpiTargetsLoaded, this,
            [this](const QString &deployment, const Result<KpiTargets> &r) {
                if (r)
                    setLoaded(deployment, toValues(*r));
                else
                    setLoadFailed(deployment, r.errorMessage());
            });
    connect(m_service, &SettingsService::kpiTargetsSaved, this, [this](const Result<KpiTargets> &r) {
        if (r)
            setSaved(toValues(*r));
        else
            setSaveFailed(r.errorMessage());
    });
}

KpiTargetsEditor::~KpiTargetsEditor() = default;

SettingsEditor::Values KpiTargetsEditor::toValues(const KpiTargets &t)
{
    return {{kMaeMax, t.maeMax},           {kR2Min, t.r2Min},
            {kLatencyMax, t.latencyMaxMs}, {kErrorRateMax, t.errorRateMax},
            {kUptimeMin, t.uptimeMin},     {kAnticipation, qlonglong(t.anticipationMinutes)},
            {kStretchMae, t.stretchMae},   {kStretchR2, t.stretchR2},
            {kAccuracyMin, t.accuracyMin}, {kF1Min, t.f1Min},
            {kRocAucMin, t.rocAucMin},     {kLogLossMax, t.logLossMax},
            {kEceMax, t.eceMax},           {kStretchAccuracy, t.stretchAccuracy}};
}

KpiTargets KpiTargetsEditor::fromValues(const Values &v)
{
    KpiTargets t;
    t.maeMax = v.value(kMaeMax).toDouble();
    t.r2Min = v.value(kR2Min).toDouble();
    t.latencyMaxMs = v.value(kLatencyMax).toDouble();
    t.errorRateMax = v.value(kErrorRateMax).toDouble();
    t.uptimeMin = v.value(kUptimeMin).toDouble();
    t.anticipationMinutes = int(v.value(kAnticipation).toLongLong());
    t.stretchMae = v.value(kStretchMae).toDouble();
    t.stretchR2 = v.value(kStretchR2).toDouble();
    t.accuracyMin = v.value(kAccuracyMin).toDouble();
    t.f1Min = v.value(kF1Min).toDouble();
    t.rocAucMin = v.value(kRocAucMin).toDouble();
    t.logLossMax = v.value(kLogLossMax).toDouble();
    t.eceMax = v.value(kEceMax).toDouble();
    t.stretchAccuracy = v.value(kStretchAccuracy).toDouble();
    return t;
}

// A stretch target is the better one: a lower MAE, a higher R², a higher accuracy.
QString KpiTargetsEditor::checkForm(const Values &v) const
{
    const QVariant mae = v.value(kMaeMax), stretchMae = v.value(kStretchMae);
    if (!mae.isNull() && !stretchMae.isNull() && stretchMae.toDouble() > mae.toDouble())
        return tr("The stretch MAE must not be above the MAE target.");
    const QVariant r2 = v.value(kR2Min), stretchR2 = v.value(kStretchR2);
    if (!r2.isNull() && !stretchR2.isNull() && stretchR2.toDouble() < r2.toDouble())
        return tr("The stretch R² must not be below the R² target.");
    const QVariant accuracy = v.value(kAccuracyMin), stretchAccuracy = v.value(kStretchAccuracy);
    if (!accuracy.isNull() && !stretchAccuracy.isNull() && stretchAccuracy.toDouble() < accuracy.toDouble())
        return tr("The stretch accuracy must not be below the accuracy target.");
    return {};
}

void KpiTargetsEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
    m_deployments->setEndpoints(pg, std::nullopt);
}

void KpiTargetsEditor::load(const QString &deployment)
{
    showTask({});
    m_service->loadKpiTargets(deployment);
    m_deployments->show(deployment);
}

void KpiTargetsEditor::showTask(const QString &task)
{
    m_task = task;
    const bool regression = task != QLatin1String("classification");
    const bool classification = task != QLatin1String("regression");
    for (QWidget *row : std::as_const(m_regressionRows))
        setRowVisible(row, regression);
    for (QWidget *row : std::as_const(m_classificationRows))
        setRowVisible(row, classification);
}

void KpiTargetsEditor::save(const QString &deployment, const Values &values)
{
    m_service->saveKpiTargets(deployment, fromValues(values));
}

} // namespace mldeck::ui
