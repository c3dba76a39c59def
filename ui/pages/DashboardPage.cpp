#include "ui/pages/DashboardPage.h"

#include "ui/Theme.h"

#include "core/services/KpiService.h"
#include "ui/ConnectionSession.h"
#include "ui/Pages.h"
#include "ui/pages/dashboard/ClassificationCharts.h"
#include "ui/pages/dashboard/ClassificationDetail.h"
#include "ui/pages/dashboard/DashboardCharts.h"
#include "ui/pages/dashboard/DependencyStrip.h"
#include "ui/pages/dashboard/KpiBreakdownModel.h"
#include "ui/pages/dashboard/KpiTileWidget.h"
#include "ui/pages/dashboard/KpiTiles.h"
#include "ui/pages/dashboard/NannyQualityPanel.h"
#include "ui/pages/dashboard/RangeSelector.h"
#include "ui/reports/ReportExporter.h"
#include "ui/widgets/PageFrame.h"
#include "ui/widgets/ReadSourceLine.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

QString timeText(const QDateTime &at)
{
    return QLocale().toString(at.toLocalTime().time(), QStringLiteral("HH:mm:ss"));
}

bool sameQuery(const KpiQuery &a, const KpiQuery &b)
{
    if (a.deployment != b.deployment || a.live != b.live)
        return false;
    return a.live ? a.rangeSeconds() == b.rangeSeconds() : (a.fromSecs == b.fromSecs && a.toSecs == b.toSecs);
}

} // namespace

DashboardPage::DashboardPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new KpiService(this)), m_breakdown(new KpiBreakdownModel(this))
{
    m_frame = PageFrame::install(this, PageId::Dashboard,
                                 tr("How the model does against its targets, live or over a range, next to the "
                                    "heuristic."),
                                 PageFrame::Selector::Deployment);
    m_deployment = m_frame->deploymentSelector();
    m_refresh = m_frame->refreshButton();
    buildBar(*m_frame);
    m_frame->setBody(buildBody());
    connectService();
    setState(State::Idle, tr("Not connected to a database yet."));
    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &DashboardPage::connectTo);
    if (!m_session.activeProfile().name.isEmpty())
        connectTo(m_session.activeProfile());
}

// The bar: what is shown and how often it is read again, and the report.
void DashboardPage::buildBar(PageFrame &frame)
{
    m_range = new RangeSelector(&frame);
    m_autoRefresh = new QComboBox(&frame);
    m_autoRefresh->setObjectName(QStringLiteral("autoRefreshBox"));
    m_autoRefresh->addItem(tr("Off"), 0);
    m_autoRefresh->addItem(tr("1 s"), 1000);
    m_autoRefresh->addItem(tr("5 s"), 5000);
    m_autoRefresh->addItem(tr("10 s"), 10000);
    m_autoRefresh->addItem(tr("30 s"), 30000);
    m_autoRefresh->addItem(tr("60 s"), 60000);
    m_autoRefresh->setCurrentIndex(m_autoRefresh->findData(kDefaultRefreshMs));
    frame.addToBar(m_range);
    frame.addToHeader(new QLabel(tr("Auto-refresh:"), &frame));
    frame.addToHeader(m_autoRefresh);
    frame.addToHeader(buildReportButton(frame));
}

