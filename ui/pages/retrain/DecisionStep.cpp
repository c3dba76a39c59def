#include "ui/pages/retrain/DecisionStep.h"

#include "ui/Theme.h"

#include "core/ml/checks/ModelChecks.h"
#include "ui/pages/retrain/RetrainFormat.h"
#include "ui/widgets/RoleGate.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace mldeck::ui {

DecisionStep::DecisionStep(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("decisionStep"));
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("decisionSummary"));
    m_summary->setWordWrap(true);
    m_checks = new QLabel(this);
    m_checks->setObjectName(QStringLiteral("decisionChecks"));
    m_checks->setWordWrap(true);
    m_checks->setTextFormat(Qt::PlainText);
    m_reason = new QLineEdit(this);
    m_reason->setObjectName(QStringLiteral("decisionReason"));
    m_reason->setPlaceholderText(tr("Reason (kept in the audit log)"));
    m_rollout = new QCheckBox(tr("Start a rollout plan at 10 % after promoting"), this);
    m_rollout->setObjectName(QStringLiteral("decisionRolloutPlan"));
    m_promote = new QPushButton(tr("Promote to champion"), this);
    m_promote->setObjectName(QStringLiteral("decisionPromote"));
    m_challenger = new QPushButton(tr("Keep as challenger"), this);
    m_challenger->setObjectName(QStringLiteral("decisionChallenger"));
    m_discard = new QPushButton(tr("Discard"), this);
    m_discard->setObjectName(QStringLiteral("decisionDiscard"));
    m_result = retrainfmt::resultLabel(QStringLiteral("decisionResult"), this);
    m_again = new QPushButton(tr("Start another"), this);
    m_again->setObjectName(QStringLiteral("decisionStartAnother"));
    m_again->hide();

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_promote);
    buttons->addWidget(m_challenger);
    buttons->addWidget(m_discard);
    buttons->addStretch(1);
    auto *result = new QHBoxLayout;
    result->addWidget(m_result, 1);
    result->addWidget(m_again);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_checks);
    layout->addWidget(m_reason);
    layout->addWidget(m_rollout);
    layout->addLayout(buttons);
    layout->addLayout(result);
    layout->addStretch(1);

    connect(m_promote, &QPushButton::clicked, this,
            [this] { Q_EMIT actionRequested(retrain::RetrainAction::Promote); });
    connect(m_challenger, &QPushButton::clicked, this,
            [this] { Q_EMIT actionRequested(retrain::RetrainAction::KeepAsChallenger); });
    connect(m_discard, &QPushButton::clicked, this,
            [this] { Q_EMIT actionRequested(retrain::RetrainAction::Discard); });
    connect(m_again, &QPushButton::clicked, this, &DecisionStep::startAnotherRequested);
}

void DecisionStep::setOutcome(const retrain::RetrainOutcome &o)
{
    m_promoteAllowed = o.decision && o.decision->promote;
    m_hasCandidate = !o.candidateVersion.isEmpty();
    m_result->clear();
    m_result->setStyleSheet(QString());
    m_again->hide();
    m_reason->clear();
    m_rollout->setChecked(false);
    if (!m_hasCandidate)
        m_summary->setText(tr("This run registered no candidate (dry run): there is nothing to promote or keep."));
    else if (m_promoteAllowed)
        m_summary->setText(tr("Candidate %1@%2 beats the champion by the rule: it can be promoted.")
                               .arg(o.run.deployment, o.candidateVersion));
    else
        m_summary->setText(tr("Candidate %1@%2 does not beat the champion by the rule, so it cannot be promoted "
                              "here. Keep it as challenger to compare it on live traffic, or discard it.")
                               .arg(o.run.deployment, o.candidateVersion));
    if (o.skippedImageCount > 0) { // an image deployment: images that could not be used, never a reason to stop
        QStringList listed;
        for (size_t i = 0; i < std::min<size_t>(o.skippedImages.size(), 5); ++i) {
            const SkippedImage &skip = o.skippedImages[i];
            // The store's reasons name the key already; a decoder's do not.
            listed << (skip.reason.contains(skip.key) ? skip.reason
                                                      : QStringLiteral("%1 (%2)").arg(skip.key, skip.reason));
        }
        m_summary->setText(m_summary->text() + QLatin1Char('\n') +
                           tr("%n image(s) could not be used and were skipped: %1", nullptr, int(o.skippedImageCount))
                               .arg(listed.join(QStringLiteral("; "))));
    }
    m_promote->setToolTip(m_promoteAllowed ? QString() : tr("The decision rule says not to promote this candidate"));
    showChecks(o.run.checks);
    setActionsEnabled(true);
    m_again->setVisible(!m_hasCandidate);
}

