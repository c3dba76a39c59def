#include "ui/pages/RolloutPage.h"

#include "ui/Theme.h"

#include "core/config/ConnectionProfile.h"
#include "core/rollout/FlagValues.h"
#include "core/services/RedisAccessService.h"
#include "core/services/RolloutService.h"
#include "ui/ConnectionSession.h"
#include "ui/Pages.h"
#include "ui/pages/rollout/ConfirmedStatePanel.h"
#include "ui/pages/rollout/PercentageControl.h"
#include "ui/pages/rollout/PlanGatesEditor.h"
#include "ui/pages/rollout/PlanPanel.h"
#include "ui/pages/rollout/ToggleSwitch.h"
#include "ui/pages/rollout/WhatIfPanel.h"
#include "ui/widgets/InfoBar.h"
#include "ui/widgets/PageFrame.h"
#include "ui/widgets/RoleGate.h"
#include "ui/widgets/WrappingButton.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QLoggingCategory>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QVBoxLayout>

Q_LOGGING_CATEGORY(lcRolloutPage, "mldeck.ui.rollout")

namespace mldeck::ui {

namespace {

bool fieldInvalid(const FlagState &s, const char *field)
{
    return s.invalidFields.contains(QString::fromLatin1(field));
}

} // namespace

RolloutPage::RolloutPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new RolloutService(this))
{
    m_confirm = messageBoxConfirmer(this);
    buildUi();
    connectService();

    m_whatIfDebounce.setSingleShot(true);
    m_whatIfDebounce.setInterval(kWhatIfDebounceMs);
    connect(&m_whatIfDebounce, &QTimer::timeout, this, &RolloutPage::sendWhatIf);
    // Gates move with the traffic: re-read them while the page is on screen.
    m_planRefresh.setInterval(kPlanRefreshMs);
    connect(&m_planRefresh, &QTimer::timeout, this, [this] {
        if (isVisible() && m_state.connected && !m_state.deployment.isEmpty())
            m_service->loadPlan(m_state.deployment);
    });
    m_planRefresh.start();
    // A heartbeat: a subscribed connection does not notice a frozen server, so the page asks for the
    // deployment list now and then (cheap); a failure shows "not connected" within seconds, a success
    // clears it and picks up new deployments. The watcher reconnects and re-reads by itself.
    m_heartbeat.setInterval(kHeartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        if (isVisible() || !m_state.connected)
            listDeployments();
    });
    m_heartbeat.start();

    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &RolloutPage::connectTo);
    connect(&m_session, &ConnectionSession::permissionsChanged, this, &RolloutPage::updateEnabled);
    if (!m_session.activeProfile().name.isEmpty())
        connectTo(m_session.activeProfile());
    updateEnabled();
}

RolloutPage::~RolloutPage() = default;

QString RolloutPage::describe(const FlagState &s)
{
    if (!s.exists)
        return tr("no flag set");
    if (!s.invalidFields.isEmpty())
        return tr("INVALID flags (%1)").arg(s.invalidFields.join(QStringLiteral(", ")));
    return tr("ML %1, %2 %, fallback %3")
        .arg(s.mlEnabled ? tr("on") : tr("off"))
        .arg(s.trafficPercentage)
        .arg(s.fallbackOnError ? tr("on") : tr("off"));
}

void RolloutPage::setConfirmer(Confirmer confirmer)
{
    m_confirm = std::move(confirmer);
}

void RolloutPage::buildUi()
{
    m_frame = PageFrame::install(
        this, PageId::Rollout, tr("Move traffic to the model step by step, watch the gates, and take it back at once."),
        PageFrame::Selector::Deployment);
    m_deployment = m_frame->deploymentSelector();
    m_refresh = m_frame->refreshButton();
    m_refresh->setToolTip(tr("Read the list of deployments and their flags again"));
    m_frame->setBody(buildBody());
    connectControls();
}

