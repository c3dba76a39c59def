#pragma once

#include "core/services/Health.h"
#include "core/services/SentinelStatus.h"

#include <QDateTime>
#include <QTimer>
#include <QWidget>

class QLabel;

namespace mldeck::ui {

// One status-bar indicator: a coloured dot and "Redis: down — retry in 4 s", with the details
// in the tooltip. It shows exactly the state of the last report: never "up" after a failed probe.
class HealthIndicator final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthIndicator)

public:
    explicit HealthIndicator(const QString &serviceName, QWidget *parent = nullptr);

    void setHealth(const mldeck::Health &health);
    void setEndpointDisplay(const QString &endpoint); // host:port, shown in the tooltip
    // Behind Sentinel: the master, the sentinels reached and each replica, listed in the tooltip; nullopt: none.
    void setSentinelStatus(const std::optional<mldeck::SentinelStatus> &status);
    mldeck::Health health() const { return m_health; }
    QString text() const;

    // Pure formatting, shared with tests: "PostgreSQL: up — schema v1".
    static QString summary(const QString &serviceName, const mldeck::Health &health, int retryInSeconds);
    static QColor stateColor(mldeck::Health::State state);
    // One plain-text line each: "Master: H:P", "Sentinels: 2 of 3 reached", "Replica H:P: online, 0 bytes behind"…
    static QStringList sentinelLines(const mldeck::SentinelStatus &status);

private:
    void refresh();

    QString m_service;
    QString m_endpoint;
    std::optional<mldeck::SentinelStatus> m_sentinel;
    mldeck::Health m_health;
    QDateTime m_retryAt; // when a Down service will be probed again, for the countdown
    QTimer m_countdown;
    QWidget *m_dot = nullptr;
    QLabel *m_label = nullptr;
};

} // namespace mldeck::ui
