#pragma once

#include "core/domain/Result.h"
#include "ui/pages/rollout/Confirmer.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace mldeck {
class AlertsService;
struct AlertRules;
struct AlertRuleView;
} // namespace mldeck

namespace mldeck::ui {

class AlertRuleEditor;
class AlertRulesTableModel;

// The "Rules" view of the Alerts & Drift page: each KPI alert rule of the selected deployment with
// its threshold, state (inactive / pending since / firing) and last value, read through the page's
// AlertsService. Operators add, edit, reset (a built-in rule) and delete (a rule of their own) rules
// here, each change audited by the store; a role that may not change rules sees the buttons disabled
// with the reason.
class AlertRulesView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertRulesView)

public:
    explicit AlertRulesView(AlertsService *service, QWidget *parent = nullptr);
    ~AlertRulesView() override;

    void setDeployment(const QString &deployment); // refreshes
    void refresh();
    // Reset and Delete ask first; tests answer instead of a modal message box.
    void setConfirmer(Confirmer confirmer) { m_confirm = std::move(confirmer); }

    AlertRulesTableModel &model() const { return *m_model; }
    QTableView *view() const { return m_view; }
    QPushButton *addButton() const { return m_add; }
    QPushButton *editButton() const { return m_edit; }
    QPushButton *resetButton() const { return m_reset; }
    QPushButton *deleteButton() const { return m_delete; }
    AlertRuleEditor *openEditor() const; // the Add/Edit dialog's form, while it is open
    QString summaryText() const;
    QString readOnlyReason() const { return m_refusal; } // empty: the role may change rules
    QString statusText() const;                          // what the last change did, or why it failed

Q_SIGNALS:
    void rulesUpdated();
    void ruleChanged(bool ok); // a save, reset or delete finished (the list refreshes after it)

private:
    void showRules(const Result<AlertRules> &rules);
    void onRuleChanged(const Result<QString> &message);
    void updateButtons();
    const AlertRuleView *selectedRule() const;
    void editRule(const AlertRuleView *existing); // nullptr: a new rule
    void resetSelected();
    void deleteSelected();

    AlertsService *m_service = nullptr;
    AlertRulesTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_reset = nullptr;
    QPushButton *m_delete = nullptr;
    QLabel *m_readOnly = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_summary = nullptr;
    QPointer<AlertRuleEditor> m_editor;
    Confirmer m_confirm;
    QString m_deployment;
    QString m_refusal;
    bool m_classifier = false; // m_deployment is a classifier: its editor offers the classification metrics
    bool m_loaded = false;     // the rules (and the role's permission) of m_deployment are shown
};

} // namespace mldeck::ui