// The body: the connection and event bars over two columns (the controls, Rollback and the confirmed
// state; the what-if preview and the plan), which scroll together when the window is short.
QWidget *RolloutPage::buildBody()
{
    auto *body = new QWidget(this);
    m_connectionBar = new InfoBar(body);
    m_connectionBar->setProperty("role", QStringLiteral("connection"));
    m_eventBar = new InfoBar(body);
    m_eventBar->setProperty("role", QStringLiteral("event"));

    m_noDeployments = new QLabel(body);
    m_noDeployments->setObjectName(QStringLiteral("noDeployments"));
    m_noDeployments->setWordWrap(true);
    m_noDeployments->setStyleSheet(themeStyle(QStringLiteral("color: @{muted}; font-size: 11pt; padding: 20px;")));
    m_noDeployments->hide();

    m_confirmedPanel = new ConfirmedStatePanel(body);
    m_whatIf = new WhatIfPanel(body);
    m_plan = new PlanPanel(body);

    auto *left = new QVBoxLayout;
    left->setSpacing(12);
    left->addWidget(buildControls(body));
    left->addWidget(buildRollbackButton(body));
    left->addWidget(m_confirmedPanel);
    left->addStretch(1);
    auto *right = new QVBoxLayout;
    right->setSpacing(12);
    right->addWidget(m_whatIf);
    right->addWidget(m_plan, 1);

    m_body = new QWidget(body);
    auto *columns = new QHBoxLayout(m_body);
    columns->setContentsMargins(0, 0, 0, 0);
    columns->setSpacing(18);
    columns->addLayout(left, 5);
    columns->addLayout(right, 6);

    auto *content = new QWidget(body);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->setSpacing(10);
    contentLayout->addWidget(m_noDeployments);
    contentLayout->addWidget(m_body, 1);

    auto *scroll = new QScrollArea(body);
    scroll->setObjectName(QStringLiteral("rolloutScroll"));
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setStyleSheet(QStringLiteral("QScrollArea { background: transparent; }"));
    content->setAutoFillBackground(false);
    scroll->viewport()->setAutoFillBackground(false);

    auto *layout = new QVBoxLayout(body);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(m_connectionBar);
    layout->addWidget(m_eventBar);
    layout->addWidget(scroll, 1);
    return body;
}

// "Change the flags": the two switches, the traffic slider, the reason and the change's status.
QGroupBox *RolloutPage::buildControls(QWidget *parent)
{
    const auto invalidMarker = [this](QWidget *owner, const QString &objectName) {
        auto *l = new QLabel(tr("✖ invalid in Redis"), owner);
        l->setObjectName(objectName);
        l->setStyleSheet(themeStyle(QStringLiteral("color: @{bad}; font-weight: 700;")));
        l->hide();
        return l;
    };
    auto *controls = new QGroupBox(tr("Change the flags"), parent);
    controls->setObjectName(QStringLiteral("flagControls"));
    m_mlSwitch = new ToggleSwitch(controls);
    m_mlSwitch->setObjectName(QStringLiteral("mlEnabledSwitch"));
    m_mlSwitch->setAccessibleName(tr("ML enabled"));
    m_mlSwitch->setToolTip(tr("Master switch: off sends every request to the heuristic."));
    m_mlInvalid = invalidMarker(controls, QStringLiteral("mlEnabledInvalid"));
    m_fallbackSwitch = new ToggleSwitch(controls);
    m_fallbackSwitch->setObjectName(QStringLiteral("fallbackSwitch"));
    m_fallbackSwitch->setAccessibleName(tr("Fallback on error"));
    m_fallbackSwitch->setToolTip(
        tr("When the model fails on a request, answer with the heuristic instead of an error."));
    m_fallbackInvalid = invalidMarker(controls, QStringLiteral("fallbackInvalid"));
    auto *switches = new QHBoxLayout;
    switches->addWidget(new QLabel(tr("ML enabled"), controls));
    switches->addWidget(m_mlSwitch);
    switches->addWidget(m_mlInvalid);
    switches->addSpacing(28);
    switches->addWidget(new QLabel(tr("Fallback on error"), controls));
    switches->addWidget(m_fallbackSwitch);
    switches->addWidget(m_fallbackInvalid);
    switches->addStretch(1);

    m_percentage = new PercentageControl(controls);
    m_percentage->setObjectName(QStringLiteral("percentageControl"));
    auto *percentageLabel = new QLabel(tr("Traffic to ML (applied when you release the slider):"), controls);
    percentageLabel->setWordWrap(true);

    m_reason = new QLineEdit(controls);
    m_reason->setObjectName(QStringLiteral("changeReason"));
    m_reason->setPlaceholderText(tr("Why? Recorded in the audit log with every change"));
    m_reason->setClearButtonEnabled(true);
    auto *reasonRow = new QHBoxLayout;
    reasonRow->addWidget(new QLabel(tr("Reason:"), controls));
    reasonRow->addWidget(m_reason, 1);

    m_busy = new QLabel(controls);
    m_busy->setObjectName(QStringLiteral("changeStatus"));
    m_busy->setWordWrap(true);
    m_busy->hide();

    auto *controlsLayout = new QVBoxLayout(controls);
    controlsLayout->setSpacing(10);
    controlsLayout->addLayout(switches);
    controlsLayout->addWidget(percentageLabel);
    controlsLayout->addWidget(m_percentage);
    controlsLayout->addLayout(reasonRow);
    controlsLayout->addWidget(m_busy);
    return controls;
}

