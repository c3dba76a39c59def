#include "ui/pages/drift/AlertRulesView.h"

#include "core/services/AlertsService.h"
#include "ui/pages/drift/AlertRuleEditor.h"
#include "ui/pages/drift/AlertRulesTableModel.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace mldeck::ui {

AlertRulesView::AlertRulesView(AlertsService *service, QWidget *parent)
    : QWidget(parent), m_service(service), m_model(new AlertRulesTableModel(this)), m_confirm(messageBoxConfirmer(this))
{
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("alertRulesView"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->hide();
    m_view->setAlternatingRowColors(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(AlertRulesTableModel::Condition, QHeaderView::Stretch);

    m_add = new QPushButton(tr("Add rule…"), this);
    m_add->setObjectName(QStringLiteral("addRuleButton"));
    m_edit = new QPushButton(tr("Edit…"), this);
    m_edit->setObjectName(QStringLiteral("editRuleButton"));
    m_reset = new QPushButton(tr("Reset to default"), this);
    m_reset->setObjectName(QStringLiteral("resetRuleButton"));
    m_delete = new QPushButton(tr("Delete"), this);
    m_delete->setObjectName(QStringLiteral("deleteRuleButton"));

    m_readOnly = new QLabel(this);
    m_readOnly->setObjectName(QStringLiteral("alertRulesReadOnly"));
    m_readOnly->setWordWrap(true);
    m_readOnly->hide();
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->hide();
    m_summary = new QLabel(tr("Rules are evaluated by the guard every 15 s."), this);
    m_summary->setWordWrap(true);
    auto *bar = new QHBoxLayout; // the actions and the summary share a row: the table keeps the height
    bar->addWidget(m_add);
    bar->addWidget(m_edit);
    bar->addWidget(m_reset);
    bar->addWidget(m_delete);
    bar->addWidget(m_summary, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addLayout(bar);
    layout->addWidget(m_readOnly);
    layout->addWidget(m_status);

    connect(m_service, &AlertsService::rulesListed, this, &AlertRulesView::showRules);
    connect(m_service, &AlertsService::ruleChanged, this, &AlertRulesView::onRuleChanged);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AlertRulesView::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AlertRulesView::updateButtons);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this] {
        if (m_edit->isEnabled())
            editRule(selectedRule());
    });
    connect(m_add, &QPushButton::clicked, this, [this] { editRule(nullptr); });
    connect(m_edit, &QPushButton::clicked, this, [this] { editRule(selectedRule()); });
    connect(m_reset, &QPushButton::clicked, this, &AlertRulesView::resetSelected);
    connect(m_delete, &QPushButton::clicked, this, &AlertRulesView::deleteSelected);
    updateButtons();
}

AlertRulesView::~AlertRulesView() = default;

void AlertRulesView::setDeployment(const QString &deployment)
{
    if (deployment != m_deployment) {
        m_loaded = false;
        m_status->hide();
        if (m_editor) // an open dialog edits the previous deployment
            delete m_editor->window();
    }
    m_deployment = deployment;
    updateButtons();
    refresh();
}

QString AlertRulesView::summaryText() const
{
    return m_summary->text();
}

AlertRuleEditor *AlertRulesView::openEditor() const
{
    return m_editor.data();
}

QString AlertRulesView::statusText() const
{
    return m_status->isVisible() ? m_status->text() : QString();
}

void AlertRulesView::refresh()
{
    if (!m_deployment.isEmpty())
        m_service->listRules(m_deployment);
}

// Answers come back in the order asked: an answer for another deployment is followed by the one shown.
void AlertRulesView::showRules(const Result<AlertRules> &rules)
{
    if (!rules) {
        m_model->setRules({}); // never show stale states as live
        m_loaded = false;
        m_summary->setText(tr("Alert rules could not be read: %1").arg(rules.errorMessage()));
    } else {
        if (rules->deployment != m_deployment)
            return;
        const QString selected = selectedRule() ? selectedRule()->rule.id : QString();
        m_model->setRules(rules->rules);
        for (int row = 0; row < m_model->rowCount(); ++row)
            if (m_model->ruleAt(row)->rule.id == selected)
                m_view->selectRow(row);
        m_loaded = true;
        m_refusal = rules->refusal;
        m_classifier = rules->classifier;
        int firing = 0, pending = 0;
        for (const AlertRuleView &v : rules->rules) {
            firing += v.rule.enabled && v.status.state == AlertRuleState::Firing;
            pending += v.rule.enabled && v.status.state == AlertRuleState::Pending;
        }
        m_summary->setText(tr("%1: %2 firing, %3 pending. Rules are evaluated by the guard every 15 s; a change "
                              "applies from its next round.")
                               .arg(rules->deployment)
                               .arg(firing)
                               .arg(pending));
    }
    m_readOnly->setText(m_refusal);
    m_readOnly->setVisible(m_loaded && !m_refusal.isEmpty());
    updateButtons();
    Q_EMIT rulesUpdated();
}

