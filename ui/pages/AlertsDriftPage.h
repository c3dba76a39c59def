#pragma once

#include "ui/pages/drift/SilenceDialog.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;
class QTimer;

namespace mldeck {
class AlertsService;
class DriftService;
struct Alert;
struct ConnectionProfile;
struct DriftView;
template <typename T> class Result;
} // namespace mldeck

namespace mldeck::ui {

class AlertRulesView;
class AlertsTableModel;
class ConnectionSession;
class DriftCharts;
class DriftReferenceBar;
class DriftTableModel;
class InfoBar;
class PageFrame;
class ReadSourceLine;

// Alerts & Drift: the alert list (acknowledge, silence: both audited) over the drift table of a
// deployment (test, score, threshold, status, sparkline); selecting a feature shows reference vs
// current histograms and the score's history. All work runs in AlertsService/DriftService.
class AlertsDriftPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsDriftPage)

public:
    static constexpr int kRefreshMs = 30'000;

    explicit AlertsDriftPage(ConnectionSession &session, QWidget *parent = nullptr);
    ~AlertsDriftPage() override;

    void setSilenceAsker(SilenceAsker asker) { m_askSilence = std::move(asker); }
    void refresh();
    // Shows the alert selected in the list (the Audit page's link to an alert change).
    void showAlert(const QString &deployment, qint64 alertId);

    AlertsTableModel &alertsModel() const { return *m_alertsModel; }
    DriftTableModel &driftModel() const { return *m_driftModel; }
    QTableView *alertsView() const { return m_alertsView; }
    QTableView *driftView() const { return m_driftView; }
    QPushButton *acknowledgeButton() const { return m_ack; }
    QPushButton *silenceButton() const { return m_silence; }
    DriftCharts *charts() const { return m_charts; }
    DriftReferenceBar *referenceBar() const { return m_reference; } // the reference in use, filling state
    AlertRulesView *rulesView() const { return m_rules; }           // the KPI alert rules tab
    // With a read replica: where the drift figures were read (the standby and its lag, or the fallback notice).
    ReadSourceLine *driftReadSource() const { return m_driftSource; }
    QString statusText() const;

Q_SIGNALS:
    void alertsUpdated();
    void driftUpdated();

private:
    QWidget *buildBody();
    QWidget *buildAlerts(QWidget *parent);
    QWidget *buildDrift(QWidget *parent);
    void connectServices();
    void connectControls();
    void onAlertsListed(const Result<QList<Alert>> &alerts);
    void onActionFinished(const Result<QString> &message);
    void onDeploymentsListed(const Result<QStringList> &names);
    void onDriftRefreshed(const Result<DriftView> &drift);
    void connectTo(const mldeck::ConnectionProfile &profile);
    void updateButtons();
    void acknowledgeSelected();
    void silenceSelected();
    void showSelectedFeature();
    qint64 selectedAlertId() const;
    qint64 m_wantedAlert = 0; // selected when the next list arrives

    ConnectionSession &m_session;
    PageFrame *m_frame = nullptr;
    AlertsService *m_alerts = nullptr;
    DriftService *m_drift = nullptr;
    AlertsTableModel *m_alertsModel = nullptr;
    DriftTableModel *m_driftModel = nullptr;
    QTableView *m_alertsView = nullptr;
    QTableView *m_driftView = nullptr;
    QPushButton *m_ack = nullptr;
    QPushButton *m_silence = nullptr;
    QPushButton *m_refresh = nullptr;
    QComboBox *m_deployment = nullptr;
    QLabel *m_driftSummary = nullptr;
    InfoBar *m_info = nullptr;
    DriftReferenceBar *m_reference = nullptr;
    ReadSourceLine *m_driftSource = nullptr;
    DriftCharts *m_charts = nullptr;
    AlertRulesView *m_rules = nullptr;
    QString m_rulesDeployment;
    QTimer *m_timer = nullptr;
    SilenceAsker m_askSilence = askSilenceUntil;
    bool m_connected = false;
};

} // namespace mldeck::ui