QPushButton *RolloutPage::buildRollbackButton(QWidget *parent)
{
    m_rollback = new WrappingButton(tr("⟲  Rollback: ML off now"), parent);
    m_rollback->setObjectName(QStringLiteral("rollbackButton"));
    m_rollback->setMinimumHeight(54);
    m_rollback->setCursor(Qt::PointingHandCursor);
    m_rollback->setToolTip(tr("Turns ML off (0 %) at once, whatever anyone else is changing. Asks once."));
    m_rollback->setStyleSheet(themeStyle(QStringLiteral(
        "QPushButton#rollbackButton { background: @{badStrong}; color: white; font-size: 14pt; font-weight: 700;"
        " border: 1px solid @{bad}; border-radius: 8px; padding: 8px 18px; }"
        "QPushButton#rollbackButton:hover { background: @{bad}; }"
        "QPushButton#rollbackButton:pressed { background: @{badDark}; }"
        "QPushButton#rollbackButton:disabled { background: @{badBorder}; border-color: @{badBorder}; }")));
    return m_rollback;
}

void RolloutPage::connectControls()
{
    connect(m_connectionBar, &InfoBar::actionTriggered, this, &RolloutPage::retryNow);
    connect(m_deployment, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        if (!name.isEmpty() && name != m_state.deployment)
            selectDeployment(name);
    });
    connect(m_refresh, &QPushButton::clicked, this, &RolloutPage::retryNow);
    connect(m_percentage, &PercentageControl::previewed, this, &RolloutPage::requestWhatIf);
    connect(m_percentage, &PercentageControl::committed, this, &RolloutPage::commitPercentage);
    connect(m_mlSwitch, &ToggleSwitch::clicked, this, &RolloutPage::commitMlEnabled);
    connect(m_fallbackSwitch, &ToggleSwitch::clicked, this, &RolloutPage::commitFallback);
    connect(m_rollback, &QPushButton::clicked, this, &RolloutPage::rollback);
    connect(m_plan, &PlanPanel::saveRequested, this, [this](const QList<int> &steps) {
        if (!m_state.deployment.isEmpty())
            m_service->savePlan(m_state.deployment, steps);
    });
    connect(m_plan->gatesEditor(), &PlanGatesEditor::saveRequested, this,
            [this](const GateCombination &combination, const QMap<int, GateCombination> &steps) {
                if (!m_state.deployment.isEmpty())
                    m_service->savePlanCombinations(m_state.deployment, combination, steps);
            });
    connect(m_plan, &PlanPanel::advanceRequested, this, [this] { advancePlan({}); });
    connect(m_plan, &PlanPanel::overrideRequested, this, &RolloutPage::advancePlan);
}