void AlertRulesView::onRuleChanged(const Result<QString> &message)
{
    m_status->setText(message ? *message : message.errorMessage());
    m_status->show();
    refresh();
    Q_EMIT ruleChanged(message.ok());
}

const AlertRuleView *AlertRulesView::selectedRule() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? nullptr : m_model->ruleAt(rows.first().row());
}

// Edit needs a rule; Reset a built-in rule this deployment changed; Delete a rule of its own. A role that
// may not change rules gets every button disabled, with the reason as their tooltip.
void AlertRulesView::updateButtons()
{
    const bool may = m_loaded && m_refusal.isEmpty();
    const AlertRuleView *rule = selectedRule();
    const bool builtIn = rule && AlertRule::defaultWithId(rule->rule.id, m_classifier).has_value();
    m_add->setEnabled(may);
    m_edit->setEnabled(may && rule);
    m_reset->setEnabled(may && builtIn && rule->customised);
    m_delete->setEnabled(may && rule && !builtIn);
    const QString why = !m_loaded ? QString() : m_refusal;
    for (QPushButton *b : {m_add, m_edit, m_reset, m_delete})
        b->setToolTip(why);
    if (may && rule && builtIn) {
        m_delete->setToolTip(tr("A built-in rule cannot be deleted: reset it to its default or turn it off."));
        if (!rule->customised)
            m_reset->setToolTip(tr("This rule already has its default values."));
    }
}

// The Add/Edit form in a window-modal dialog; it closes once the rule is saved, and stays open with what
// was typed when the save fails.
void AlertRulesView::editRule(const AlertRuleView *existing)
{
    if (m_deployment.isEmpty() || m_editor)
        return;
    QStringList ids;
    for (int row = 0; row < m_model->rowCount(); ++row)
        ids << m_model->ruleAt(row)->rule.id;
    auto *dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("alertRuleDialog"));
    dialog->setWindowTitle(existing ? tr("Alert rule %1 of %2").arg(existing->rule.id, m_deployment)
                                    : tr("New alert rule for %1").arg(m_deployment));
    auto *editor = new AlertRuleEditor(m_service, existing ? std::optional<AlertRule>(existing->rule) : std::nullopt,
                                       ids, m_classifier, dialog);
    auto *close = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(editor);
    layout->addWidget(close);
    connect(close, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(editor, &SettingsEditor::saved, dialog, &QDialog::accept);
    editor->setEndpoint(m_service->endpoint());
    editor->setDeployment(m_deployment);
    m_editor = editor;
    dialog->resize(640, 480); // the whole form without scrolling
    dialog->open();
}

void AlertRulesView::resetSelected()
{
    const AlertRuleView *rule = selectedRule();
    if (!rule)
        return;
    const QString id = rule->rule.id;
    const auto fallback = AlertRule::defaultWithId(id, m_classifier);
    if (!fallback)
        return;
    if (!m_confirm({tr("Reset alert rule"),
                    tr("Reset rule %1 of %2 to its built-in default (%3)?").arg(id, m_deployment, fallback->describe()),
                    tr("Reset")}))
        return;
    m_service->resetRule(m_deployment, id);
}

void AlertRulesView::deleteSelected()
{
    const AlertRuleView *rule = selectedRule();
    if (!rule)
        return;
    const QString id = rule->rule.id;
    if (!m_confirm(
            {tr("Delete alert rule"),
             tr("Delete rule %1 of %2 (%3)? An alert it raised resolves.").arg(id, m_deployment, rule->rule.describe()),
             tr("Delete")}))
        return;
    m_service->deleteRule(m_deployment, id);
}

} // namespace mldeck::ui