// Report: the last day or week as PDF or CSV, written off the UI thread.
QToolButton *DashboardPage::buildReportButton(QWidget &bar)
{
    m_report = new QToolButton(&bar);
    m_report->setObjectName(QStringLiteral("reportButton"));
    m_report->setText(tr("Report"));
    m_report->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_report);
    menu->addAction(tr("Last day as PDF…"), this,
                    [this] { exportReport(QStringLiteral("day"), QStringLiteral("pdf")); });
    menu->addAction(tr("Last week as PDF…"), this,
                    [this] { exportReport(QStringLiteral("week"), QStringLiteral("pdf")); });
    menu->addAction(tr("Last day as CSV…"), this,
                    [this] { exportReport(QStringLiteral("day"), QStringLiteral("csv")); });
    menu->addAction(tr("Last week as CSV…"), this,
                    [this] { exportReport(QStringLiteral("week"), QStringLiteral("csv")); });
    m_report->setMenu(menu);
    m_exporter = new ReportExporter(this);
    m_askPath = [](QWidget *parent, const QString &suggested, const QString &filter) {
        return QFileDialog::getSaveFileName(parent, tr("Save the report"), suggested, filter);
    };
    connect(m_exporter, &ReportExporter::finished, this, [this](bool ok, const QString &message) {
        m_report->setEnabled(true);
        m_reportStatus->setText(message);
        m_reportStatus->setStyleSheet(ok ? themeStyle(QStringLiteral("color: @{good};"))
                                         : themeStyle(QStringLiteral("color: @{bad};")));
        m_reportStatus->show();
    });
    return m_report;
}

// The body: the state lines over the tiles, the charts and the table, which scroll together.
QWidget *DashboardPage::buildBody()
{
    auto *body = new QWidget(this);
    m_status = new QLabel(body);
    m_status->setObjectName(QStringLiteral("dashboardState"));
    m_status->setWordWrap(true);
    m_readSource = new ReadSourceLine(body);
    m_readSource->setObjectName(QStringLiteral("dashboardReadSource"));
    m_retention = new QLabel(body);
    m_retention->setObjectName(QStringLiteral("dashboardRetention"));
    m_retention->setWordWrap(true);
    m_retention->hide();
    m_dependencies = new DependencyStrip(body);
    m_reportStatus = new QLabel(body);
    m_reportStatus->setObjectName(QStringLiteral("reportStatus"));
    m_reportStatus->hide();

    // Tiles: rows of four (KpiTiles::columnsFor), laid out by showTask().
    m_tileGrid = new QGridLayout;
    m_tileGrid->setSpacing(8);

    m_charts = new DashboardCharts(this);
    m_classCharts = new ClassificationCharts(this);
    m_classDetail = new ClassificationDetail(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("breakdownView"));
    m_table->setModel(m_breakdown);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setMinimumHeight(150);
    m_nannyQuality = new NannyQualityPanel(this);

    auto *content = new QWidget(this);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->addLayout(m_tileGrid);
    contentLayout->addWidget(m_charts, 1);
    contentLayout->addWidget(m_classCharts, 1);
    contentLayout->addWidget(m_classDetail);
    auto *tableTitle = new QLabel(tr("By path and by model version"), content);
    tableTitle->setObjectName(QStringLiteral("sectionTitle"));
    contentLayout->addWidget(tableTitle);
    contentLayout->addWidget(m_table);
    contentLayout->addWidget(m_nannyQuality);
    auto *scroll = new QScrollArea(body);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);

    auto *layout = new QVBoxLayout(body);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_status);
    layout->addWidget(m_readSource);
    layout->addWidget(m_retention);
    layout->addWidget(m_dependencies);
    layout->addWidget(m_reportStatus);
    layout->addWidget(scroll, 1);
    showTask(QStringLiteral("regression"));
    return body;
}

void DashboardPage::showTask(const QString &task)
{
    if (task == m_tilesTask)
        return;
    m_tilesTask = task;
    for (KpiTileWidget *tile : std::as_const(m_tiles))
        delete tile;
    m_tiles.clear();
    const QStringList keys = KpiTiles::keysFor(task);
    const int columns = KpiTiles::columnsFor(task);
    for (int i = 0; i < keys.size(); ++i) {
        auto *tile = new KpiTileWidget(keys.at(i), this);
        m_tiles.insert(keys.at(i), tile);
        m_tileGrid->addWidget(tile, i / columns, i % columns);
    }
    // Titles before any data, so an empty page still says what each tile is.
    KpiSnapshot empty;
    empty.task = task;
    for (const TileState &t : KpiTiles::compute(empty))
        m_tiles.value(t.key)->show(t);
    const bool classification = task == QLatin1String("classification");
    m_charts->setVisible(!classification);
    m_classCharts->setVisible(classification);
    m_classDetail->setVisible(classification);
    m_nannyQuality->setVisible(!classification);
    m_nannyQuality->clear();
    m_qualityAskedFor.clear();
    m_charts->clear();
    m_classCharts->clear();
    m_classDetail->clear();
}

