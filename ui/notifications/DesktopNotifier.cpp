#include "ui/notifications/DesktopNotifier.h"

#include "core/services/AlertsService.h"
#include "ui/ConnectionSession.h"

#include <QApplication>
#include <QMainWindow>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTimer>

namespace mldeck::ui {

DesktopNotifier::DesktopNotifier(ConnectionSession &session, QWidget *window)
    : QObject(window), m_window(window), m_alerts(new AlertsService(this)), m_timer(new QTimer(this))
{
    connect(m_alerts, &AlertsService::alertsListed, this, &DesktopNotifier::handleAlerts);
    connect(m_timer, &QTimer::timeout, this, &DesktopNotifier::refresh);
    connect(&session, &ConnectionSession::activeProfileChanged, this, &DesktopNotifier::connectTo);
    if (!session.activeProfile().name.isEmpty())
        connectTo(session.activeProfile());
    m_timer->start(kRefreshMs);
}

DesktopNotifier::~DesktopNotifier() = default;

void DesktopNotifier::connectTo(const ConnectionProfile &profile)
{
    m_alerts->setEndpoint(profile.pg);
    m_connected = true;
    // Another database: its open alerts are not news.
    m_seen.clear();
    m_seeded = false;
    refresh();
}

void DesktopNotifier::refresh()
{
    if (m_connected)
        m_alerts->refresh(QString(), false);
}

void DesktopNotifier::handleAlerts(const Result<QList<Alert>> &alerts)
{
    if (!alerts) {
        Q_EMIT alertsChecked(); // keep what we have seen: a failed read must not re-announce everything
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const Alert &a : *alerts) {
        if (a.resolved() || m_seen.contains(a.id))
            continue;
        m_seen.insert(a.id);
        if (!m_seeded || a.silencedAt(now) || a.acknowledgedAt.isValid())
            continue;
        const QString title = a.severity == QLatin1String("critical")
                                  ? tr("MLDeck: critical alert on %1").arg(a.deployment)
                                  : tr("MLDeck: alert on %1").arg(a.deployment);
        show(title, a.title, a);
    }
    m_seeded = true;
    Q_EMIT alertsChecked();
}

void DesktopNotifier::show(const QString &title, const QString &message, const Alert &alert)
{
    ++m_count;
    if (m_sink) {
        m_sink(title, message, alert);
    } else if (QSystemTrayIcon::isSystemTrayAvailable()) {
        if (!m_tray) {
            m_tray = new QSystemTrayIcon(m_window ? m_window->windowIcon() : QApplication::windowIcon(), this);
            m_tray->setToolTip(tr("MLDeck"));
            m_tray->show();
        }
        m_tray->showMessage(
            title, message,
            alert.severity == QLatin1String("critical") ? QSystemTrayIcon::Critical : QSystemTrayIcon::Warning, 15'000);
    } else if (auto *main = qobject_cast<QMainWindow *>(m_window.data())) {
        // No tray (many Wayland desktops, offscreen): say it in the window and ask for attention.
        main->statusBar()->showMessage(QStringLiteral("%1: %2").arg(title, message), 30'000);
        QApplication::alert(main);
    }
    Q_EMIT notified(alert.id);
}

} // namespace mldeck::ui
