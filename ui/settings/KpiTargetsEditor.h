#pragma once

#include "ui/settings/SettingsEditor.h"

namespace mldeck {
class DeploymentsService;
class SettingsService;
struct KpiTargets;
} // namespace mldeck

namespace mldeck::ui {

// The KPI targets and stretch targets of a deployment (KpiStore: audited as "kpi.targets"). The
// ranges are KpiTargets::fromJson's, so what the form accepts the store accepts. The serving targets
// are always shown; the error targets only for the deployment's task (MAE, R²... for a regression,
// accuracy, F1, ROC AUC, log-loss, ECE for a classifier; both until its task is read).
class KpiTargetsEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KpiTargetsEditor)

public:
    explicit KpiTargetsEditor(QWidget *parent = nullptr);
    ~KpiTargetsEditor() override;

    static Values toValues(const KpiTargets &targets);
    static KpiTargets fromValues(const Values &values);
    QString task() const { return m_task; } // the deployment's task, empty until read

protected:
    QString checkForm(const Values &values) const override;
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    void showTask(const QString &task);

    SettingsService *m_service = nullptr;
    DeploymentsService *m_deployments = nullptr;
    QList<QWidget *> m_regressionRows;
    QList<QWidget *> m_classificationRows;
    QString m_task;
};

} // namespace mldeck::ui
