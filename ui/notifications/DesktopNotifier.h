#pragma once

#include "core/domain/Alert.h"
#include "core/domain/Result.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <functional>

class QSystemTrayIcon;
class QTimer;
class QWidget;

namespace mldeck {
class AlertsService;
struct ConnectionProfile;
} // namespace mldeck

namespace mldeck::ui {

class ConnectionSession;

// Watches the alert list (an AlertsService refresh every 10 s) and shows one desktop notification
// per NEWLY firing alert: a tray balloon when a system tray exists, else a message in the main
// window's status bar. Alerts already open when the first listing arrives count as seen (no burst
// at start-up); silenced and acknowledged alerts are not announced. The sink is injectable for tests.
class DesktopNotifier final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DesktopNotifier)

public:
    static constexpr int kRefreshMs = 10'000;
    using Sink = std::function<void(const QString &title, const QString &message, const mldeck::Alert &alert)>;

    // `window` shows the in-window fallback and owns this object.
    DesktopNotifier(ConnectionSession &session, QWidget *window);
    ~DesktopNotifier() override;

    void setSink(Sink sink) { m_sink = std::move(sink); }
    void refresh();
    // One listing of the alerts (what AlertsService answered). Public for tests.
    void handleAlerts(const mldeck::Result<QList<mldeck::Alert>> &alerts);
    int notificationCount() const { return m_count; }

Q_SIGNALS:
    void alertsChecked();
    void notified(qint64 alertId);

private:
    void connectTo(const mldeck::ConnectionProfile &profile);
    void show(const QString &title, const QString &message, const mldeck::Alert &alert);

    QPointer<QWidget> m_window;
    AlertsService *m_alerts = nullptr;
    QTimer *m_timer = nullptr;
    QSystemTrayIcon *m_tray = nullptr;
    Sink m_sink;
    QSet<qint64> m_seen;
    bool m_seeded = false;
    bool m_connected = false;
    int m_count = 0;
};

} // namespace mldeck::ui