// The promotion gate reuses this run when Promote is pressed (or runs the checks again if the champion changed
// since); a candidate that failed them here is not offered for promotion (the check and its figures say why).
void DecisionStep::showChecks(const QJsonObject &json)
{
    m_checks->setVisible(m_hasCandidate && !json.isEmpty());
    m_checks->setStyleSheet(QString());
    if (json.isEmpty())
        return;
    if (json.contains(QStringLiteral("error"))) {
        m_checks->setText(
            tr("Model checks: they could not run: %1").arg(json.value(QStringLiteral("error")).toString()));
        m_checks->setStyleSheet(themeStyle(QStringLiteral("color:@{bad};")));
        return;
    }
    const checks::CheckReport report = checks::CheckReport::fromJson(json);
    QStringList lines{tr("Model checks: %1").arg(report.summary())};
    for (const checks::CheckResult &r : report.results)
        if (r.outcome != checks::Outcome::Pass)
            lines << QStringLiteral("• %1 — %2: %3").arg(r.title(), checks::outcomeText(r.outcome), r.detail);
    m_checks->setText(lines.join(QLatin1Char('\n')));
    if (report.configured && !report.passed()) {
        m_checks->setStyleSheet(themeStyle(QStringLiteral("color:@{bad};")));
        m_promoteAllowed = false;
        m_promote->setToolTip(tr("The model checks refuse this candidate: %1").arg(report.failureSummary()));
    }
}

void DecisionStep::setActionsEnabled(bool enabled)
{
    m_actionsEnabled = enabled;
    m_promote->setEnabled(enabled && m_hasCandidate && m_promoteAllowed);
    m_rollout->setEnabled(enabled && m_hasCandidate && m_promoteAllowed);
    m_challenger->setEnabled(enabled && m_hasCandidate);
    m_discard->setEnabled(enabled && m_hasCandidate);
    m_reason->setEnabled(enabled && m_hasCandidate);
    // Promoting moves the champion alias and publishes it in Redis.
    applyGate(m_promote, {roleRefusal(m_permissions, RoleAction::ModelPromote), m_redisRefusal});
    // The plan is saved after the promotion: a role that may promote but not plan must not tick it,
    // or the champion would move and the plan then fail.
    applyGate(m_rollout, {roleRefusal(m_permissions, RoleAction::PlanChange), m_redisRefusal});
    if (!m_rollout->isEnabled())
        m_rollout->setChecked(false);
    applyRole(m_challenger, m_permissions, RoleAction::RetrainDecide);
    applyRole(m_discard, m_permissions, RoleAction::RetrainDecide);
}

void DecisionStep::setPermissions(const std::optional<RolePermissions> &permissions)
{
    m_permissions = permissions;
    setActionsEnabled(m_actionsEnabled);
}

void DecisionStep::setRedisRefusal(const QString &why)
{
    m_redisRefusal = why;
    setActionsEnabled(m_actionsEnabled);
}

void DecisionStep::showBusy()
{
    setActionsEnabled(false);
    m_again->hide();
    m_result->setStyleSheet(QString());
    m_result->setText(tr("Applying…"));
}

void DecisionStep::showApplied(const RetrainRun &run, retrain::RetrainAction action, bool rolloutPlan)
{
    setActionsEnabled(false);
    m_again->show();
    m_result->setStyleSheet(themeStyle(QStringLiteral("color:@{good};")));
    switch (action) {
    case retrain::RetrainAction::Promote:
        m_result->setText(rolloutPlan ? tr("%1@%2 is the new champion; a rollout plan starting at 10 % was created.")
                                            .arg(run.deployment, run.resultVersion)
                                      : tr("%1@%2 is the new champion.").arg(run.deployment, run.resultVersion));
        return;
    case retrain::RetrainAction::KeepAsChallenger:
        m_result->setText(
            tr("%1@%2 is the challenger; the champion is unchanged.").arg(run.deployment, run.resultVersion));
        return;
    case retrain::RetrainAction::Discard:
        m_result->setText(
            tr("The candidate %1@%2 was discarded; the champion is unchanged.").arg(run.deployment, run.resultVersion));
        return;
    }
}

void DecisionStep::showError(const QString &error)
{
    setActionsEnabled(true);
    m_again->show();
    m_result->setStyleSheet(themeStyle(QStringLiteral("color:@{bad};")));
    m_result->setText(tr("Nothing changed: %1").arg(error));
}

bool DecisionStep::startRolloutPlan() const
{
    return m_rollout->isEnabled() && m_rollout->isChecked();
}

QString DecisionStep::reason() const
{
    return m_reason->text().trimmed();
}

} // namespace mldeck::ui
