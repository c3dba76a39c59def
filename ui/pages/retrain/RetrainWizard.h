#pragma once

#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/RolePermissions.h"
#include "ui/pages/rollout/Confirmer.h"

#include <QWidget>

#include <optional>

class QLabel;
class QPushButton;
class QStackedWidget;

namespace mldeck {
class RetrainService;
}

namespace mldeck::ui {

class DataStep;
class DecisionStep;
class EvaluationStep;
class RunStep;
class StepIndicator;
class TrainingStep;
class TriggerStep;

// The retrain wizard: six steps in a QStackedWidget with Back / Next / Cancel and a step indicator.
// Every request goes through RetrainService (workers); the UI thread never waits.
class RetrainWizard final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainWizard)

public:
    enum Step
    {
        WhyNowStep,
        DataStepIndex,
        TrainingStepIndex,
        RunStepIndex,
        EvaluationStepIndex,
        DecisionStepIndex,
        StepCount
    };

    explicit RetrainWizard(RetrainService &service, QWidget *parent = nullptr);

    void setConfirmer(Confirmer confirmer) { m_confirm = std::move(confirmer); }
    // A new deployment starts over (unless a run is going: it finishes first).
    void setDeployment(const QString &deployment);
    QString deployment() const { return m_deployment; }
    int currentStep() const;
    bool isRunning() const;
    const std::optional<retrain::RetrainOutcome> &outcome() const { return m_outcome; }
    // What the connected role may launch and decide (nullopt: unknown, the database decides).
    void setPermissions(const std::optional<RolePermissions> &permissions);
    // Why the champion may not be published in Redis (a read-only Redis user); empty when it may.
    void setRedisRefusal(const QString &why);

public Q_SLOTS:
    void restart();

Q_SIGNALS:
    void runFinished(const QString &state); // "succeeded", "failed" or "cancelled"
    void decisionApplied(bool ok, const QString &message);
    void runningChanged(bool running);

private:
    void goTo(int step);
    void next();
    void back();
    void cancel();
    void updateButtons();
    void startRun();
    void onTriggers(const Result<TriggerCheck> &check);
    void onSummary(const Result<retrain::DataSummary> &summary);
    void onSettings(const QString &deployment, const Result<RetrainSettings> &settings);
    void onProgress(const retrain::RetrainProgress &progress);
    void onRunFinished(const retrain::RetrainOutcome &outcome);
    void onDecisionApplied(const Result<RetrainRun> &run);
    void apply(retrain::RetrainAction action);

    RetrainService &m_service;
    Confirmer m_confirm;
    QString m_deployment;
    StepIndicator *m_indicator = nullptr;
    QStackedWidget *m_stack = nullptr;
    TriggerStep *m_trigger = nullptr;
    DataStep *m_data = nullptr;
    TrainingStep *m_training = nullptr;
    RunStep *m_run = nullptr;
    EvaluationStep *m_evaluation = nullptr;
    DecisionStep *m_decision = nullptr;
    QPushButton *m_back = nullptr;
    QPushButton *m_next = nullptr;
    QPushButton *m_cancel = nullptr;
    QLabel *m_title = nullptr;

    std::optional<retrain::RetrainOutcome> m_outcome;
    bool m_summarizing = false;
    bool m_applying = false;
    bool m_applied = false; // the candidate was promoted, kept or discarded: no going back
    retrain::RetrainAction m_pendingAction = retrain::RetrainAction::KeepAsChallenger;
    bool m_pendingRollout = false;
    QString m_summaryFor; // the deployment the pending summary is for: a late answer for another is dropped
    // The deployment's decision rule (minimum improvement, a classifier's metric), read at each restart.
    std::optional<RetrainSettings> m_settings;
    std::optional<RolePermissions> m_permissions;
};

} // namespace mldeck::ui
