#include "ui/pages/AuditPage.h"

#include "core/services/AuditService.h"
#include "ui/ConnectionSession.h"
#include "ui/Icons.h"
#include "ui/Theme.h"
#include "ui/pages/audit/AuditDetail.h"
#include "ui/pages/audit/AuditFilterBar.h"
#include "ui/pages/audit/AuditLink.h"
#include "ui/pages/audit/AuditTableModel.h"
#include "ui/pages/audit/ServedTimelineView.h"
#include "ui/widgets/EmptyStateView.h"
#include "ui/widgets/InfoBar.h"
#include "ui/widgets/PageFrame.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>

namespace mldeck::ui {

namespace {

QString askExportPath(QWidget *parent, AuditExportFormat format)
{
    const bool csv = format == AuditExportFormat::Csv;
    return QFileDialog::getSaveFileName(parent, AuditPage::tr("Export the audit rows shown"),
                                        csv ? QStringLiteral("audit.csv") : QStringLiteral("audit.json"),
                                        csv ? AuditPage::tr("CSV files (*.csv)")
                                            : AuditPage::tr("JSON files (*.json)"));
}

} // namespace

AuditPage::AuditPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new AuditService(this)), m_askPath(askExportPath)
{
    m_model = new AuditTableModel(*m_service, this);
    auto *frame = PageFrame::install(this, PageId::Audit, tr("Who changed what, and when."), PageFrame::Selector::None);

    m_exportCsv = new QPushButton(tr("Export CSV…"), frame);
    m_exportCsv->setObjectName(QStringLiteral("auditExportCsv"));
    m_exportCsv->setToolTip(tr("Write the rows the filters show to a CSV file"));
    m_exportJson = new QPushButton(tr("Export JSON…"), frame);
    m_exportJson->setObjectName(QStringLiteral("auditExportJson"));
    m_exportJson->setToolTip(tr("Write the rows the filters show to a JSON file"));
    auto *refreshButton = new QPushButton(tr("Refresh"), frame);
    refreshButton->setObjectName(QStringLiteral("auditRefresh"));
    frame->addToHeader(refreshButton);
    frame->addToHeader(m_exportCsv);
    frame->addToHeader(m_exportJson);
    connect(m_exportCsv, &QPushButton::clicked, this, [this] { exportView(AuditExportFormat::Csv); });
    connect(m_exportJson, &QPushButton::clicked, this, [this] { exportView(AuditExportFormat::Json); });
    updateExportButtons();
    connect(refreshButton, &QPushButton::clicked, this, &AuditPage::refresh);

    auto *body = new QWidget(frame);
    m_info = new InfoBar(body);
    m_info->hide();
    m_tabs = new QTabWidget(body);
    m_tabs->setObjectName(QStringLiteral("auditTabs"));
    m_tabs->addTab(buildChanges(m_tabs), tr("Changes"));
    m_timeline = new ServedTimelineView(*m_service, m_tabs);
    m_tabs->addTab(m_timeline, tr("What served when"));
    auto *layout = new QVBoxLayout(body);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_info);
    layout->addWidget(m_tabs, 1);
    frame->setBody(body);

    connect(m_service, &AuditService::choicesListed, this, &AuditPage::onChoices);
    connect(m_service, &AuditService::exportProgress, this,
            [this](qint64 rows) { m_exportProgress->setFormat(tr("%1 rows written").arg(QLocale().toString(rows))); });
    connect(m_service, &AuditService::exportFinished, this, &AuditPage::onExportFinished);
    connect(m_model, &AuditTableModel::opened, this, [this] {
        readSucceeded();
        updateState();
    });
    connect(m_model, &AuditTableModel::freshRowsInserted, this, [this] {
        readSucceeded();
        updateState();
    });
    connect(m_model, &AuditTableModel::modelReset, this, &AuditPage::updateState);
    connect(m_model, &AuditTableModel::pageLoaded, this, [this] {
        readSucceeded();
        if (m_waitingForSelected)
            showSelected(); // the selected row's page arrived
    });
    connect(m_model, &AuditTableModel::failed, this, [this](const QString &message) {
        m_info->showMessage(tr("The audit log could not be read: %1").arg(message), InfoBar::Kind::Warning);
        m_info->show();
        m_readFailed = true;
        updateState();
    });
    connect(m_filters, &AuditFilterBar::filterChanged, this, [this](const AuditFilter &filter) {
        if (m_connected)
            m_model->setFilter(filter);
    });
    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &AuditPage::connectTo);
    if (!m_session.activeProfile().name.isEmpty())
        connectTo(m_session.activeProfile());
}

