#pragma once

#include "core/services/Health.h"
#include "core/services/SentinelStatus.h"

#include "ui/widgets/DetailsPopup.h"

#include <QDateTime>
#include <QTimer>
#include <QWidget>

class QLabel;

namespace mldeck::ui {

class StatusDot;

// One status-bar indicator: a coloured dot and "Redis: down — retry in 4 s", with the details
// in the tooltip. It shows exactly the state of the last report: never "up" after a failed probe.
// Behind Sentinel a click opens the master, the sentinels and the replicas in a DetailsPopup.
class HealthIndicator final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthIndicator)

public:
    static constexpr int kMaxTextWidth = 420; // px; the rest of a longer summary is elided (whole in text())

    explicit HealthIndicator(const QString &serviceName, QWidget *parent = nullptr);

    void setHealth(const mldeck::Health &health);
    void setEndpointDisplay(const QString &endpoint); // host:port, shown in the tooltip
    // Behind Sentinel: the master, the sentinels reached and each replica, listed in the tooltip; nullopt: none.
    void setSentinelStatus(const std::optional<mldeck::SentinelStatus> &status);
    mldeck::Health health() const { return m_health; }
    QString text() const;

    // Behind Sentinel: opens the details panel (what a click does) and asks for fresh figures (detailsRequested).
    void showDetails();
    DetailsPopup *detailsPopup() const { return m_details; } // nullptr until first opened

    // Pure formatting, shared with tests: "PostgreSQL: up — schema v1".
    static QString summary(const QString &serviceName, const mldeck::Health &health, int retryInSeconds);
    static QColor stateColor(mldeck::Health::State state);
    // One plain-text line each: "Master: H:P", "Sentinels: 2 of 3 reached", "Replica H:P: online, 0 bytes behind"…
    static QStringList sentinelLines(const mldeck::SentinelStatus &status);
    // The same as label/value rows for the details panel; problems and missing replicas as warnings.
    static QList<DetailsPopup::Row> sentinelRows(const mldeck::SentinelStatus &status);

Q_SIGNALS:
    void detailsRequested(); // the panel was opened: its owner probes again rather than show a 5 s old answer

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    void refresh();
    void refreshDetails();

    QString m_service;
    QString m_endpoint;
    QString m_text; // the whole summary; the label may show it elided
    std::optional<mldeck::SentinelStatus> m_sentinel;
    QDateTime m_sentinelAt; // when m_sentinel arrived
    mldeck::Health m_health;
    QDateTime m_retryAt; // when a Down service will be probed again, for the countdown
    QTimer m_countdown;
    StatusDot *m_dot = nullptr;
    QLabel *m_label = nullptr;
    DetailsPopup *m_details = nullptr;
};

} // namespace mldeck::ui
