#include "ui/pages/drift/AlertRulesView.h"

#include "core/services/AlertsService.h"
#include "ui/pages/drift/AlertRulesTableModel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace mldeck::ui {

AlertRulesView::AlertRulesView(AlertsService *service, QWidget *parent)
    : QWidget(parent), m_service(service), m_model(new AlertRulesTableModel(this))
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
    m_summary = new QLabel(tr("Rules are evaluated by the guard every 15 s; change them with "
                              "\"mldeckctl alerts rules set\"."),
                           this);
    m_summary->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_summary);
    connect(m_service, &AlertsService::rulesListed, this, &AlertRulesView::showRules);
}

AlertRulesView::~AlertRulesView() = default;

void AlertRulesView::setDeployment(const QString &deployment)
{
    m_deployment = deployment;
    refresh();
}

QString AlertRulesView::summaryText() const
{
    return m_summary->text();
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
        m_summary->setText(tr("Alert rules could not be read: %1").arg(rules.errorMessage()));
    } else {
        if (rules->deployment != m_deployment)
            return;
        m_model->setRules(rules->rules);
        int firing = 0, pending = 0;
        for (const AlertRuleView &v : rules->rules) {
            firing += v.rule.enabled && v.status.state == AlertRuleState::Firing;
            pending += v.rule.enabled && v.status.state == AlertRuleState::Pending;
        }
        m_summary->setText(tr("%1: %2 firing, %3 pending. Rules are evaluated by the guard every 15 s; "
                              "change them with \"mldeckctl alerts rules set\".")
                               .arg(rules->deployment)
                               .arg(firing)
                               .arg(pending));
    }
    Q_EMIT rulesUpdated();
}

} // namespace mldeck::ui
