#pragma once

#include "ui/settings/SettingsEditor.h"

#include <optional>

namespace mldeck {
class SettingsService;
struct GuardRules;
} // namespace mldeck

namespace mldeck::ui {

// The automatic guard's rules of a deployment (GuardStore::saveRules: the rules and their audit row
// "guard.rules" in one transaction). The checks are mldeck.guard_rules' CHECK constraints, which
// GuardRules::validate() mirrors. The guard reads the rules every round: a save applies from its next one.
class GuardRulesEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardRulesEditor)

public:
    explicit GuardRulesEditor(QWidget *parent = nullptr);
    ~GuardRulesEditor() override;

    static Values toValues(const GuardRules &rules);
    static GuardRules fromValues(const Values &values);

protected:
    QString checkForm(const Values &values) const override;
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    void showClassifierFields(bool shown); // a classifier's thresholds, hidden on a regression deployment

    SettingsService *m_service = nullptr;
    std::optional<bool> m_classifier; // the deployment's task, once known: combinations are checked against it
};

} // namespace mldeck::ui
