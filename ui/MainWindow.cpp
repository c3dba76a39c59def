#include "ui/MainWindow.h"

#include "core/config/Settings.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/SentinelStatusService.h"
#include "ui/ConnectionSession.h"
#include "ui/Icons.h"
#include "ui/dialogs/ConnectionDialog.h"
#include "ui/notifications/DesktopNotifier.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/AuditPage.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/DeploymentsPage.h"
#include "ui/pages/ModelsPage.h"
#include "ui/pages/RetrainPage.h"
#include "ui/pages/RolloutPage.h"
#include "ui/widgets/DependencyIndicator.h"
#include "ui/widgets/HealthIndicator.h"
#include "ui/widgets/InfoBar.h"
#include "ui/widgets/PageFrame.h"
#include "ui/widgets/RedisAccessIndicator.h"
#include "ui/widgets/StandbyIndicator.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

QWidget *createPage(PageId id, ConnectionSession &session, QWidget *parent)
{
    switch (id) {
    case PageId::Dashboard:
        return new DashboardPage(session, parent);
    case PageId::Rollout:
        return new RolloutPage(session, parent);
    case PageId::AlertsDrift:
        return new AlertsDriftPage(session, parent);
    case PageId::Models:
        return new ModelsPage(session, parent);
    case PageId::Retrain:
        return new RetrainPage(session, parent);
    case PageId::Deployments:
        return new DeploymentsPage(session, parent);
    case PageId::Audit:
        return new AuditPage(session, parent);
    }
    return nullptr;
}

} // namespace

MainWindow::MainWindow(ConnectionSession &session, ConnectionMonitor &monitor, QWidget *parent)
    : QMainWindow(parent), m_session(session), m_monitor(monitor)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("MLDeck"));
    setWindowIcon(appIcon());
    setMinimumSize(960, 600);
    resize(1280, 800);

    buildNavigation();
    buildMenus();
    buildStatusBar();
    new DesktopNotifier(m_session, this); // one desktop notification per newly firing alert

    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &MainWindow::onProfileChanged);
    connect(&m_session, &ConnectionSession::permissionsChanged, this, &MainWindow::onPermissionsChanged);
    connect(&m_session, &ConnectionSession::keychainUnavailable, this, [this](const QString &why) {
        m_infoBar->showMessage(tr("The passwords could not be read from the system keychain: %1. Enter them for this "
                                  "session; they stay in memory only.")
                                   .arg(why),
                               InfoBar::Kind::Warning, tr("Enter passwords…"));
    });
    connect(&m_session, &ConnectionSession::configurationProblem, this, [this](const QString &message) {
        m_infoBar->showMessage(message, InfoBar::Kind::Warning, tr("Connect…"));
    });
    connect(m_infoBar, &InfoBar::actionTriggered, this, [this] {
        if (ConnectionDialog *dialog = openConnectionDialog())
            dialog->focusPasswords();
    });
    connect(&m_monitor, &ConnectionMonitor::redisHealthChanged, m_redisHealth, &HealthIndicator::setHealth);
    connect(&m_monitor, &ConnectionMonitor::pgHealthChanged, m_pgHealth, &HealthIndicator::setHealth);
    m_redisHealth->setHealth(m_monitor.redisHealth());
    connect(m_sentinelStatus, &SentinelStatusService::statusChanged, m_redisHealth,
            &HealthIndicator::setSentinelStatus);
    // A change of Redis health (down, up, another master named by the probe) is when the sentinels have news.
    connect(&m_monitor, &ConnectionMonitor::redisHealthChanged, m_sentinelStatus, &SentinelStatusService::refresh);
    // The details panel was opened: fresh figures rather than the last poll's, still off the UI thread.
    connect(m_redisHealth, &HealthIndicator::detailsRequested, m_sentinelStatus, &SentinelStatusService::refresh);
    connect(&m_session, &ConnectionSession::readSourceChanged, m_standby, &StandbyIndicator::showSource);
    m_pgHealth->setHealth(m_monitor.pgHealth());
    onProfileChanged(m_session.activeProfile());
    onPermissionsChanged();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildNavigation()
{
    m_sidebar = new QWidget(this);
    m_sidebar->setObjectName(QStringLiteral("sidebar"));
    m_sidebar->setFixedWidth(232);

    auto *logo = new QLabel(m_sidebar);
    logo->setPixmap(appLogo(34));
    auto *brand = new QLabel(QStringLiteral("MLDeck"), m_sidebar);
    brand->setObjectName(QStringLiteral("brand"));
    auto *brandRow = new QHBoxLayout;
    brandRow->setContentsMargins(18, 18, 18, 14);
    brandRow->setSpacing(10);
    brandRow->addWidget(logo);
    brandRow->addWidget(brand, 1);

    m_navigation = new QListWidget(m_sidebar);
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setIconSize(QSize(20, 20));
    m_navigation->setFrameShape(QFrame::NoFrame);
    m_navigation->setFocusPolicy(Qt::StrongFocus);
    m_navigation->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    m_pages = new QStackedWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    for (PageId id : kAllPages) {
        auto *item = new QListWidgetItem(pageIcon(id), pageTitle(id), m_navigation);
        item->setData(Qt::UserRole, pageKey(id));
        item->setSizeHint(QSize(0, 40));
        QWidget *pageWidget = createPage(id, m_session, m_pages);
        m_pages->addWidget(pageWidget);
        // Every deployment selector's "Manage…" opens the Deployments page on the deployment it shows.
        if (auto *frame = pageWidget->findChild<PageFrame *>(); frame && id != PageId::Deployments)
            connect(frame, &PageFrame::manageDeploymentsRequested, this, [this](const QString &deployment) {
                showPage(PageId::Deployments);
                if (auto *deployments = qobject_cast<DeploymentsPage *>(page(PageId::Deployments)))
                    deployments->selectDeployment(deployment);
            });
    }
    connect(m_navigation, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    connectAuditLinks();

    m_profileLabel = new QLabel(m_sidebar);
    m_profileLabel->setObjectName(QStringLiteral("sidebarProfile"));
    m_profileLabel->setWordWrap(true);
    auto *connectButton = new QPushButton(tr("Connect…"), m_sidebar);
    connectButton->setObjectName(QStringLiteral("sidebarConnect"));
    connect(connectButton, &QPushButton::clicked, this, [this] { openConnectionDialog(); });

    auto *sidebarLayout = new QVBoxLayout(m_sidebar);
    sidebarLayout->setContentsMargins(0, 0, 0, 16);
    sidebarLayout->setSpacing(4);
    sidebarLayout->addLayout(brandRow);
    sidebarLayout->addWidget(m_navigation, 1);
    auto *footer = new QVBoxLayout;
    footer->setContentsMargins(18, 0, 18, 0);
    footer->setSpacing(8);
    footer->addWidget(m_profileLabel);
    footer->addWidget(connectButton);
    sidebarLayout->addLayout(footer);

    m_infoBar = new InfoBar(this);
    auto *content = new QWidget(this);
    content->setObjectName(QStringLiteral("content"));
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->setSpacing(0);
    contentLayout->addWidget(m_infoBar);
    contentLayout->addWidget(m_pages, 1);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_sidebar);
    layout->addWidget(content, 1);
    setCentralWidget(central);

    m_navigation->setCurrentRow(0);
}

