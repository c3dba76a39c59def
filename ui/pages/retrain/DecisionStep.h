#pragma once

#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/RolePermissions.h"

#include <optional>

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace mldeck::ui {

// Step 6: what to do with the registered candidate: Promote (only when the decision says so),
// Keep as challenger, or Discard; optionally a rollout plan at 10 %. Then the result and "Start another".
class DecisionStep final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DecisionStep)

public:
    explicit DecisionStep(QWidget *parent = nullptr);

    void setOutcome(const retrain::RetrainOutcome &outcome);
    void showBusy();
    void showApplied(const RetrainRun &run, retrain::RetrainAction action, bool rolloutPlan);
    void showError(const QString &error);
    bool startRolloutPlan() const;
    // What the connected role may decide (nullopt: unknown, the database decides).
    void setPermissions(const std::optional<RolePermissions> &permissions);
    // Why the champion may not be published in Redis (a read-only Redis user); empty when it may.
    void setRedisRefusal(const QString &why);
    QString reason() const;

Q_SIGNALS:
    void actionRequested(mldeck::retrain::RetrainAction action);
    void startAnotherRequested();

private:
    void setActionsEnabled(bool enabled);
    void showChecks(const QJsonObject &checks);

    QLabel *m_summary = nullptr;
    QLabel *m_checks = nullptr; // the candidate's model checks
    QLineEdit *m_reason = nullptr;
    QCheckBox *m_rollout = nullptr;
    QPushButton *m_promote = nullptr;
    QPushButton *m_challenger = nullptr;
    QPushButton *m_discard = nullptr;
    QLabel *m_result = nullptr;
    QPushButton *m_again = nullptr;
    bool m_promoteAllowed = false;
    bool m_hasCandidate = false;
    bool m_actionsEnabled = false;
    std::optional<RolePermissions> m_permissions;
    QString m_redisRefusal;
};

} // namespace mldeck::ui
