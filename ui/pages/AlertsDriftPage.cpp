#include "ui/pages/AlertsDriftPage.h"

#include "core/services/AlertsService.h"
#include "core/services/DriftService.h"
#include "ui/ConnectionSession.h"
#include "ui/Pages.h"
#include "ui/pages/drift/AlertRulesView.h"
#include "ui/pages/drift/AlertsTableModel.h"
#include "ui/pages/drift/DriftCharts.h"
#include "ui/pages/drift/DriftReferenceBar.h"
#include "ui/pages/drift/DriftTableModel.h"
#include "ui/pages/drift/SparklineDelegate.h"
#include "ui/widgets/InfoBar.h"
#include "ui/widgets/PageFrame.h"
#include "ui/widgets/ReadSourceLine.h"
#include "ui/widgets/RoleGate.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <utility>

namespace mldeck::ui {

namespace {

QTableView *makeTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->verticalHeader()->hide();
    view->setAlternatingRowColors(true);
    view->horizontalHeader()->setStretchLastSection(true);
    return view;
}

} // namespace

AlertsDriftPage::AlertsDriftPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_alerts(new AlertsService(this)), m_drift(new DriftService(this)),
      m_alertsModel(new AlertsTableModel(this)), m_driftModel(new DriftTableModel(this)), m_timer(new QTimer(this))
{
    m_frame = PageFrame::install(this, PageId::AlertsDrift,
                                 tr("What fires and who saw it, and which features drift from their reference."),
                                 PageFrame::Selector::Deployment);
    m_deployment = m_frame->deploymentSelector();
    m_refresh = m_frame->refreshButton();
    m_frame->setBody(buildBody());
    connectServices();
    connectControls();
    m_timer->start(kRefreshMs);
    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &AlertsDriftPage::connectTo);
    connect(&m_session, &ConnectionSession::permissionsChanged, this, &AlertsDriftPage::updateButtons);
    if (!m_session.activeProfile().name.isEmpty())
        connectTo(m_session.activeProfile());
    updateButtons();
}

// The body: the alerts (and the KPI alert rules, as a second tab) over the drift of the deployment.
QWidget *AlertsDriftPage::buildBody()
{
    auto *body = new QWidget(this);
    m_info = new InfoBar(body);
    m_info->hide();
    auto *splitter = new QSplitter(Qt::Vertical, body);
    splitter->addWidget(buildAlerts(splitter));
    splitter->addWidget(buildDrift(splitter));
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 5);
    auto *layout = new QVBoxLayout(body);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_info);
    layout->addWidget(splitter);
    return body;
}

// The alert list with its actions, and the KPI alert rules (state, last value), as tabs.
QWidget *AlertsDriftPage::buildAlerts(QWidget *parent)
{
    auto *top = new QWidget(parent);
    m_ack = new QPushButton(tr("Acknowledge"), top);
    m_ack->setObjectName(QStringLiteral("acknowledgeButton"));
    m_silence = new QPushButton(tr("Silence…"), top);
    m_silence->setObjectName(QStringLiteral("silenceButton"));
    m_alertsView = makeTable(m_alertsModel, top);
    m_alertsView->setObjectName(QStringLiteral("alertsView"));
    m_alertsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_alertsView->horizontalHeader()->setSectionResizeMode(AlertsTableModel::Title, QHeaderView::Stretch);
    m_alertsView->horizontalHeader()->setStretchLastSection(false);
    m_alertsView->setMinimumHeight(140);

    auto *alertsBar = new QHBoxLayout;
    alertsBar->addWidget(new QLabel(tr("<b>Alerts</b>"), top));
    alertsBar->addStretch();
    alertsBar->addWidget(m_ack);
    alertsBar->addWidget(m_silence);

    m_rules = new AlertRulesView(m_alerts, top);
    auto *alertTabs = new QTabWidget(top);
    alertTabs->setObjectName(QStringLiteral("alertTabs"));
    alertTabs->addTab(m_alertsView, tr("Alerts"));
    alertTabs->addTab(m_rules, tr("Rules"));

    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(alertsBar);
    topLayout->addWidget(alertTabs);
    return top;
}

