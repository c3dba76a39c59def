#include "ui/pages/RetrainPage.h"

#include "core/domain/Deployment.h"
#include "core/services/RedisAccessService.h"
#include "core/services/RetrainService.h"
#include "ui/ConnectionSession.h"
#include "ui/Pages.h"
#include "ui/pages/retrain/RetrainHistoryView.h"
#include "ui/pages/retrain/RetrainWizard.h"
#include "ui/widgets/PageFrame.h"
#include "ui/widgets/RoleGate.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTabWidget>

namespace mldeck::ui {

RetrainPage::RetrainPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new RetrainService(this))
{
    m_frame = PageFrame::install(this, PageId::Retrain,
                                 tr("Retrain a deployment's model on fresh data, evaluate it against the champion "
                                    "and decide; every run is kept."),
                                 PageFrame::Selector::Deployment);
    m_deployments = m_frame->deploymentSelector();
    m_refresh = m_frame->refreshButton();
    m_refresh->setToolTip(tr("Read the deployments, the triggers and the runs again"));
    m_status = new QLabel(m_frame);
    m_status->setObjectName(QStringLiteral("retrainPageStatus"));
    m_status->setWordWrap(true);
    m_frame->addToBar(m_status, 1);

    m_tabs = new QTabWidget(m_frame);
    m_tabs->setObjectName(QStringLiteral("retrainTabs"));
    m_wizard = new RetrainWizard(*m_service, m_tabs);
    m_wizard->setPermissions(m_session.permissions()); // already known when the page opens late
    m_wizard->setRedisRefusal(redisRefusal(m_session.redisAccess().access()));
    m_history = new RetrainHistoryView(*m_service, m_tabs);
    m_tabs->addTab(m_wizard, tr("Wizard"));
    m_tabs->addTab(m_history, tr("History"));
    m_frame->setBody(m_tabs);

    connect(m_service, &RetrainService::deploymentsListed, this, &RetrainPage::onDeploymentsListed);
    connect(m_refresh, &QPushButton::clicked, this, [this] {
        if (!m_listing) {
            m_listing = true;
            m_service->listDeployments();
        }
        if (m_tabs->currentWidget() == m_history)
            m_history->refresh();
        else if (!m_wizard->isRunning() && m_wizard->currentStep() == RetrainWizard::WhyNowStep)
            m_wizard->restart();
    });
    connect(m_deployments, &QComboBox::currentTextChanged, this, [this](const QString &d) {
        if (!d.isEmpty())
            useDeployment(d);
    });
    // While a run goes on the deployment stays put: the run belongs to it.
    connect(m_wizard, &RetrainWizard::runningChanged, this, [this](bool running) {
        m_deployments->setEnabled(!running);
        if (!running)
            m_history->refresh();
    });
    connect(m_wizard, &RetrainWizard::decisionApplied, m_history, &RetrainHistoryView::refresh);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int) {
        if (m_tabs->currentWidget() == m_history)
            m_history->refresh();
    });
    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &RetrainPage::connectTo);
    connect(&m_session, &ConnectionSession::permissionsChanged, this,
            [this] { m_wizard->setPermissions(m_session.permissions()); });
    connect(&m_session.redisAccess(), &RedisAccessService::accessChanged, this,
            [this](const RedisAccess &access) { m_wizard->setRedisRefusal(redisRefusal(access)); });
    if (!m_session.activeProfile().name.isEmpty())
        connectTo(m_session.activeProfile());
    else
        m_status->setText(tr("Not connected."));
}

RetrainPage::~RetrainPage() = default;

QString RetrainPage::currentDeployment() const
{
    return m_deployments->currentText();
}

void RetrainPage::selectDeployment(const QString &deployment)
{
    m_wanted = deployment;
    const int i = m_deployments->findText(deployment);
    if (i >= 0)
        m_deployments->setCurrentIndex(i);
    else if (!m_listing) {
        m_listing = true;
        m_service->listDeployments();
    }
}

void RetrainPage::connectTo(const ConnectionProfile &profile)
{
    m_service->setEndpoints(profile.pg, profile.redis);
    m_status->setText(tr("Reading the deployments…"));
    m_listing = true;
    m_service->listDeployments();
}

void RetrainPage::onDeploymentsListed(const Result<QStringList> &listed)
{
    m_listing = false;
    if (!listed) {
        m_status->setText(tr("Cannot read the deployments: %1").arg(listed.errorMessage()));
        Q_EMIT deploymentsShown({});
        return;
    }
    const QStringList &deployments = *listed;
    const QString wanted = m_frame->showDeployments(deployments, m_wanted);
    m_status->setText(deployments.isEmpty()
                          ? tr("No deployment yet: register a model with “mldeckctl models register” or start the demo "
                               "with “mldeckctl simulate”, then press Refresh.")
                          : QString());
    if (!wanted.isEmpty())
        useDeployment(wanted);
    Q_EMIT deploymentsShown(deployments);
}

void RetrainPage::useDeployment(const QString &deployment)
{
    m_wanted = deployment;
    m_wizard->setDeployment(deployment);
    m_history->setDeployment(deployment);
}

} // namespace mldeck::ui
