#include "ui/pages/retrain/RetrainWizard.h"

#include "core/services/RetrainService.h"
#include "ui/pages/retrain/DataStep.h"
#include "ui/pages/retrain/DecisionStep.h"
#include "ui/pages/retrain/EvaluationStep.h"
#include "ui/pages/retrain/RunStep.h"
#include "ui/pages/retrain/StepIndicator.h"
#include "ui/pages/retrain/TrainingStep.h"
#include "ui/pages/retrain/TriggerStep.h"
#include "ui/widgets/RoleGate.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace mldeck::ui {

RetrainWizard::RetrainWizard(RetrainService &service, QWidget *parent)
    : QWidget(parent), m_service(service), m_confirm(messageBoxConfirmer(this))
{
    setObjectName(QStringLiteral("retrainWizard"));
    m_indicator = new StepIndicator(
        {tr("Why now"), tr("Data"), tr("Training"), tr("Run"), tr("Evaluation"), tr("Decision")}, this);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("retrainStepTitle"));
    QFont f = m_title->font();
    f.setPointSizeF(f.pointSizeF() * 1.35);
    f.setBold(true);
    m_title->setFont(f);

    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("retrainStack"));
    m_trigger = new TriggerStep(m_stack);
    m_data = new DataStep(m_stack);
    m_training = new TrainingStep(m_stack);
    m_run = new RunStep(m_stack);
    m_evaluation = new EvaluationStep(m_stack);
    m_decision = new DecisionStep(m_stack);
    for (QWidget *w : std::initializer_list<QWidget *>{m_trigger, m_data, m_training, m_run, m_evaluation, m_decision})
        m_stack->addWidget(w);

    m_back = new QPushButton(tr("‹ Back"), this);
    m_back->setObjectName(QStringLiteral("retrainBack"));
    m_next = new QPushButton(tr("Next ›"), this);
    m_next->setObjectName(QStringLiteral("retrainNext"));
    m_next->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("retrainCancel"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_cancel);
    buttons->addStretch(1);
    buttons->addWidget(m_back);
    buttons->addWidget(m_next);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_indicator);
    layout->addWidget(m_title);
    layout->addWidget(m_stack, 1);
    layout->addLayout(buttons);

    connect(m_back, &QPushButton::clicked, this, &RetrainWizard::back);
    connect(m_next, &QPushButton::clicked, this, &RetrainWizard::next);
    connect(m_cancel, &QPushButton::clicked, this, &RetrainWizard::cancel);
    connect(m_trigger, &TriggerStep::changed, this, &RetrainWizard::updateButtons);
    connect(m_trigger, &TriggerStep::recheckRequested, this, &RetrainWizard::restart);
    connect(m_data, &DataStep::changed, this, &RetrainWizard::updateButtons);
    connect(m_data, &DataStep::summarizeRequested, this, [this] {
        if (m_summarizing || m_deployment.isEmpty())
            return;
        retrain::RetrainRequest req;
        req.deployment = m_deployment;
        m_data->fill(req);
        m_summarizing = true;
        m_summaryFor = m_deployment;
        m_data->showBusy();
        m_service.summarize(req);
    });
    connect(m_training, &TrainingStep::changed, this, &RetrainWizard::updateButtons);
    connect(m_run, &RunStep::startAnotherRequested, this, &RetrainWizard::restart);
    connect(m_decision, &DecisionStep::startAnotherRequested, this, &RetrainWizard::restart);
    connect(m_decision, &DecisionStep::actionRequested, this, &RetrainWizard::apply);

    connect(&m_service, &RetrainService::triggersChecked, this, &RetrainWizard::onTriggers);
    connect(&m_service, &RetrainService::summarized, this, &RetrainWizard::onSummary);
    connect(&m_service, &RetrainService::settingsLoaded, this, &RetrainWizard::onSettings);
    connect(&m_service, &RetrainService::runProgress, this, &RetrainWizard::onProgress);
    connect(&m_service, &RetrainService::runFinished, this, &RetrainWizard::onRunFinished);
    connect(&m_service, &RetrainService::decisionApplied, this, &RetrainWizard::onDecisionApplied);
    goTo(WhyNowStep);
}

int RetrainWizard::currentStep() const
{
    return m_stack->currentIndex();
}

bool RetrainWizard::isRunning() const
{
    return m_service.isRunning();
}