AuditPage::~AuditPage() = default;

// The filters over the rows (or "No changes match") beside the selected row in full; the count and
// the export's progress under them.
QWidget *AuditPage::buildChanges(QWidget *parent)
{
    auto *changes = new QWidget(parent);
    m_filters = new AuditFilterBar(changes);

    m_view = new QTableView(changes);
    m_view->setObjectName(QStringLiteral("auditView"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    // Fixed row heights and column widths: the view never measures a million rows.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    QHeaderView *header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setMinimumSectionSize(40); // the last column fills what is left, however little
    header->setStretchLastSection(true);
    // Widths from sample contents (the view never measures the rows themselves).
    const QFontMetrics metrics = m_view->fontMetrics();
    const auto width = [&metrics](const QString &sample) { return metrics.horizontalAdvance(sample) + 24; };
    header->resizeSection(AuditTableModel::Time, width(QStringLiteral("2026-12-31 23:59:59")));
    header->resizeSection(AuditTableModel::Actor, width(QStringLiteral("mldeck-guard")));
    header->resizeSection(AuditTableModel::Action, width(QStringLiteral("alert.acknowledge")));
    header->resizeSection(AuditTableModel::Deployment, width(QStringLiteral("deployment")));
    header->resizeSection(AuditTableModel::Reason, width(QStringLiteral("a short reason")));

    m_empty = new EmptyStateView({pageGlyph(PageId::Audit, 64, themeColor(Palette::Muted)), tr("No changes match"),
                                  tr("No audit row matches these filters. Widen the time range, pick another "
                                     "deployment or kind, or clear the search."),
                                  QString()},
                                 changes);
    m_stack = new QStackedWidget(changes);
    m_stack->addWidget(m_view);
    m_stack->addWidget(m_empty);

    m_detail = new AuditDetail(changes);
    m_detail->setObjectName(QStringLiteral("auditDetail"));
    auto *splitter = new QSplitter(Qt::Horizontal, changes);
    splitter->addWidget(m_stack);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);

    m_count = new QLabel(changes);
    m_count->setObjectName(QStringLiteral("auditCount"));
    m_exportRow = new QWidget(changes);
    m_exportProgress = new QProgressBar(m_exportRow);
    m_exportProgress->setRange(0, 0); // the count is not known before the end: a busy bar with the rows written
    m_exportProgress->setTextVisible(true);
    m_exportCancel = new QPushButton(tr("Cancel export"), m_exportRow);
    m_exportCancel->setObjectName(QStringLiteral("auditExportCancel"));
    auto *exportLayout = new QHBoxLayout(m_exportRow);
    exportLayout->setContentsMargins(0, 0, 0, 0);
    exportLayout->addWidget(m_exportProgress, 1);
    exportLayout->addWidget(m_exportCancel);
    m_exportRow->hide();
    connect(m_exportCancel, &QPushButton::clicked, this, &AuditPage::cancelExport);

    auto *footer = new QHBoxLayout;
    footer->addWidget(m_count, 1);
    footer->addWidget(m_exportRow, 1);
    auto *layout = new QVBoxLayout(changes);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_filters);
    layout->addWidget(splitter, 1);
    layout->addLayout(footer);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AuditPage::showSelected);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        if (const AuditEntry *e = m_model->entryAt(index.row()))
            openLink(AuditLink::of(*e));
    });
    connect(m_detail, &AuditDetail::openRequested, this, &AuditPage::openLink);
    return changes;
}

void AuditPage::connectTo(const ConnectionProfile &profile)
{
    m_service->setEndpoint(profile.pg);
    m_connected = true;
    updateExportButtons();
    m_model->setLive(isVisible());
    refresh();
}

void AuditPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_connected)
        return;
    m_model->setLive(true);
    m_model->pollNewer(); // what came while the page was hidden
}

void AuditPage::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_model->setLive(false);
}

void AuditPage::refresh()
{
    if (!m_connected)
        return;
    m_info->hide();
    m_readFailed = false;
    m_service->listChoices();
    m_model->setFilter(m_filters->filter());
    m_timeline->reload();
}

void AuditPage::onChoices(const Result<AuditChoices> &choices)
{
    if (!choices) {
        m_info->showMessage(tr("The audit log could not be read: %1").arg(choices.errorMessage()),
                            InfoBar::Kind::Warning);
        m_info->show();
        m_readFailed = true;
        return;
    }
    m_filters->setChoices(choices->deployments, choices->actors, choices->actions);
    m_timeline->setDeployments(choices->deployments);
}

// A read worked again: the warning of the last failed one goes.
void AuditPage::readSucceeded()
{
    if (!m_readFailed)
        return;
    m_readFailed = false;
    m_info->hide();
}

void AuditPage::updateExportButtons()
{
    const bool can = m_connected && !m_service->isExporting();
    m_exportCsv->setEnabled(can);
    m_exportJson->setEnabled(can);
}

void AuditPage::updateState()
{
    const bool none = m_model->isOpen() && m_model->rowCount() == 0;
    m_stack->setCurrentWidget(none ? static_cast<QWidget *>(m_empty) : m_view);
    m_count->setText(countText());
    showSelected();
}

QString AuditPage::countText() const
{
    if (!m_model->isOpen())
        return m_connected ? tr("Reading the audit log…") : tr("Not connected.");
    const int rows = m_model->rowCount();
    return m_filters->filter().isEmpty() ? tr("%n change(s), newest first; new ones appear live.", nullptr, rows)
                                         : tr("%n change(s) match, newest first; new ones appear live.", nullptr, rows);
}

bool AuditPage::showsEmptyState() const
{
    return m_stack->currentWidget() == m_empty;
}

QString AuditPage::statusText() const
{
    return m_info->isVisible() ? m_info->text() : QString();
}

void AuditPage::showSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    const AuditEntry *e = rows.isEmpty() ? nullptr : m_model->entryAt(rows.first().row());
    m_waitingForSelected = !rows.isEmpty() && !e;
    if (e)
        m_detail->showEntry(*e);
    else
        m_detail->clear();
}

void AuditPage::openLink(const AuditLink &link)
{
    switch (link.target) {
    case AuditLink::Target::ModelVersion:
        Q_EMIT openModelVersion(link.deployment, link.version);
        break;
    case AuditLink::Target::Alert:
        Q_EMIT openAlert(link.deployment, link.alertId);
        break;
    case AuditLink::Target::DashboardMoment:
        Q_EMIT openDashboardMoment(link.deployment, link.at);
        break;
    case AuditLink::Target::None:
        break;
    }
}

void AuditPage::exportView(AuditExportFormat format)
{
    const QString path = m_askPath(this, format);
    if (!path.isEmpty())
        exportTo(format, path);
}

void AuditPage::exportTo(AuditExportFormat format, const QString &path)
{
    if (!m_connected || m_service->isExporting())
        return;
    m_exportProgress->setFormat(tr("Exporting…"));
    m_exportRow->show();
    m_service->exportTo(m_model->filter(), format, path);
    updateExportButtons();
}

void AuditPage::cancelExport()
{
    m_service->cancelExport();
}

void AuditPage::onExportFinished(const Result<qint64> &rows)
{
    m_exportRow->hide();
    updateExportButtons();
    if (rows)
        m_info->showMessage(tr("%n row(s) exported.", nullptr, int(std::min<qint64>(*rows, INT_MAX))),
                            InfoBar::Kind::Info);
    else
        m_info->showMessage(tr("Nothing was exported: %1").arg(rows.errorMessage()), InfoBar::Kind::Warning);
    m_info->show();
    Q_EMIT exportFinished(rows.ok());
}

} // namespace mldeck::ui