void RolloutPage::connectService()
{
    connect(&m_session.redisAccess(), &RedisAccessService::accessChanged, this, &RolloutPage::updateEnabled);
    connect(m_service, &RolloutService::deploymentsListed, this, &RolloutPage::onDeploymentsListed);
    connect(m_service, &RolloutService::flagsChanged, this, &RolloutPage::onFlagsChanged);
    connect(m_service, &RolloutService::applied, this, &RolloutPage::onApplied);
    connect(m_service, &RolloutService::rolledBack, this, &RolloutPage::onRolledBack);
    connect(m_service, &RolloutService::whatIfReady, this, &RolloutPage::onWhatIf);
    connect(m_service, &RolloutService::connectionProblem, this, &RolloutPage::onConnectionProblem);
    connect(m_service, &RolloutService::planLoaded, this, [this](const Result<PlanStatus> &plan) {
        if (plan)
            m_plan->showPlan(*plan);
        else
            m_plan->showLoadError(plan.errorMessage());
    });
    connect(m_service, &RolloutService::planSaved, this, [this](const Status &status) {
        m_plan->showSaveResult(status);
        if (status && !m_state.deployment.isEmpty()) {
            m_service->loadPlan(m_state.deployment);
            m_service->loadPlanSettings(m_state.deployment); // new steps may drop a step's own combination
        }
    });
    connect(m_service, &RolloutService::planSettingsLoaded, this,
            [this](const QString &deployment, const Result<PlanSettings> &settings) {
                if (deployment != m_state.deployment)
                    return;
                if (settings)
                    m_plan->gatesEditor()->showPlan(settings->plan, settings->classifier);
                else
                    m_plan->gatesEditor()->showLoadError(settings.errorMessage());
            });
    connect(m_service, &RolloutService::planCombinationsSaved, this,
            [this](const QString &deployment, const Result<PlanSettings> &settings) {
                if (deployment != m_state.deployment)
                    return;
                if (settings) {
                    m_plan->gatesEditor()->showPlan(settings->plan, settings->classifier);
                    m_service->loadPlan(deployment);
                }
                m_plan->gatesEditor()->showSaveResult(settings ? Status{} : Status{settings.error()});
            });
    connect(m_service, &RolloutService::planAdvanced, this, [this](const Result<PlanStatus> &plan) {
        m_state.advancing = false;
        if (plan) {
            m_plan->showPlan(*plan);
            m_plan->overrideReason()->clear();
        } else {
            m_plan->showAdvanceError(plan.errorMessage());
        }
        updateEnabled();
    });
}

void RolloutPage::connectTo(const ConnectionProfile &profile)
{
    qCDebug(lcRolloutPage) << "connecting to" << profile.redis.display() << profile.pg.display();
    m_service->setEndpoints(profile.redis, profile.pg);
    m_state.haveState = false;
    m_confirmedPanel->clear(tr("Reading the flags…"));
    m_state.listing = false; // a new worker: an answer from the old one may never come
    listDeployments();
    if (!m_state.deployment.isEmpty()) {
        m_service->watch(m_state.deployment);
        m_service->loadPlan(m_state.deployment);
        m_service->loadPlanSettings(m_state.deployment);
    }
    updateEnabled();
}

void RolloutPage::listDeployments()
{
    if (m_state.listing)
        return; // one at a time: a frozen server must not pile requests up behind it
    m_state.listing = true;
    m_service->listDeployments();
}

void RolloutPage::retryNow()
{
    listDeployments();
    if (!m_state.deployment.isEmpty()) {
        // A new subscription re-reads at once.
        m_service->watch(m_state.deployment);
        m_service->loadPlan(m_state.deployment);
        m_service->loadPlanSettings(m_state.deployment);
    }
}

void RolloutPage::selectDeployment(const QString &name)
{
    m_state.select(name);
    m_eventBar->hide();
    m_busy->hide();
    m_confirmedPanel->clear(tr("Reading the flags of “%1”…").arg(name));
    m_whatIf->clear(tr("Waiting for the flags…"));
    m_plan->clear(tr("Loading the plan…"));
    m_plan->gatesEditor()->clear();
    m_service->watch(name);
    m_service->loadPlan(name);
    m_service->loadPlanSettings(name);
    updateEnabled();
}

void RolloutPage::onDeploymentsListed(const Result<QStringList> &names)
{
    m_state.listing = false;
    if (!names) {
        onConnectionProblem(names.errorMessage());
        return;
    }
    setConnected(true);
    const QStringList list = *names;
    const QString shown = m_frame->showDeployments(list, m_state.deployment);
    const bool none = list.isEmpty();
    m_noDeployments->setVisible(none);
    m_body->setVisible(!none);
    if (none) {
        m_noDeployments->setText(tr("No deployment has rollout flags in Redis yet. Create one with "
                                    "“mldeckctl flags set --deployment NAME …” or start the demo with "
                                    "“mldeckctl simulate”, then press Refresh."));
        m_state.deployment.clear();
        updateEnabled();
        return;
    }
    if (shown != m_state.deployment)
        selectDeployment(shown);
}

