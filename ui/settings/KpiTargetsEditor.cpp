#include "ui/settings/KpiTargetsEditor.h"

#include "core/domain/Kpi.h"
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

} // namespace

KpiTargetsEditor::KpiTargetsEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::KpiTargets, tr("KPI targets"), parent), m_service(new SettingsService(this))
{
    const auto positive = [](double v) { return v > 0 ? QString() : tr("Must be above 0."); };
    const auto atMostOne = [](double v) { return v <= 1 ? QString() : tr("Must be at most 1."); };
    const auto share = [](double v) { return v >= 0 && v <= 1 ? QString() : tr("Must be a share from 0 to 1."); };

    addSection(tr("Targets"));
    addReal(kMaeMax, tr("MAE at most"), positive, tr("minutes"));
    addReal(kR2Min, tr("R² at least"), atMostOne);
    addReal(kLatencyMax, tr("Prediction time at most"), positive, tr("ms"));
    addReal(kErrorRateMax, tr("Error rate at most"), share, tr("share, 0 to 1"));
    addReal(kUptimeMin, tr("Uptime at least"), share, tr("share, 0 to 1"));
    addInteger(
        kAnticipation, tr("Delays anticipated by"),
        [](qint64 v) {
            return v >= 1 && v <= stats::kAnticipationThresholds
                       ? QString()
                       : tr("Must be from 1 to %1 minutes.").arg(stats::kAnticipationThresholds);
        },
        tr("minutes"));
    addSection(tr("Stretch targets"));
    addReal(kStretchMae, tr("Stretch MAE"), positive, tr("minutes"));
    addReal(kStretchR2, tr("Stretch R²"), atMostOne);
    addNote(tr("The dashboard's tiles and charts compare every figure with these targets."));

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
            {kStretchMae, t.stretchMae},   {kStretchR2, t.stretchR2}};
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
    return t;
}

// A stretch target is the better one: a lower MAE, a higher R².
QString KpiTargetsEditor::checkForm(const Values &v) const
{
    const QVariant mae = v.value(kMaeMax), stretchMae = v.value(kStretchMae);
    if (!mae.isNull() && !stretchMae.isNull() && stretchMae.toDouble() > mae.toDouble())
        return tr("The stretch MAE must not be above the MAE target.");
    const QVariant r2 = v.value(kR2Min), stretchR2 = v.value(kStretchR2);
    if (!r2.isNull() && !stretchR2.isNull() && stretchR2.toDouble() < r2.toDouble())
        return tr("The stretch R² must not be below the R² target.");
    return {};
}

void KpiTargetsEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void KpiTargetsEditor::load(const QString &deployment)
{
    m_service->loadKpiTargets(deployment);
}

void KpiTargetsEditor::save(const QString &deployment, const Values &values)
{
    m_service->saveKpiTargets(deployment, fromValues(values));
}

} // namespace mldeck::ui
