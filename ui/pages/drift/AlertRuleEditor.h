#pragma once

#include "core/domain/AlertRule.h"
#include "ui/settings/SettingsEditor.h"

#include <QStringList>

#include <optional>

namespace mldeck {
class AlertsService;
}

namespace mldeck::ui {

// The form of one KPI alert rule (the Add and Edit dialogs of the Rules view): id, metric, comparison,
// threshold, window, pending period, resolve threshold and keep-firing time (hysteresis), severity, enabled
// and a reason for the audit log. Each field shows
// what AlertRule::problems() says of it; nothing is saved while one is refused, and a refused save keeps
// what was typed. An existing rule keeps its id and metric (another metric is another rule). Saved with
// AlertsService::saveRule (audited, before/after).
class AlertRuleEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertRuleEditor)

public:
    // existing: the rule to edit; nullopt: a new rule, whose id may be none of takenIds. classifier: the
    // deployment is a classifier (the metrics offered are those of its task: AlertRule::metricsFor).
    AlertRuleEditor(AlertsService *service, std::optional<AlertRule> existing, QStringList takenIds,
                    bool classifier = false, QWidget *parent = nullptr);
    ~AlertRuleEditor() override;

    bool isNewRule() const { return !m_existing; }
    // The rule the fields describe (unchecked; AlertRule::problems() says what is wrong with it).
    AlertRule ruleOf(const Values &values) const;

protected:
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    QString problemIn(AlertRule::Field field, const AlertRule &rule) const;
    void applyMetricDefaults(); // a new rule takes the chosen metric's defaults

    AlertsService *m_service = nullptr;
    std::optional<AlertRule> m_existing;
    QStringList m_taken;
    bool m_classifier = false;
    bool m_awaitingSave = false; // the service's next ruleChanged answers this form's save
};

} // namespace mldeck::ui