void RolloutPage::onFlagsChanged(const FlagState &state, bool changedByOther, const QString &changedBy)
{
    if (state.deployment != m_state.deployment)
        return;
    setConnected(true);
    const bool first = !m_state.haveState;
    showConfirmed(state);
    if (changedByOther) {
        const QString who =
            changedBy.isEmpty() ? (state.updatedBy.isEmpty() ? tr("Someone") : state.updatedBy) : changedBy;
        const QString when = state.updatedAt.isValid()
                                 ? QLocale().toString(state.updatedAt.toLocalTime(), QStringLiteral("HH:mm:ss"))
                                 : tr("an unknown time");
        m_eventBar->showMessage(tr("<b>Changed by someone else:</b> %1 set %2 at %3 (version %4). The controls now "
                                   "show this state.")
                                    .arg(who.toHtmlEscaped(), describe(state).toHtmlEscaped(), when)
                                    .arg(state.version),
                                InfoBar::Kind::Warning);
    }
    if (first) {
        // The first preview is for what is live now; no reason to wait for the debounce.
        requestWhatIf(confirmedPercentage());
        m_whatIfDebounce.stop();
        sendWhatIf();
    }
}

void RolloutPage::onApplied(const ApplyOutcome &outcome)
{
    m_state.applying = false;
    if (outcome.applied) {
        showConfirmed(outcome.state);
        // Behind Sentinel a replica acknowledged it too: say so.
        if (outcome.replicaConfirmed)
            setBusyText(tr("✔ Applied and confirmed by a replica: %1 (version %2, read back from the master).")
                            .arg(describe(outcome.state))
                            .arg(outcome.state.version));
        else
            setBusyText(tr("✔ Applied: %1 (version %2, read back from Redis).")
                            .arg(describe(outcome.state))
                            .arg(outcome.state.version));
        if (outcome.notReplicated) // behind Sentinel: applied, but a failover could still lose it
            m_eventBar->showMessage(outcome.message.toHtmlEscaped(), InfoBar::Kind::Warning); // says it all
    } else if (outcome.conflict) {
        if (outcome.state.deployment == m_state.deployment && outcome.state.exists)
            showConfirmed(outcome.state);
        else
            resetControls();
        m_eventBar->showMessage(tr("<b>Your change was NOT applied:</b> %1 The controls now show the current state: %2 "
                                   "(version %3).")
                                    .arg(outcome.message.toHtmlEscaped(), describe(m_state.confirmed).toHtmlEscaped())
                                    .arg(m_state.confirmed.version),
                                InfoBar::Kind::Warning);
        setBusyText(tr("✖ Not applied (conflict)."), true);
    } else {
        resetControls();
        setBusyText(tr("✖ Change NOT applied: %1").arg(outcome.message), true);
    }
    updateEnabled();
}

void RolloutPage::onRolledBack(const ApplyOutcome &outcome)
{
    m_state.rollingBack = false;
    if (outcome.applied) {
        showConfirmed(outcome.state);
        setConnected(true);
        QString text = tr("<b>Rolled back:</b> %1 at version %2, read back from Redis.")
                           .arg(describe(outcome.state).toHtmlEscaped())
                           .arg(outcome.state.version);
        if (outcome.auditSpooled)
            text += QLatin1Char(' ') + tr("PostgreSQL is unreachable: the audit row is kept on this computer "
                                          "and written when it returns.");
        if (outcome.notReplicated)
            text += QLatin1Char(' ') + outcome.message.toHtmlEscaped(); // "Applied on the master, not yet replicated…"
        else if (outcome.replicaConfirmed) // which master confirmed it, after how many attempts
            text += QLatin1Char(' ') + tr("<b>Behind Sentinel:</b> %1").arg(outcome.message.toHtmlEscaped());
        m_eventBar->showMessage(text, outcome.notReplicated ? InfoBar::Kind::Warning : InfoBar::Kind::Info);
        setBusyText(tr("✔ Rollback confirmed by Redis."));
    } else {
        m_eventBar->showMessage(
            tr("<b>Rollback NOT applied:</b> %1 Press Rollback again to retry.").arg(outcome.message.toHtmlEscaped()),
            InfoBar::Kind::Warning);
        setBusyText(tr("✖ Rollback NOT applied."), true);
    }
    updateEnabled();
}

void RolloutPage::onWhatIf(const Result<WhatIf> &whatIf)
{
    const int asked = m_state.whatIfInFlight;
    m_state.whatIfInFlight = -1;
    // One query at a time (it scans a day of logs): a newer wish waiting behind it goes out now.
    if (m_state.whatIfWanted >= 0 && m_state.whatIfWanted != asked && !m_whatIfDebounce.isActive())
        sendWhatIf();
    if (!whatIf) {
        m_whatIf->showError(whatIf.errorMessage());
        return;
    }
    // Only the latest request counts: an older answer must not overwrite a newer preview.
    if (whatIf->percentage != m_state.whatIfWanted)
        return;
    m_whatIf->showWhatIf(*whatIf);
}

