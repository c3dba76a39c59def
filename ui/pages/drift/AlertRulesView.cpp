#include "ui/pages/drift/AlertRulesView.h"

#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/PgConnection.h"
#include "ui/pages/drift/AlertRulesTableModel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace mldeck::ui {

// Worker-thread state: touched only inside posted jobs.
struct AlertRulesView::Worker
{
    PgEndpoint endpoint;
    std::unique_ptr<PgConnection> conn;

    Result<QList<AlertRuleView>> read(const QString &deployment)
    {
        if (!conn || !conn->ping()) {
            conn.reset();
            auto opened = PgConnection::open(endpoint, QStringLiteral("mldeck-alert-rules"));
            if (!opened)
                return opened.error();
            conn = std::move(opened).value();
        }
        return AlertRuleStore(*conn).ruleViews(deployment);
    }
};

AlertRulesView::AlertRulesView(QWidget *parent)
    : QWidget(parent), m_worker(std::make_shared<Worker>()), m_jobs(QStringLiteral("mldeck-alert-rules")),
      m_model(new AlertRulesTableModel(this))
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
}

AlertRulesView::~AlertRulesView() = default;

void AlertRulesView::setEndpoint(const PgEndpoint &pg)
{
    m_jobs.post([w = m_worker, pg] {
        w->endpoint = pg;
        w->conn.reset();
    });
    m_hasEndpoint = true;
}

void AlertRulesView::setDeployment(const QString &deployment)
{
    m_deployment = deployment;
    refresh();
}

QString AlertRulesView::summaryText() const { return m_summary->text(); }

void AlertRulesView::refresh()
{
    if (!m_hasEndpoint || m_deployment.isEmpty())
        return;
    const QString deployment = m_deployment;
    m_jobs.post(
        this, [w = m_worker, deployment] { return w->read(deployment); },
        [this, deployment](Result<QList<AlertRuleView>> rules) {
            if (deployment != m_deployment)
                return; // an answer for a deployment no longer shown
            if (!rules) {
                m_model->setRules({}); // never show stale states as live
                m_summary->setText(tr("Alert rules could not be read: %1").arg(rules.errorMessage()));
            } else {
                m_model->setRules(*rules);
                int firing = 0, pending = 0;
                for (const AlertRuleView &v : *rules) {
                    firing += v.rule.enabled && v.status.state == AlertRuleState::Firing;
                    pending += v.rule.enabled && v.status.state == AlertRuleState::Pending;
                }
                m_summary->setText(tr("%1: %2 firing, %3 pending. Rules are evaluated by the guard every 15 s; "
                                      "change them with \"mldeckctl alerts rules set\".")
                                       .arg(deployment)
                                       .arg(firing)
                                       .arg(pending));
            }
            Q_EMIT rulesUpdated();
        });
}

} // namespace mldeck::ui