void DashboardPage::connectService()
{
    m_retry = new QTimer(this);
    m_retry->setSingleShot(true);
    m_retry->setInterval(kDefaultRefreshMs);
    connect(m_retry, &QTimer::timeout, this, &DashboardPage::refresh);
    m_service->setAutoRefreshMs(kDefaultRefreshMs);
    // Emitted before each snapshotRead: the line is current when the figures are shown.
    connect(m_service, &PgService::readSourceChanged, m_readSource, &ReadSourceLine::showSource);
    connect(m_service, &PgService::readSourceChanged, &m_session, &ConnectionSession::noteReadSource);
    connect(m_service, &KpiService::snapshotRead, this, [this](const Result<KpiSnapshot> &snapshot) {
        if (snapshot)
            showSnapshot(*snapshot);
        else
            showFailure(snapshot.errorMessage());
    });
    connect(m_service, &KpiService::nannyQualityRead, this,
            [this](const QString &deployment, const Result<NannyQuality> &quality) {
                m_qualityBusy = false;
                if (m_query && m_query->deployment == deployment)
                    m_nannyQuality->showQuality(quality);
            });
    connect(m_service, &KpiService::deploymentsListed, this, [this](const Result<QStringList> &listed) {
        if (!listed) {
            showFailure(listed.errorMessage());
            return;
        }
        const QString shown = m_frame->showDeployments(*listed, m_wantedDeployment);
        m_wantedDeployment.clear(); // asked for once (showMoment), not kept against the user's choice
        if (shown.isEmpty()) {
            m_query.reset();
            setState(State::NoDeployment, tr("No deployment has logged predictions yet: nothing to show."));
            return;
        }
        if (!m_query || m_query->deployment != shown)
            reload();
    });
    connect(m_deployment, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        if (!name.isEmpty())
            reload();
    });
    connect(m_range, &RangeSelector::rangeChanged, this, &DashboardPage::reload);
    connect(m_autoRefresh, &QComboBox::currentIndexChanged, this,
            [this] { m_service->setAutoRefreshMs(m_autoRefresh->currentData().toInt()); });
    connect(m_refresh, &QPushButton::clicked, this, &DashboardPage::refresh);
}

DashboardPage::~DashboardPage() = default;

void DashboardPage::connectTo(const ConnectionProfile &profile)
{
    m_connected = true;
    m_query.reset();
    m_last.reset();
    m_service->setEndpoint(profile.pg);
    m_service->setReadReplica(profile.pgRead);
    m_exporter->setReadReplica(profile.pgRead);
    m_readSource->hide();
    m_dependencies->connectTo(profile);
    setState(State::Loading, tr("Loading the deployments…"));
    m_service->listDeployments();
}

void DashboardPage::reload()
{
    if (!m_connected)
        return;
    const QString deployment = m_deployment->currentText();
    if (deployment.isEmpty()) {
        m_service->listDeployments();
        return;
    }
    m_dependencies->setDeployment(deployment);
    const QString range = m_range->currentRange();
    std::optional<KpiQuery> query;
    if (range == QLatin1String("custom")) {
        KpiQuery q;
        q.deployment = deployment;
        q.fromSecs = m_range->customFrom().toSecsSinceEpoch();
        q.toSecs = m_range->customTo().toSecsSinceEpoch();
        q.live = false;
        query = q;
    } else {
        query = KpiQuery::lastRange(deployment, range, QDateTime::currentSecsSinceEpoch());
    }
    if (!query)
        return; // the selector offers only valid ranges
    m_query = query;
    m_last.reset(); // figures of another selection are never shown under this one
    setState(State::Loading, tr("Loading %1…").arg(deployment));
    m_service->load(*query);
}