void RolloutPage::onConnectionProblem(const QString &message)
{
    qCInfo(lcRolloutPage) << "connection problem:" << message;
    m_state.applying = false;
    setConnected(false, message);
}

void RolloutPage::setConnected(bool connected, const QString &why)
{
    m_state.connected = connected;
    if (connected) {
        m_connectionBar->hide();
    } else {
        m_connectionBar->showMessage(tr("<b>Not connected:</b> %1 The values shown may be stale and changes are not "
                                        "applied; Rollback stays available and retries.")
                                         .arg(why.toHtmlEscaped()),
                                     InfoBar::Kind::Warning, tr("Retry now"));
    }
    m_confirmedPanel->setStale(!connected);
    updateEnabled();
}

void RolloutPage::showConfirmed(const FlagState &state)
{
    m_state.confirmed = state;
    m_state.haveState = true;
    m_confirmedPanel->showState(state);
    resetControls();
    updateEnabled();
}

void RolloutPage::resetControls()
{
    const FlagState &s = m_state.confirmed;
    const bool mlBad = fieldInvalid(s, flagfield::kMlEnabled);
    const bool fbBad = fieldInvalid(s, flagfield::kFallbackOnError);
    m_mlSwitch->setCheckedSilently(s.mlEnabled && !mlBad);
    m_mlSwitch->setInvalid(mlBad);
    m_mlInvalid->setVisible(mlBad);
    m_fallbackSwitch->setCheckedSilently(s.fallbackOnError && !fbBad);
    m_fallbackSwitch->setInvalid(fbBad);
    m_fallbackInvalid->setVisible(fbBad);
    // Never yank the slider from under a drag in progress; the release commits against the new version.
    if (!m_percentage->slider()->isSliderDown()) {
        m_percentage->setInvalid(fieldInvalid(s, flagfield::kTrafficPercentage));
        m_percentage->setValue(confirmedPercentage());
    }
}

void RolloutPage::setBusyText(const QString &text, bool error)
{
    m_busy->setText(text);
    m_busy->setStyleSheet(error ? themeStyle(QStringLiteral("color: @{bad}; font-weight: 600;"))
                                : themeStyle(QStringLiteral("color: @{good};")));
    m_busy->setVisible(!text.isEmpty());
}

void RolloutPage::updateEnabled()
{
    const bool selected = m_state.selected();
    const bool editable = m_state.editable();
    m_mlSwitch->setEnabled(editable);
    m_fallbackSwitch->setEnabled(editable);
    m_percentage->setEnabled(editable);
    m_reason->setEnabled(selected);
    // Rollback is the one action that must work when everything else is in doubt.
    m_rollback->setEnabled(selected && !m_state.rollingBack);
    m_rollback->setText(m_state.connected ? tr("⟲  Rollback: ML off now") : tr("⟲  Rollback (retry): ML off now"));
    m_deployment->setEnabled(!m_state.writing());
    m_plan->setActionsEnabled(m_state.planActionsAllowed());
    // The PostgreSQL role and the Redis ACL user (resources/contract/security.md) have the last word:
    // what either may not do is disabled and says why. Saving a plan writes PostgreSQL only; advancing
    // it writes the flags.
    const auto &role = m_session.permissions();
    const QString redis = redisRefusal(m_session.redisAccess().access());
    const QString flags = roleRefusal(role, RoleAction::FlagChange);
    applyGate(m_mlSwitch, {flags, redis});
    applyGate(m_fallbackSwitch, {flags, redis});
    m_percentage->setRefusals({flags, redis});
    applyGate(m_rollback, {roleRefusal(role, RoleAction::Rollback), redis});
    m_plan->setRefusals({roleRefusal(role, RoleAction::PlanChange)},
                        {roleRefusal(role, RoleAction::PlanAdvance), redis});
}

bool RolloutPage::confirm(const QString &title, const QString &text, const QString &acceptText)
{
    return m_confirm && m_confirm({title, text, acceptText});
}

qint64 RolloutPage::expectedVersion() const
{
    // A set whose version is unreadable can be repaired by expecting version 0 (see FlagStore::write).
    return fieldInvalid(m_state.confirmed, flagfield::kVersion) ? 0 : m_state.confirmed.version;
}

