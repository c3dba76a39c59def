#pragma once

#include "core/domain/FlagState.h"
#include "ui/pages/rollout/Confirmer.h"
#include "ui/pages/rollout/RolloutState.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QGroupBox;

namespace mldeck {
class RolloutService;
struct ApplyOutcome;
struct ConnectionProfile;
struct FlagEdit;
struct PlanStatus;
struct WhatIf;
template <typename T> class Result;
} // namespace mldeck

namespace mldeck::ui {

class ConfirmedStatePanel;
class ConnectionSession;
class InfoBar;
class PageFrame;
class PercentageControl;
class PlanPanel;
class ToggleSwitch;
class WhatIfPanel;

// Rollout control for ops: the flags of one deployment (ML on/off, traffic percentage, fallback),
// a Rollback button, a what-if preview and the staged plan with its gates. Every change is one
// compare-and-set write through RolloutService; the page always shows the state read back from
// Redis, says so loudly when someone else changed it, and disables editing while not connected.
class RolloutPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RolloutPage)

public:
    static constexpr int kConfirmIncreaseOverPoints = 25;
    static constexpr int kWhatIfDebounceMs = 250;
    static constexpr int kPlanRefreshMs = 5000;
    static constexpr int kHeartbeatMs = 3000;

    explicit RolloutPage(ConnectionSession &session, QWidget *parent = nullptr);
    ~RolloutPage() override;

    // Tests answer confirmations through this instead of a modal dialog.
    void setConfirmer(Confirmer confirmer);

    RolloutService &service() const { return *m_service; }
    QString currentDeployment() const { return m_state.deployment; }
    const FlagState &confirmedState() const { return m_state.confirmed; }
    bool isConnected() const { return m_state.connected; }

private:
    static QString describe(const FlagState &state); // "ML on, 25 %, fallback on"
    void buildUi();
    QWidget *buildBody();
    QGroupBox *buildControls(QWidget *parent);
    QPushButton *buildRollbackButton(QWidget *parent);
    void connectControls();
    void connectService();
    void connectTo(const ConnectionProfile &profile);
    void selectDeployment(const QString &name);
    void listDeployments();
    void retryNow(); // list again and re-read the flags of the selected deployment

    void onDeploymentsListed(const Result<QStringList> &names);
    void onFlagsChanged(const FlagState &state, bool changedByOther, const QString &changedBy);
    void onApplied(const ApplyOutcome &outcome);
    void onRolledBack(const ApplyOutcome &outcome);
    void onWhatIf(const Result<WhatIf> &whatIf);
    void onConnectionProblem(const QString &message);

    void commitPercentage(int percentage);
    void commitMlEnabled(bool enabled);
    void commitFallback(bool enabled);
    void sendEdit(const FlagEdit &edit);
    void rollback();
    void advancePlan(const QString &overrideReason);
    void requestWhatIf(int percentage);
    void sendWhatIf();

    void showConfirmed(const FlagState &state);
    void resetControls();
    void setConnected(bool connected, const QString &why = {});
    void setBusyText(const QString &text, bool error = false);
    void updateEnabled();
    bool confirm(const QString &title, const QString &text, const QString &acceptText);
    qint64 expectedVersion() const;
    int confirmedPercentage() const; // 0 when the stored value is invalid

    ConnectionSession &m_session;
    RolloutService *m_service = nullptr;
    Confirmer m_confirm;
    PageFrame *m_frame = nullptr;

    QComboBox *m_deployment = nullptr;
    QPushButton *m_refresh = nullptr;
    InfoBar *m_connectionBar = nullptr;
    InfoBar *m_eventBar = nullptr;
    QLabel *m_noDeployments = nullptr;
    QWidget *m_body = nullptr;
    ToggleSwitch *m_mlSwitch = nullptr;
    QLabel *m_mlInvalid = nullptr;
    ToggleSwitch *m_fallbackSwitch = nullptr;
    QLabel *m_fallbackInvalid = nullptr;
    PercentageControl *m_percentage = nullptr;
    QLineEdit *m_reason = nullptr;
    QLabel *m_busy = nullptr;
    QPushButton *m_rollback = nullptr;
    ConfirmedStatePanel *m_confirmedPanel = nullptr;
    WhatIfPanel *m_whatIf = nullptr;
    PlanPanel *m_plan = nullptr;

    QTimer m_whatIfDebounce;
    QTimer m_planRefresh;
    QTimer m_heartbeat;

    RolloutState m_state;
};

} // namespace mldeck::ui