void DashboardPage::showMoment(const QString &deployment, const QDateTime &at)
{
    if (const int i = m_deployment->findText(deployment); i >= 0) {
        m_wantedDeployment.clear();
        m_deployment->setCurrentIndex(i);
    } else {
        // Not listed yet (the list is on its way, or the deployment is newer than it): shown when it arrives.
        m_wantedDeployment = deployment;
        if (m_connected)
            m_service->listDeployments();
    }
    m_range->setCustomRange(at.addSecs(-3600), at.addSecs(3600));
}

void DashboardPage::refresh()
{
    if (!m_connected)
        return;
    if (!m_query || !m_last) {
        // Nothing loaded yet (or the last load failed): start over, deployments first.
        if (m_deployment->count() == 0)
            m_service->listDeployments();
        else
            reload();
        return;
    }
    m_service->refreshNow();
}

void DashboardPage::showSnapshot(const KpiSnapshot &snapshot)
{
    if (!m_query || !sameQuery(snapshot.query, *m_query))
        return; // the answer to a selection no longer shown
    m_last = snapshot;
    m_retry->stop();
    showTask(snapshot.task);
    for (const TileState &t : KpiTiles::compute(snapshot))
        if (KpiTileWidget *tile = m_tiles.value(t.key)) {
            tile->show(t);
            tile->setStale(false);
        }
    if (snapshot.isClassification()) {
        m_classCharts->showSnapshot(snapshot);
        m_classDetail->showSnapshot(snapshot);
    } else {
        m_charts->showSnapshot(snapshot);
        // Per hour: a refresh that finds one still on its way, or comes within the minute of the last, has
        // nothing newer to ask.
        const QString askFor = QStringLiteral("%1|%2|%3")
                                   .arg(snapshot.query.deployment, QString::number(snapshot.query.fromSecs / 60),
                                        QString::number(snapshot.query.toSecs / 60));
        if (!m_qualityBusy && askFor != m_qualityAskedFor) {
            m_qualityBusy = true;
            m_qualityAskedFor = askFor;
            m_service->readNannyQuality(snapshot.query.deployment, snapshot.query.fromSecs, snapshot.query.toSecs);
        }
    }
    m_breakdown->setSnapshot(snapshot);
    // The figures before the retention horizon come from the kept aggregates; the raw rows are gone there.
    m_retention->setVisible(snapshot.rawRowsGoneInRange());
    if (snapshot.rawRowsGoneInRange())
        m_retention->setText(
            tr("Raw rows before %1 are gone (retention): the figures before it come from the kept aggregates, at "
               "hour resolution where minute rows were folded; drift, evaluation and retraining have no rows there.")
                .arg(
                    QLocale().toString(QDateTime::fromSecsSinceEpoch(snapshot.rawRowsBeforeSecs, Qt::UTC).toLocalTime(),
                                       QLocale::ShortFormat)));
    const QString at = timeText(snapshot.computedAt.isValid() ? snapshot.computedAt : QDateTime::currentDateTime());
    const QString took = QLocale().toString(snapshot.elapsedMs, 'f', snapshot.elapsedMs < 10 ? 1 : 0);
    if (const ReadSource &source = m_service->readSource(); source.stale()) {
        for (KpiTileWidget *tile : std::as_const(m_tiles))
            tile->setStale(true);
        setState(State::Stale, tr("NOT live: the read replica is more than %n s behind the primary (refreshed at "
                                  "%1, took %2 ms)",
                                  nullptr, source.maxLagSeconds)
                                   .arg(at, took));
    } else if (snapshot.outcomesAwaitingPrimary > 0) {
        // The standby cannot apply queued outcomes: the figures miss them until the primary has (KpiService
        // asks it) and the standby has replayed that.
        for (KpiTileWidget *tile : std::as_const(m_tiles))
            tile->setStale(true);
        setState(State::Stale, tr("NOT live: %n outcomes are not counted yet, the primary is applying them "
                                  "(refreshed at %1, took %2 ms)",
                                  nullptr, int(snapshot.outcomesAwaitingPrimary))
                                   .arg(at, took));
    } else if (snapshot.overall.predictions == 0) {
        setState(State::NoData, tr("No predictions of %1 in this range (refreshed at %2, took %3 ms).")
                                    .arg(snapshot.query.deployment, at, took));
    } else if (snapshot.query.live) {
        setState(State::Live, tr("Live · refreshed at %1, took %2 ms").arg(at, took));
    } else {
        const QString from = QLocale().toString(QDateTime::fromSecsSinceEpoch(snapshot.query.fromSecs).toLocalTime(),
                                                QLocale::ShortFormat);
        const QString to = QLocale().toString(QDateTime::fromSecsSinceEpoch(snapshot.query.toSecs).toLocalTime(),
                                              QLocale::ShortFormat);
        setState(State::Live, tr("Range %1 to %2 · refreshed at %3, took %4 ms").arg(from, to, at, took));
    }
    ++m_shown;
    Q_EMIT snapshotShown();
}

