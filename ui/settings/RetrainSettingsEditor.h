#pragma once

#include "ui/settings/SettingsEditor.h"

namespace mldeck {
class RetrainService;
struct RetrainSettings;
} // namespace mldeck

namespace mldeck::ui {

// The retrain settings of a deployment (mldeck.retrain_settings): when a retrain is due (feedback
// window, counts, satisfaction, the extra drift and MAE triggers), what the guard does about it
// (auto-retrain, auto-promote, how often it checks), the decision rule (a classifier's metric, the
// minimum improvement) and how long feedback is kept. Each field is checked by RetrainSettings::fromJson,
// the rules the guard and the CLI read the stored settings with; saved through RetrainService (one audit
// row, before/after).
class RetrainSettingsEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainSettingsEditor)

public:
    explicit RetrainSettingsEditor(QWidget *parent = nullptr);
    ~RetrainSettingsEditor() override;

    static Values valuesOf(const RetrainSettings &settings); // keyed as RetrainSettings::toFlatJson()

protected:
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    RetrainService *m_service = nullptr;
};

} // namespace mldeck::ui
