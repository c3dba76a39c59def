#include "ui/pages/RetrainPage.h"

#include "core/domain/Deployment.h"
#include "core/services/RetrainService.h"
#include "ui/ConnectionSession.h"
#include "ui/Pages.h"
#include "ui/pages/retrain/RetrainHistoryView.h"
#include "ui/pages/retrain/RetrainWizard.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTabWidget>
#include <QVBoxLayout>

namespace mldeck::ui {

RetrainPage::RetrainPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new RetrainService(this))
{
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Retrain)));

    m_deployments = new QComboBox(this);
    m_deployments->setObjectName(QStringLiteral("retrainDeployment"));
    m_deployments->setMinimumWidth(200);
    m_deployments->setAccessibleName(tr("Deployment"));
    m_refresh = new QPushButton(tr("Refresh"), this);
    m_refresh->setObjectName(QStringLiteral("retrainRefresh"));
    m_refresh->setToolTip(tr("Read the deployments, the triggers and the runs again"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("retrainPageStatus"));
    m_status->setWordWrap(true);
    auto *top = new QHBoxLayout;
    auto *label = new QLabel(tr("Deployment:"), this);
    label->setObjectName(QStringLiteral("sectionTitle"));
    top->addWidget(label);
    top->addWidget(m_deployments);
    top->addWidget(m_refresh);
    top->addWidget(m_status, 1);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("retrainTabs"));
    m_wizard = new RetrainWizard(*m_service, m_tabs);
    m_history = new RetrainHistoryView(*m_service, m_tabs);
    m_tabs->addTab(m_wizard, tr("Wizard"));
    m_tabs->addTab(m_history, tr("History"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_tabs, 1);

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

void RetrainPage::onDeploymentsListed(const QStringList &deployments, const QString &error)
{
    m_listing = false;
    if (!error.isEmpty()) {
        m_status->setText(tr("Cannot read the deployments: %1").arg(error));
        Q_EMIT deploymentsShown({});
        return;
    }
    QString wanted = !m_wanted.isEmpty() ? m_wanted : m_deployments->currentText();
    if (!deployments.contains(wanted))
        wanted = deployments.contains(QLatin1String(kDefaultDeployment)) ? QString::fromLatin1(kDefaultDeployment)
                                                                         : deployments.value(0);
    {
        const QSignalBlocker block(m_deployments);
        m_deployments->clear();
        m_deployments->addItems(deployments);
        m_deployments->setCurrentIndex(int(deployments.indexOf(wanted)));
    }
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