void RetrainWizard::setDeployment(const QString &deployment)
{
    if (deployment == m_deployment)
        return;
    m_deployment = deployment;
    if (!isRunning())
        restart();
}

void RetrainWizard::restart()
{
    if (isRunning())
        return;
    m_outcome.reset();
    m_applying = false;
    m_applied = false;
    m_summarizing = false;
    m_data->reset();
    goTo(WhyNowStep);
    if (m_deployment.isEmpty()) {
        m_trigger->showError(tr("choose a deployment first."));
        return;
    }
    m_trigger->showLoading(m_deployment);
    m_service.checkTriggers(m_deployment);
    m_settings.reset();
    m_service.loadSettings(m_deployment);
}

void RetrainWizard::onSettings(const QString &deployment, const Result<RetrainSettings> &settings)
{
    // Unreadable settings leave the rule's defaults (the run reads nothing else from them).
    if (deployment == m_deployment && settings) {
        m_settings = *settings;
        m_training->setAugmentation(settings->imageAugmentation); // the deployment's, editable for this run
    }
}

void RetrainWizard::goTo(int step)
{
    static const char *const titles[StepCount] = {
        QT_TR_NOOP("1. Why now: is a retrain due?"),           QT_TR_NOOP("2. Data: which rows, and what they hold"),
        QT_TR_NOOP("3. Training: how to train the candidate"), QT_TR_NOOP("4. Training the candidate"),
        QT_TR_NOOP("5. Evaluation against the champion"),      QT_TR_NOOP("6. Decision"),
    };
    m_stack->setCurrentIndex(step);
    m_indicator->setCurrent(step);
    m_title->setText(tr(titles[step]));
    updateButtons();
}

void RetrainWizard::setPermissions(const std::optional<RolePermissions> &permissions)
{
    m_permissions = permissions;
    m_decision->setPermissions(permissions);
    updateButtons();
}

void RetrainWizard::setRedisRefusal(const QString &why)
{
    m_decision->setRedisRefusal(why);
}

void RetrainWizard::updateButtons()
{
    const int step = currentStep();
    const bool running = isRunning();
    const bool succeeded = m_outcome && m_outcome->run.state == QLatin1String("succeeded");
    bool nextOk = false;
    switch (step) {
    case WhyNowStep:
        nextOk = m_trigger->canContinue();
        break;
    case DataStepIndex:
        nextOk = m_data->hasSummary() && !m_summarizing;
        break;
    case TrainingStepIndex:
        nextOk = m_training->isValid() && !running;
        break;
    case RunStepIndex:
        nextOk = !running && succeeded;
        break;
    case EvaluationStepIndex:
        nextOk = true;
        break;
    default:
        break;
    }
    m_next->setText(step == TrainingStepIndex ? tr("Start training ›") : tr("Next ›"));
    m_next->setEnabled(nextOk);
    // Starting a run is the role's to take; the other steps only move through the wizard.
    if (step == TrainingStepIndex)
        applyRole(m_next, m_permissions, RoleAction::RetrainLaunch);
    else
        m_next->setToolTip({});
    m_next->setVisible(step != DecisionStepIndex);
    // Once a run has started there is no going back to change its inputs: start another instead.
    m_back->setEnabled(!running && (step == DataStepIndex || step == TrainingStepIndex || step == EvaluationStepIndex ||
                                    (step == DecisionStepIndex && !m_applying && !m_applied)));
    m_cancel->setText(running ? tr("Cancel run") : tr("Start over"));
    m_cancel->setEnabled(running || (step <= TrainingStepIndex && step > WhyNowStep));
    m_cancel->setToolTip(running ? tr("Stop the run: nothing is registered and the champion stays as it is")
                                 : QString());
}

void RetrainWizard::next()
{
    const int step = currentStep();
    if (!m_next->isEnabled())
        return;
    if (step == TrainingStepIndex) {
        startRun();
        return;
    }
    if (step + 1 < StepCount)
        goTo(step + 1);
}

void RetrainWizard::back()
{
    const int step = currentStep();
    if (step > 0 && m_back->isEnabled())
        goTo(step - 1);
}

void RetrainWizard::cancel()
{
    if (isRunning()) {
        // No question: cancelling is always safe (nothing half-written, the champion untouched).
        m_service.cancelRun();
        m_run->showCancelling();
        m_cancel->setEnabled(false);
        return;
    }
    restart();
}

