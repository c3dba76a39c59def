#pragma once

#include "ui/settings/SettingsEditor.h"

namespace mldeck {
class SettingsService;
struct KpiTargets;
} // namespace mldeck

namespace mldeck::ui {

// The KPI targets and stretch targets of a deployment (KpiStore: audited as "kpi.targets"). The
// ranges are KpiTargets::fromJson's, so what the form accepts the store accepts.
class KpiTargetsEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KpiTargetsEditor)

public:
    explicit KpiTargetsEditor(QWidget *parent = nullptr);
    ~KpiTargetsEditor() override;

    static Values toValues(const KpiTargets &targets);
    static KpiTargets fromValues(const Values &values);

protected:
    QString checkForm(const Values &values) const override;
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    SettingsService *m_service = nullptr;
};

} // namespace mldeck::ui
