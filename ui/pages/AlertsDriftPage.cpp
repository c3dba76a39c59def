#include "ui/pages/AlertsDriftPage.h"

#include "core/services/AlertsService.h"
#include "core/services/DriftService.h"
#include "ui/ConnectionSession.h"
#include "ui/Pages.h"
#include "ui/pages/drift/AlertRulesView.h"
#include "ui/pages/drift/AlertsTableModel.h"
#include "ui/pages/drift/DriftCharts.h"
#include "ui/pages/drift/DriftTableModel.h"
#include "ui/pages/drift/SparklineDelegate.h"
#include "ui/widgets/InfoBar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

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
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::AlertsDrift)));

    m_info = new InfoBar(this);
    m_info->hide();

    // Alerts.
    auto *alertsTitle = new QLabel(tr("<b>Alerts</b>"), this);
    m_ack = new QPushButton(tr("Acknowledge"), this);
    m_ack->setObjectName(QStringLiteral("acknowledgeButton"));
    m_silence = new QPushButton(tr("Silence…"), this);
    m_silence->setObjectName(QStringLiteral("silenceButton"));
    m_refresh = new QPushButton(tr("Refresh"), this);
    m_alertsView = makeTable(m_alertsModel, this);
    m_alertsView->setObjectName(QStringLiteral("alertsView"));
    m_alertsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_alertsView->horizontalHeader()->setSectionResizeMode(AlertsTableModel::Title, QHeaderView::Stretch);
    m_alertsView->horizontalHeader()->setStretchLastSection(false);

    auto *alertsBar = new QHBoxLayout;
    alertsBar->addWidget(alertsTitle);
    alertsBar->addStretch();
    alertsBar->addWidget(m_ack);
    alertsBar->addWidget(m_silence);
    alertsBar->addWidget(m_refresh);

    // Drift.
    m_deployment = new QComboBox(this);
    m_deployment->setMinimumWidth(160);
    m_driftSummary = new QLabel(this);
    m_driftSummary->setWordWrap(true);
    m_driftView = makeTable(m_driftModel, this);
    m_driftView->setObjectName(QStringLiteral("driftView"));
    m_driftView->setItemDelegateForColumn(DriftTableModel::Trend, new SparklineDelegate(m_driftView));
    m_driftView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_driftView->horizontalHeader()->setSectionResizeMode(DriftTableModel::Trend, QHeaderView::Stretch);
    m_charts = new DriftCharts(this);

    auto *driftBar = new QHBoxLayout;
    driftBar->addWidget(new QLabel(tr("<b>Feature drift</b>"), this));
    driftBar->addWidget(new QLabel(tr("Deployment:"), this));
    driftBar->addWidget(m_deployment);
    driftBar->addWidget(m_driftSummary, 1);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(alertsBar);
    // Issue 4: the alert list and the KPI alert rules (state, last value) side by side as tabs.
    m_rules = new AlertRulesView(this);
    auto *alertTabs = new QTabWidget(top);
    alertTabs->setObjectName(QStringLiteral("alertTabs"));
    alertTabs->addTab(m_alertsView, tr("Alerts"));
    alertTabs->addTab(m_rules, tr("Rules"));
    topLayout->addWidget(alertTabs);
    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addLayout(driftBar);
    bottomLayout->addWidget(m_driftView, 1);
    bottomLayout->addWidget(m_charts, 1);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 5);
    m_alertsView->setMinimumHeight(140);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_info);
    layout->addWidget(splitter);

    connect(m_alerts, &AlertsService::alertsListed, this, [this](const QList<Alert> &alerts, const QString &error) {
        const qint64 selected = selectedAlertId();
        if (!error.isEmpty()) {
            m_info->showMessage(tr("Alerts could not be read: %1").arg(error), InfoBar::Kind::Warning);
            m_info->show();
            m_alertsModel->setAlerts({}, QDateTime::currentDateTimeUtc()); // never show stale alerts as live
        } else {
            m_alertsModel->setAlerts(alerts, QDateTime::currentDateTimeUtc());
            for (int r = 0; r < m_alertsModel->rowCount(); ++r)
                if (m_alertsModel->alertAt(r)->id == selected)
                    m_alertsView->selectRow(r);
        }
        updateButtons();
        Q_EMIT alertsUpdated();
    });
    connect(m_alerts, &AlertsService::actionFinished, this, [this](qint64, bool ok, const QString &message) {
        m_info->showMessage(message, ok ? InfoBar::Kind::Info : InfoBar::Kind::Warning);
        m_info->show();
        m_alerts->refresh();
    });
    connect(m_drift, &DriftService::deploymentsListed, this, [this](const QStringList &names, const QString &error) {
        if (!error.isEmpty()) {
            m_driftSummary->setText(tr("Deployments could not be read: %1").arg(error));
            return;
        }
        const QString current = m_deployment->currentText();
        QSignalBlocker block(m_deployment);
        m_deployment->clear();
        m_deployment->addItems(names);
        const int keep = m_deployment->findText(current);
        m_deployment->setCurrentIndex(keep >= 0 ? keep : (m_deployment->findText(QStringLiteral("eta")) >= 0
                                                              ? m_deployment->findText(QStringLiteral("eta"))
                                                              : 0));
        if (m_deployment->count() > 0)
            m_drift->refresh(m_deployment->currentText());
        if (m_deployment->count() > 0 && m_deployment->currentText() != m_rulesDeployment)
            m_rules->setDeployment(m_rulesDeployment = m_deployment->currentText());
        else
            m_driftSummary->setText(tr("No deployment has logged predictions yet."));
    });
    connect(m_drift, &DriftService::refreshed, this, [this](const DriftView &view, const QString &error) {
        if (view.deployment != m_deployment->currentText())
            return; // an answer for a deployment no longer shown
        const QString selected = m_driftModel->featureAt(m_driftView->currentIndex().row())
                                     ? m_driftModel->featureAt(m_driftView->currentIndex().row())->name
                                     : QString();
        if (!error.isEmpty()) {
            m_driftModel->setView(DriftView{});
            m_charts->clear();
            m_driftSummary->setText(tr("No drift figures: %1").arg(error));
        } else {
            m_driftModel->setView(view);
            const auto &r = view.report.result;
            m_driftSummary->setText(
                (r.datasetDrift ? tr("Dataset drift: %1 of %2 features drift. Window %3 to %4 against %5.")
                                : tr("No dataset drift: %1 of %2 features drift. Window %3 to %4 against %5."))
                    .arg(r.drifted)
                    .arg(r.considered)
                    .arg(view.report.windowFrom.toLocalTime().toString(QStringLiteral("HH:mm")),
                         view.report.windowTo.toLocalTime().toString(QStringLiteral("HH:mm")),
                         view.report.referenceDescription));
            for (int row = 0; row < m_driftModel->rowCount(); ++row)
                if (m_driftModel->featureAt(row)->name == selected)
                    m_driftView->selectRow(row);
            showSelectedFeature();
        }
        Q_EMIT driftUpdated();
    });
    connect(m_deployment, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        if (!name.isEmpty() && m_connected)
            m_drift->refresh(name);
        m_rules->setDeployment(m_rulesDeployment = name);
    });
    connect(m_alertsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AlertsDriftPage::updateButtons);
    connect(m_driftView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &AlertsDriftPage::showSelectedFeature);
    connect(m_ack, &QPushButton::clicked, this, &AlertsDriftPage::acknowledgeSelected);
    connect(m_silence, &QPushButton::clicked, this, &AlertsDriftPage::silenceSelected);
    connect(m_refresh, &QPushButton::clicked, this, &AlertsDriftPage::refresh);
    connect(m_timer, &QTimer::timeout, this, &AlertsDriftPage::refresh);
    m_timer->start(kRefreshMs);

    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &AlertsDriftPage::connectTo);
    if (!m_session.activeProfile().name.isEmpty())
        connectTo(m_session.activeProfile());
    updateButtons();
}

AlertsDriftPage::~AlertsDriftPage() = default;

void AlertsDriftPage::connectTo(const ConnectionProfile &profile)
{
    m_alerts->setEndpoint(profile.pg);
    m_drift->setEndpoint(profile.pg);
    m_rules->setEndpoint(profile.pg);
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

QString AlertsDriftPage::statusText() const { return m_info->isVisible() ? m_info->text() : QString(); }

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
    const drift::FeatureDrift *f = m_driftModel->featureAt(m_driftView->currentIndex().row());
    if (!f || m_driftView->selectionModel()->selectedRows().isEmpty()) {
        m_charts->clear();
        return;
    }
    m_charts->showFeature(*f, m_driftModel->historyOf(f->name));
}

} // namespace mldeck::ui