void RetrainWizard::startRun()
{
    if (!m_training->isValid() || m_deployment.isEmpty())
        return;
    retrain::RetrainRequest req;
    req.deployment = m_deployment;
    m_data->fill(req);
    req.training = m_training->params();
    req.augmentation = m_training->augmentation();
    if (m_settings) {
        req.minImprovement = m_settings->minImprovement;
        req.classificationMetric = m_settings->classificationMetric;
    }
    req.force = m_trigger->force();
    req.trigger = m_trigger->due() ? QStringLiteral("feedback") : QStringLiteral("manual");
    m_outcome.reset();
    m_run->start(req.training.epochs);
    if (!m_service.startRun(req)) {
        m_run->showProgress({retrain::RetrainStage::Checking, 0, std::nullopt, tr("Another run is still going.")});
        return;
    }
    Q_EMIT runningChanged(true);
    goTo(RunStepIndex);
}

void RetrainWizard::onTriggers(const Result<TriggerCheck> &check)
{
    // Answers come in the order asked: an error for a deployment no longer shown is followed by the right answer.
    if ((check && check->deployment != m_deployment) || currentStep() != WhyNowStep || m_trigger->hasCheck())
        return;
    if (!check)
        m_trigger->showError(check.errorMessage());
    else
        m_trigger->showCheck(*check);
}

void RetrainWizard::onSummary(const Result<retrain::DataSummary> &summary)
{
    if (!m_summarizing)
        return;
    m_summarizing = false;
    if (m_summaryFor != m_deployment) {
        m_data->reset();
        return;
    }
    if (!summary)
        m_data->showError(summary.errorMessage());
    else
        m_data->showSummary(*summary);
    m_training->setClassifier(summary && !summary->classes.isEmpty());
    m_training->setImages(summary && summary->images);
    updateButtons();
}

void RetrainWizard::onProgress(const retrain::RetrainProgress &progress)
{
    m_run->showProgress(progress);
}

void RetrainWizard::onRunFinished(const retrain::RetrainOutcome &outcome)
{
    m_outcome = outcome;
    m_run->showOutcome(outcome);
    if (outcome.run.state == QLatin1String("succeeded")) {
        m_evaluation->showOutcome(outcome);
        m_decision->setOutcome(outcome);
    }
    Q_EMIT runningChanged(false);
    updateButtons();
    Q_EMIT runFinished(outcome.run.state);
}

void RetrainWizard::apply(retrain::RetrainAction action)
{
    if (!m_outcome || m_applying || m_outcome->run.id == 0)
        return;
    const QString version = m_outcome->candidateVersion;
    const QString dep = m_outcome->run.deployment;
    if (action == retrain::RetrainAction::Promote) {
        if (!m_confirm({tr("Promote %1@%2?").arg(dep, version),
                        tr("%1@%2 becomes the champion of “%3”: the serving backend loads it at its next check. The "
                           "current champion stays in the registry and can be restored.")
                            .arg(dep, version, dep),
                        tr("Promote")}))
            return;
    } else if (action == retrain::RetrainAction::Discard) {
        if (!m_confirm({tr("Discard %1@%2?").arg(dep, version),
                        tr("The candidate is archived and will not be offered again. The run stays in the history."),
                        tr("Discard")}))
            return;
    }
    retrain::ApplyOptions options;
    options.action = action;
    options.startRolloutPlan = action == retrain::RetrainAction::Promote && m_decision->startRolloutPlan();
    options.reason = m_decision->reason();
    m_applying = true;
    m_pendingAction = action;
    m_pendingRollout = options.startRolloutPlan;
    m_decision->showBusy();
    updateButtons();
    m_service.applyDecision(m_outcome->run.id, options);
}

void RetrainWizard::onDecisionApplied(const Result<RetrainRun> &run)
{
    if (!m_applying || !m_outcome || (run && run->id != m_outcome->run.id))
        return;
    m_applying = false;
    if (!run) {
        m_decision->showError(run.errorMessage());
        updateButtons();
        Q_EMIT decisionApplied(false, run.errorMessage());
        return;
    }
    RetrainRun shown = *run;
    if (shown.resultVersion.isEmpty())
        shown.resultVersion = m_outcome->candidateVersion;
    if (shown.deployment.isEmpty())
        shown.deployment = m_outcome->run.deployment;
    m_outcome->run = shown;
    m_applied = true;
    m_decision->showApplied(shown, m_pendingAction, m_pendingRollout);
    updateButtons();
    Q_EMIT decisionApplied(true, shown.decision);
}

} // namespace mldeck::ui