// The drift table of the deployment (with sparklines), and the charts of the selected feature.
QWidget *AlertsDriftPage::buildDrift(QWidget *parent)
{
    auto *bottom = new QWidget(parent);
    m_driftSummary = new QLabel(bottom);
    m_driftSummary->setWordWrap(true);
    m_driftView = makeTable(m_driftModel, bottom);
    m_driftView->setObjectName(QStringLiteral("driftView"));
    m_driftView->setItemDelegateForColumn(DriftTableModel::Trend, new SparklineDelegate(m_driftView));
    m_driftView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_driftView->horizontalHeader()->setSectionResizeMode(DriftTableModel::Trend, QHeaderView::Stretch);
    m_charts = new DriftCharts(bottom);
    m_reference = new DriftReferenceBar(bottom);
    m_driftSource = new ReadSourceLine(bottom);
    m_driftSource->setObjectName(QStringLiteral("driftReadSource"));

    auto *driftBar = new QHBoxLayout;
    driftBar->addWidget(new QLabel(tr("<b>Feature drift</b>"), bottom));
    driftBar->addWidget(m_driftSummary, 1);

    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addLayout(driftBar);
    bottomLayout->addWidget(m_driftSource);
    bottomLayout->addWidget(m_reference);
    bottomLayout->addWidget(m_driftView, 1);
    bottomLayout->addWidget(m_charts, 1);
    return bottom;
}

void AlertsDriftPage::connectServices()
{
    connect(m_alerts, &AlertsService::alertsListed, this, &AlertsDriftPage::onAlertsListed);
    connect(m_alerts, &AlertsService::actionFinished, this, &AlertsDriftPage::onActionFinished);
    connect(m_drift, &DriftService::deploymentsListed, this, &AlertsDriftPage::onDeploymentsListed);
    connect(m_drift, &DriftService::refreshed, this, &AlertsDriftPage::onDriftRefreshed);
    // Emitted before each refreshed: the drift figures never show without where they were read.
    connect(m_drift, &PgService::readSourceChanged, m_driftSource, &ReadSourceLine::showSource);
    connect(m_drift, &PgService::readSourceChanged, &m_session, &ConnectionSession::noteReadSource);
}

void AlertsDriftPage::connectControls()
{
    connect(m_deployment, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        if (!name.isEmpty() && m_connected)
            m_drift->refresh(name);
        m_rules->setDeployment(m_rulesDeployment = name);
    });
    connect(m_alertsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &AlertsDriftPage::updateButtons);
    connect(m_driftView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &AlertsDriftPage::showSelectedFeature);
    connect(m_ack, &QPushButton::clicked, this, &AlertsDriftPage::acknowledgeSelected);
    connect(m_silence, &QPushButton::clicked, this, &AlertsDriftPage::silenceSelected);
    connect(m_refresh, &QPushButton::clicked, this, &AlertsDriftPage::refresh);
    connect(m_timer, &QTimer::timeout, this, &AlertsDriftPage::refresh);
}

void AlertsDriftPage::onAlertsListed(const Result<QList<Alert>> &alerts)
{
    const qint64 linked = std::exchange(m_wantedAlert, 0); // asked for by a link (showAlert)
    const qint64 selected = linked ? linked : selectedAlertId();
    if (!alerts) {
        m_info->showMessage(tr("Alerts could not be read: %1").arg(alerts.errorMessage()), InfoBar::Kind::Warning);
        m_info->show();
        m_alertsModel->setAlerts({}, QDateTime::currentDateTimeUtc()); // never show stale alerts as live
    } else {
        m_alertsModel->setAlerts(*alerts, QDateTime::currentDateTimeUtc());
        bool found = false;
        for (int r = 0; r < m_alertsModel->rowCount() && !found; ++r)
            if (m_alertsModel->alertAt(r)->id == selected) {
                m_alertsView->selectRow(r);
                found = true;
            }
        if (linked && !found) {
            m_info->showMessage(tr("Alert %1 is not among the alerts listed here.").arg(linked), InfoBar::Kind::Info);
            m_info->show();
        }
    }
    updateButtons();
    Q_EMIT alertsUpdated();
}

void AlertsDriftPage::onActionFinished(const Result<QString> &message)
{
    m_info->showMessage(message ? *message : message.errorMessage(),
                        message ? InfoBar::Kind::Info : InfoBar::Kind::Warning);
    m_info->show();
    m_alerts->refresh();
}

void AlertsDriftPage::onDeploymentsListed(const Result<QStringList> &names)
{
    if (!names) {
        m_driftSummary->setText(tr("Deployments could not be read: %1").arg(names.errorMessage()));
        return;
    }
    const QString shown = m_frame->showDeployments(*names);
    if (shown.isEmpty()) {
        m_driftSummary->setText(tr("No deployment has logged predictions yet."));
        return;
    }
    m_drift->refresh(shown);
    if (shown != m_rulesDeployment)
        m_rules->setDeployment(m_rulesDeployment = shown);
}