int RolloutPage::confirmedPercentage() const
{
    return fieldInvalid(m_state.confirmed, flagfield::kTrafficPercentage) ? 0 : m_state.confirmed.trafficPercentage;
}

void RolloutPage::commitPercentage(int percentage)
{
    if (!m_state.haveState || !m_state.connected || m_state.writing()) {
        resetControls();
        return;
    }
    const bool wasInvalid = fieldInvalid(m_state.confirmed, flagfield::kTrafficPercentage);
    const int from = confirmedPercentage();
    if (percentage == from && !wasInvalid)
        return;
    if (percentage - from > kConfirmIncreaseOverPoints &&
        !confirm(tr("Large traffic increase"),
                 tr("Raise the ML traffic of “%1” from %2 % to %3 % (+%4 points)?\n\nMore than %5 points at once "
                    "skips the usual rollout steps.")
                     .arg(m_state.deployment)
                     .arg(from)
                     .arg(percentage)
                     .arg(percentage - from)
                     .arg(kConfirmIncreaseOverPoints),
                 tr("Raise to %1 %").arg(percentage))) {
        resetControls();
        requestWhatIf(from);
        return;
    }
    FlagEdit edit;
    edit.trafficPercentage = percentage;
    sendEdit(edit);
}

void RolloutPage::commitMlEnabled(bool enabled)
{
    if (!m_state.haveState || !m_state.connected) {
        resetControls();
        return;
    }
    const int pct = confirmedPercentage();
    // Switching ML on moves the whole configured percentage at once: the same rule applies.
    if (enabled && pct > kConfirmIncreaseOverPoints &&
        !confirm(tr("Turn ML on"),
                 tr("Turn ML on for “%1”? %2 % of requests go to the model at once.").arg(m_state.deployment).arg(pct),
                 tr("Turn ML on"))) {
        resetControls();
        return;
    }
    FlagEdit edit;
    edit.mlEnabled = enabled;
    sendEdit(edit);
}

void RolloutPage::commitFallback(bool enabled)
{
    if (!m_state.haveState || !m_state.connected) {
        resetControls();
        return;
    }
    FlagEdit edit;
    edit.fallbackOnError = enabled;
    sendEdit(edit);
}

void RolloutPage::sendEdit(const FlagEdit &edit)
{
    FlagEdit e = edit;
    e.reason = m_reason->text().trimmed();
    m_state.applying = true;
    setBusyText(tr("Applying…"));
    updateEnabled();
    m_service->apply(m_state.deployment, e, expectedVersion());
}

void RolloutPage::rollback()
{
    if (m_state.deployment.isEmpty() || m_state.rollingBack)
        return;
    if (!confirm(tr("Roll back"),
                 tr("Turn ML OFF for “%1” now?\n\nEvery request goes to the heuristic at once (ML off, 0 %), whatever "
                    "anyone else is changing.")
                     .arg(m_state.deployment),
                 tr("Roll back now")))
        return;
    QString reason = m_reason->text().trimmed();
    if (reason.isEmpty())
        reason = tr("Rollback from the Rollout page (no reason given)");
    m_state.rollingBack = true;
    setBusyText(tr("Rolling back…"));
    updateEnabled();
    m_service->rollback(m_state.deployment, reason);
}

void RolloutPage::advancePlan(const QString &overrideReason)
{
    if (m_state.deployment.isEmpty())
        return;
    if (!overrideReason.isEmpty() &&
        !confirm(tr("Override the gates"),
                 tr("Advance “%1” to the next step although a gate fails?\n\nReason (audited): %2")
                     .arg(m_state.deployment, overrideReason),
                 tr("Advance anyway")))
        return;
    m_state.advancing = true;
    updateEnabled();
    m_service->advancePlan(m_state.deployment, overrideReason);
}

void RolloutPage::sendWhatIf()
{
    if (m_state.deployment.isEmpty() || m_state.whatIfWanted < 0 || m_state.whatIfInFlight >= 0)
        return; // the answer in flight sends the latest wish when it lands
    m_state.whatIfInFlight = m_state.whatIfWanted;
    m_service->previewWhatIf(m_state.deployment, m_state.whatIfWanted);
}

void RolloutPage::requestWhatIf(int percentage)
{
    if (m_state.deployment.isEmpty())
        return;
    m_state.whatIfWanted = percentage;
    m_whatIf->showPending(percentage);
    m_whatIfDebounce.start();
}

} // namespace mldeck::ui