void DashboardPage::showFailure(const QString &error)
{
    // The error is a sentence of its own; the messages below end it with their own full stop.
    QString message = error.trimmed();
    while (message.endsWith(QLatin1Char('.')))
        message.chop(1);
    for (KpiTileWidget *tile : std::as_const(m_tiles))
        tile->setStale(true);
    if (m_last) {
        const QString at = timeText(m_last->computedAt.isValid() ? m_last->computedAt : QDateTime::currentDateTime());
        // The service keeps refreshing a loaded query on its timer; with auto-refresh off it is up to the user.
        setState(State::Unreachable,
                 (m_autoRefresh->currentData().toInt() > 0
                      ? tr("Cannot read the figures: %1. The figures below are from %2 and are NOT live; retrying.")
                      : tr("Cannot read the figures: %1. The figures below are from %2 and are NOT live; press "
                           "Refresh to try again."))
                     .arg(message, at));
    } else {
        m_charts->clear();
        m_classCharts->clear();
        m_classDetail->clear();
        m_breakdown->clear();
        m_nannyQuality->clear();
        m_qualityAskedFor.clear();
        KpiSnapshot empty;
        empty.task = m_tilesTask;
        for (const TileState &t : KpiTiles::compute(empty))
            m_tiles.value(t.key)->show(t);
        setState(State::Unreachable, tr("Cannot read the figures: %1. No figures to show; retrying.").arg(message));
        m_retry->start();
    }
}

void DashboardPage::setState(State state, const QString &text)
{
    m_state = state;
    m_status->setText(text);
    QString colour = themeCss(Palette::Muted);
    if (state == State::Unreachable)
        colour = themeCss(Palette::Bad);
    else if (state == State::Live)
        colour = themeCss(Palette::Good);
    else if (state == State::NoData || state == State::NoDeployment || state == State::Stale)
        colour = themeCss(Palette::WarnInk);
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(colour));
}

QString DashboardPage::readSourceText() const
{
    return m_readSource->shownText();
}

QString DashboardPage::stateText() const
{
    return m_status->text();
}
QString DashboardPage::reportStatus() const
{
    return m_reportStatus->isHidden() ? QString() : m_reportStatus->text();
}

void DashboardPage::exportReport(const QString &period, const QString &format)
{
    const QString deployment = m_deployment->currentText();
    if (!m_connected || deployment.isEmpty()) {
        m_reportStatus->setText(tr("Connect to a database and choose a deployment before exporting a report."));
        m_reportStatus->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
        m_reportStatus->show();
        return;
    }
    const QString suggested =
        QDir::home().filePath(QStringLiteral("mldeck-%1-%2-%3.%4")
                                  .arg(deployment, period, QDate::currentDate().toString(Qt::ISODate), format));
    const QString filter = format == QLatin1String("pdf") ? tr("PDF files (*.pdf)") : tr("CSV files (*.csv)");
    const QString path = m_askPath(this, suggested, filter);
    if (path.isEmpty())
        return; // cancelled: nothing happens
    m_report->setEnabled(false);
    m_reportStatus->setText(tr("Writing the report to %1…").arg(path));
    m_reportStatus->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_reportStatus->show();
    m_exporter->start(m_session.activeProfile().pg, deployment, period, format, path);
}

} // namespace mldeck::ui