void AlertsDriftPage::onDriftRefreshed(const Result<DriftView> &drift)
{
    // Answers come in the order asked: one for a deployment no longer shown is followed by the right one.
    if (drift && drift->deployment != m_deployment->currentText())
        return;
    const QString selected = m_driftModel->nameAt(m_driftView->currentIndex().row());
    if (!drift) {
        m_driftModel->setView(DriftView{});
        m_charts->clear();
        m_reference->clear();
        m_driftSummary->setText(tr("No drift figures: %1").arg(drift.errorMessage()));
    } else if (drift->report.filling) {
        m_driftModel->setView(*drift);
        m_charts->clear();
        m_reference->showReport(drift->report);
        m_driftSummary->setText(tr("No drift figures yet: the reference is filling."));
    } else {
        const DriftView &view = *drift;
        m_driftModel->setView(view);
        m_reference->showReport(view.report);
        const auto &r = view.report.result;
        // A window of days ("6d", read from sketches) said as "23:45 to 23:45" would look empty: dates then.
        const QDateTime from = view.report.windowFrom.toLocalTime(), to = view.report.windowTo.toLocalTime();
        const auto when = [sameDay = from.date() == to.date()](const QDateTime &t) {
            return sameDay ? t.toString(QStringLiteral("HH:mm")) : QLocale().toString(t, QLocale::ShortFormat);
        };
        m_driftSummary->setText((r.datasetDrift
                                     ? tr("Dataset drift: %1 of %2 features drift. Window %3 to %4 against %5.")
                                     : tr("No dataset drift: %1 of %2 features drift. Window %3 to %4 against %5."))
                                    .arg(r.drifted)
                                    .arg(r.considered)
                                    .arg(when(from), when(to), view.report.referenceDescription));
        for (int row = 0; row < m_driftModel->rowCount(); ++row)
            if (m_driftModel->nameAt(row) == selected)
                m_driftView->selectRow(row);
        showSelectedFeature();
    }
    Q_EMIT driftUpdated();
}

AlertsDriftPage::~AlertsDriftPage() = default;

void AlertsDriftPage::connectTo(const ConnectionProfile &profile)
{
    m_alerts->setEndpoint(profile.pg);
    m_drift->setEndpoint(profile.pg);
    m_drift->setReadReplica(profile.pgRead); // the page's view; its settings are read and written on the primary
    m_driftSource->hide();
    m_connected = true;
    refresh();
}

void AlertsDriftPage::refresh()
{
    if (!m_connected)
        return;
    m_alerts->refresh();
    m_drift->listDeployments();
    m_rules->refresh();
}

void AlertsDriftPage::showAlert(const QString &deployment, qint64 alertId)
{
    if (auto *tabs = findChild<QTabWidget *>(QStringLiteral("alertTabs")))
        tabs->setCurrentWidget(m_alertsView);
    if (const int i = m_deployment->findText(deployment); i >= 0)
        m_deployment->setCurrentIndex(i);
    m_wantedAlert = alertId;
    refresh();
}

QString AlertsDriftPage::statusText() const
{
    return m_info->isVisible() ? m_info->text() : QString();
}

qint64 AlertsDriftPage::selectedAlertId() const
{
    const QModelIndexList rows = m_alertsView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    const Alert *a = m_alertsModel->alertAt(rows.first().row());
    return a ? a->id : 0;
}

void AlertsDriftPage::updateButtons()
{
    const QModelIndexList rows = m_alertsView->selectionModel()->selectedRows();
    const Alert *a = rows.isEmpty() ? nullptr : m_alertsModel->alertAt(rows.first().row());
    const bool open = a && !a->resolved();
    m_ack->setEnabled(open && !a->acknowledgedAt.isValid());
    m_silence->setEnabled(open);
    m_ack->setToolTip(a && a->acknowledgedAt.isValid() ? tr("Already acknowledged by %1").arg(a->acknowledgedBy)
                                                       : tr("Mark the selected alert as seen (audited)"));
    applyRole(m_ack, m_session.permissions(), RoleAction::AlertAcknowledge);
    applyRole(m_silence, m_session.permissions(), RoleAction::AlertSilence);
}

void AlertsDriftPage::acknowledgeSelected()
{
    if (const qint64 id = selectedAlertId()) {
        m_ack->setEnabled(false);
        m_alerts->acknowledge(id);
    }
}

void AlertsDriftPage::silenceSelected()
{
    const qint64 id = selectedAlertId();
    if (!id)
        return;
    const std::optional<QDateTime> until = m_askSilence(this);
    if (until)
        m_alerts->silence(id, *until);
}

void AlertsDriftPage::showSelectedFeature()
{
    const int row = m_driftView->currentIndex().row();
    const drift::FeatureDrift *f = m_driftModel->featureAt(row);
    const drift::MultivariateDrift *m = m_driftModel->multivariateAt(row);
    if ((!f && !m) || m_driftView->selectionModel()->selectedRows().isEmpty()) {
        m_charts->clear();
        return;
    }
    if (m)
        m_charts->showMultivariate(*m, m_driftModel->historyOf(kDriftMultivariateFeature));
    else
        m_charts->showFeature(*f, m_driftModel->historyOf(f->name));
}

} // namespace mldeck::ui