// An audit row opens what it changed: the model version, the alert, the moment on the dashboard.
void MainWindow::connectAuditLinks()
{
    auto *audit = qobject_cast<AuditPage *>(page(PageId::Audit));
    connect(audit, &AuditPage::openModelVersion, this, [this](const QString &deployment, const QString &version) {
        showPage(PageId::Models);
        qobject_cast<ModelsPage *>(page(PageId::Models))->showVersion(deployment, version);
    });
    connect(audit, &AuditPage::openAlert, this, [this](const QString &deployment, qint64 alertId) {
        showPage(PageId::AlertsDrift);
        qobject_cast<AlertsDriftPage *>(page(PageId::AlertsDrift))->showAlert(deployment, alertId);
    });
    connect(audit, &AuditPage::openDashboardMoment, this, [this](const QString &deployment, const QDateTime &at) {
        showPage(PageId::Dashboard);
        qobject_cast<DashboardPage *>(page(PageId::Dashboard))->showMoment(deployment, at);
    });
}

void MainWindow::buildMenus()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *connectAction = fileMenu->addAction(tr("&Connect…"), this, [this] { openConnectionDialog(); });
    connectAction->setObjectName(QStringLiteral("actionConnect"));
    connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    fileMenu->addSeparator();
    QAction *quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *viewMenu = menuBar()->addMenu(tr("&View"));
    for (PageId id : kAllPages) {
        const int index = int(id);
        QAction *a = viewMenu->addAction(pageIcon(id), pageTitle(id), this, [this, id] { showPage(id); });
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
    }

    QMenu *settingsMenu = menuBar()->addMenu(tr("&Settings"));
    QMenu *languageMenu = settingsMenu->addMenu(tr("&Language"));
    languageMenu->setObjectName(QStringLiteral("languageMenu"));
    m_languageGroup = new QActionGroup(this);
    m_languageGroup->setExclusive(true);
    const QString current = m_session.settings().value(Settings::Key::Language).toString();
    // Language names are shown in their own language, so they stay untranslated.
    const std::pair<QString, QString> languages[] = {{QString(), tr("System language")},
                                                     {QStringLiteral("en"), QStringLiteral("English")},
                                                     {QStringLiteral("fr"), QStringLiteral("Français")}};
    for (const auto &[code, label] : languages) {
        QAction *a = languageMenu->addAction(label);
        a->setCheckable(true);
        a->setChecked(code == current);
        a->setData(code);
        a->setObjectName(QStringLiteral("actionLanguage_") + (code.isEmpty() ? QStringLiteral("system") : code));
        m_languageGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, code] { setLanguage(code); });
    }

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    QAction *about = helpMenu->addAction(tr("&About MLDeck"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::buildStatusBar()
{
    m_redisHealth = new HealthIndicator(QStringLiteral("Redis"), this);
    m_sentinelStatus = new SentinelStatusService(this);
    m_pgHealth = new HealthIndicator(QStringLiteral("PostgreSQL"), this);
    m_standby = new StandbyIndicator(this);
    statusBar()->setObjectName(QStringLiteral("statusBar"));
    statusBar()->setSizeGripEnabled(false);
    m_dependencies = new DependencyIndicator(this);
    statusBar()->addPermanentWidget(m_dependencies);
    m_role = new QLabel(this);
    m_role->setObjectName(QStringLiteral("roleStatus"));
    statusBar()->addPermanentWidget(m_role);
    m_redisAccess = new RedisAccessIndicator(m_session.redisAccess(), this);
    statusBar()->addPermanentWidget(m_redisAccess);
    statusBar()->addPermanentWidget(m_redisHealth);
    statusBar()->addPermanentWidget(m_pgHealth);
    statusBar()->addPermanentWidget(m_standby);
}

void MainWindow::onProfileChanged(const ConnectionProfile &profile)
{
    m_profileLabel->setText(tr("Profile: %1").arg(profile.name));
    m_profileLabel->setToolTip(tr("Redis %1\nPostgreSQL %2 (database %3)")
                                   .arg(profile.redis.display(), profile.pg.display(), profile.pg.database));
    m_redisHealth->setEndpointDisplay(profile.redis.display());
    m_sentinelStatus->setEndpoint(profile.redis);
    m_pgHealth->setEndpointDisplay(profile.pg.display() + QLatin1Char('/') + profile.pg.database);
    m_standby->setReplica(profile.pgRead);
    m_dependencies->connectTo(profile);
}

void MainWindow::onPermissionsChanged()
{
    const auto &p = m_session.permissions();
    const QString who = p ? p->who() : QString();
    const QString tip = p ? tr("PostgreSQL user %1, MLDeck role %2. Actions this role may not take are disabled.")
                                .arg(p->user(), p->role())
                          : QString();
    m_role->setText(who);
    m_role->setToolTip(tip);
    m_role->setVisible(!who.isEmpty());
    for (PageId id : kAllPages)
        if (auto *frame = page(id)->findChild<PageFrame *>())
            frame->setRole(who, tip);
}

void MainWindow::showPage(PageId id)
{
    m_navigation->setCurrentRow(int(id));
}

PageId MainWindow::currentPage() const
{
    return kAllPages[std::max(0, m_pages->currentIndex())];
}

QWidget *MainWindow::page(PageId id) const
{
    return m_pages->widget(int(id));
}

void MainWindow::restoreState()
{
    Settings &settings = m_session.settings();
    const QByteArray geometry = settings.value(Settings::Key::MainWindowGeometry).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    if (auto page = pageFromKey(settings.value(Settings::Key::LastPage).toString()))
        showPage(*page);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_persistState) {
        Settings &settings = m_session.settings();
        settings.setValue(Settings::Key::MainWindowGeometry, saveGeometry());
        settings.setValue(Settings::Key::LastPage, pageKey(currentPage()));
        (void)settings.sync();
    }
    QMainWindow::closeEvent(event);
}

ConnectionDialog *MainWindow::openConnectionDialog()
{
    if (!m_connectionDialog) {
        m_connectionDialog = new ConnectionDialog(m_session, this);
        m_connectionDialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_connectionDialog, &QObject::destroyed, this, [this] { m_connectionDialog = nullptr; });
        connect(m_connectionDialog, &QDialog::accepted, m_infoBar, &InfoBar::hide);
    }
    m_connectionDialog->show();
    m_connectionDialog->raise();
    m_connectionDialog->activateWindow();
    return m_connectionDialog;
}

void MainWindow::setLanguage(const QString &code)
{
    Settings &settings = m_session.settings();
    if (settings.value(Settings::Key::Language).toString() == code)
        return;
    settings.setValue(Settings::Key::Language, code);
    (void)settings.sync();
    // Every string is translated when its widget is built, so the new language applies on restart.
    m_infoBar->showMessage(tr("The language will change the next time MLDeck starts."), InfoBar::Kind::Info);
}

void MainWindow::showAbout()
{
    QMessageBox box(this);
    box.setWindowTitle(tr("About MLDeck"));
    box.setIconPixmap(appLogo(64));
    box.setText(QStringLiteral("<h3>MLDeck %1</h3>").arg(QStringLiteral(MLDECK_VERSION)));
    box.setInformativeText(tr("A control room for a machine-learning model in production: rollout flags, "
                              "KPIs, drift, retraining and an audit trail, on the same Redis and PostgreSQL "
                              "as the serving backend.<br><br>Built with Qt %1.")
                               .arg(QString::fromLatin1(qVersion())));
    box.exec();
}

} // namespace mldeck::ui
