#pragma once

#include "core/config/ConnectionProfile.h"
#include "ui/Pages.h"

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;
class QActionGroup;

namespace mldeck {
class ConnectionMonitor;
class SentinelStatusService;
} // namespace mldeck

namespace mldeck::ui {

class ConnectionDialog;
class ConnectionSession;
class DependencyIndicator;
class RedisAccessIndicator;
class HealthIndicator;
class InfoBar;
class StandbyIndicator;

// A thin shell: navigation on the left, one widget per page in a stack, menus, and the health of
// Redis, PostgreSQL and its read replica in the status bar, with the serving backend's dependencies that are not up.
// Pages own their content; this class only switches.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(ConnectionSession &session, ConnectionMonitor &monitor, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPage(PageId id);
    PageId currentPage() const;
    QWidget *page(PageId id) const;

    QListWidget *navigation() const { return m_navigation; }
    HealthIndicator *redisIndicator() const { return m_redisHealth; }
    HealthIndicator *pgIndicator() const { return m_pgHealth; }
    StandbyIndicator *standbyIndicator() const { return m_standby; }
    DependencyIndicator *dependencyIndicator() const { return m_dependencies; }
    RedisAccessIndicator *redisAccessIndicator() const { return m_redisAccess; }
    InfoBar *infoBar() const { return m_infoBar; }

    // Off for --screenshot: the window neither restores nor saves geometry and last page.
    void setPersistState(bool persist) { m_persistState = persist; }
    void restoreState();

    ConnectionDialog *openConnectionDialog(); // non-modal; one at a time

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildNavigation();
    void connectAuditLinks();
    void buildMenus();
    void buildStatusBar();
    void onProfileChanged(const mldeck::ConnectionProfile &profile);
    void onPermissionsChanged(); // who and which role: the status bar and every page's header
    void setLanguage(const QString &code);
    void showAbout();

    ConnectionSession &m_session;
    ConnectionMonitor &m_monitor;
    bool m_persistState = true;

    QWidget *m_sidebar = nullptr;
    QListWidget *m_navigation = nullptr;
    QStackedWidget *m_pages = nullptr;
    InfoBar *m_infoBar = nullptr;
    QLabel *m_profileLabel = nullptr;
    HealthIndicator *m_redisHealth = nullptr;
    HealthIndicator *m_pgHealth = nullptr;
    StandbyIndicator *m_standby = nullptr; // the read replica's lag, as the pages' reads measured it
    DependencyIndicator *m_dependencies = nullptr;
    RedisAccessIndicator *m_redisAccess = nullptr;
    SentinelStatusService *m_sentinelStatus = nullptr; // behind Sentinel: master and replicas, for m_redisHealth
    QLabel *m_role = nullptr;
    QActionGroup *m_languageGroup = nullptr;
    ConnectionDialog *m_connectionDialog = nullptr;
};

} // namespace mldeck::ui
