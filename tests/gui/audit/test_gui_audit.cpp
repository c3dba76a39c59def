// The Audit page offscreen against real Redis and PostgreSQL: the changes made through the services are
// listed newest first, filtered (kind, deployment, search) with "No changes match" when none does, shown
// in full with their diff; a change made while the page is open appears live; the filtered view exports
// to CSV and JSON files that read back; the served timeline equals the changes; a row's link opens the
// page of what it changed (the alert, the model version, the dashboard's moment).
#include "core/config/Settings.h"
#include "core/domain/ModelVersion.h"
#include "core/secrets/SecretStore.h"
#include "core/services/AuditService.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "tests/integration/rollout/RolloutFixture.h"
#include "tests/support/GuiTestTools.h"
#include "ui/ConnectionSession.h"
#include "ui/MainWindow.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/AuditPage.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/ModelsPage.h"
#include "ui/pages/audit/AuditDetail.h"
#include "ui/pages/audit/AuditFilterBar.h"
#include "ui/pages/audit/AuditTableModel.h"
#include "ui/pages/audit/ServedTimelineView.h"
#include "ui/pages/dashboard/RangeSelector.h"
#include "ui/pages/drift/AlertsTableModel.h"
#include "ui/pages/models/ModelVersionTableModel.h"
#include "ui/pages/models/RegistryView.h"
#include "ui/widgets/EmptyStateView.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString cell(const ui::AuditTableModel &model, int row, int column)
{
    return model.index(row, column).data().toString();
}

// The actions of the rows shown, once every row is loaded (the test's views are small).
QStringList actionsShown(const ui::AuditTableModel &model)
{
    QStringList out;
    for (int row = 0; row < model.rowCount(); ++row)
        if (const AuditEntry *e = model.entryAt(row))
            out << e->action;
    return out;
}

} // namespace

class TestGuiAudit final : public QObject
{
    Q_OBJECT

private:
    RolloutFixture m_f;
    std::unique_ptr<FlagService> m_flags;
    qint64 m_alertId = 0;
    QTemporaryDir m_dir;

    int auditCount(const QString &where = QStringLiteral("true")) const
    {
        return queryValue(*m_f.pg, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE %1").arg(where)).toInt();
    }

    // A page on the session of the environment profile (the fixture's database), shown offscreen.
    struct PageUnderTest
    {
        Settings settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session{settings, secrets, monitor};
        std::unique_ptr<ui::AuditPage> page;
        explicit PageUnderTest(const QString &ini) : settings(ini)
        {
            session.start();
            page = std::make_unique<ui::AuditPage>(session);
            page->resize(1400, 800);
            page->show();
        }
    };

    // Waits until every row of the (small) view is loaded: the view asks for its visible pages.
    static bool allLoaded(ui::AuditPage &page)
    {
        page.view()->scrollToTop();
        for (int row = 0; row < page.model().rowCount(); ++row)
            if (!page.model().entryAt(row))
                return false;
        return page.model().isOpen();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QString why;
        QVERIFY2(m_f.setUp(&why, 10, true), qPrintable(why));
        m_flags = m_f.service();
        const Actor alice{QStringLiteral("alice@laptop"), QStringLiteral("alice"), QStringLiteral("laptop")};
        FlagEdit edit;
        edit.trafficPercentage = 25;
        ApplyOutcome out = m_flags->apply(m_f.deployment, edit, 1, QStringLiteral("step up"), alice);
        QVERIFY2(out.applied, qPrintable(out.message));
        edit.trafficPercentage = 50;
        out = m_flags->apply(m_f.deployment, edit, m_f.state().version, QStringLiteral("halfway there"), alice);
        QVERIFY2(out.applied, qPrintable(out.message));

        NewModelVersion model;
        model.deployment = m_f.deployment;
        model.name = QStringLiteral("eta-mlp");
        model.version = QStringLiteral("7");
        model.sha256 = QString(64, QLatin1Char('a'));
        model.filePath = m_dir.filePath(QStringLiteral("eta.pt"));
        model.task = QStringLiteral("regression");
        const Actor bob{QStringLiteral("bob@desk"), QStringLiteral("bob"), QStringLiteral("desk")};
        const auto inserted = ModelRegistry(*m_f.pg).insert(model, bob);
        QVERIFY2(inserted.ok(), qPrintable(inserted.errorMessage()));
        const auto promoted = ModelRegistry(*m_f.pg).promote(
            m_f.deployment, QStringLiteral("7"), QStringLiteral("champion"), QStringLiteral("better MAE"), bob);
        QVERIFY2(promoted.ok(), qPrintable(promoted.errorMessage()));

        const auto raised = AlertStore(*m_f.pg).raise(m_f.deployment, QStringLiteral("drift"),
                                                      QStringLiteral("warning"), QStringLiteral("drift:rain_mm"),
                                                      QStringLiteral("Drift on rain_mm: wasserstein = 0.8"), {});
        QVERIFY2(raised.ok(), qPrintable(raised.errorMessage()));
        m_alertId = raised->id;
        QVERIFY(AlertStore(*m_f.pg)
                    .acknowledge(m_alertId, {QStringLiteral("carol"), QStringLiteral("pager")},
                                 QStringLiteral("looking into it"))
                    .ok());

        qputenv("MLDECK_PG_URL", m_f.db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void listsNewestFirstWithTheDiff()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("list.ini")));
        ui::AuditPage &page = *t.page;
        QAbstractItemModelTester tester(&page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const int total = auditCount();
        QVERIFY(total >= 5); // two flag edits, a model registered and promoted, an alert acknowledged
        QTRY_COMPARE_WITH_TIMEOUT(page.model().rowCount(), total, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(allLoaded(page), 10000);
        QVERIFY(!page.showsEmptyState());
        QCOMPARE(cell(page.model(), 0, ui::AuditTableModel::Action), QStringLiteral("alert.acknowledge"));
        QCOMPARE(cell(page.model(), 0, ui::AuditTableModel::Actor), QStringLiteral("carol"));
        QCOMPARE(cell(page.model(), 0, ui::AuditTableModel::Reason), QStringLiteral("looking into it"));
        for (int row = 1; row < page.model().rowCount(); ++row)
            QVERIFY(page.model().entryAt(row)->id < page.model().entryAt(row - 1)->id); // newest first
        QVERIFY(page.countText().contains(QString::number(total)));

        // The second flag edit, selected by a click: the detail shows its before/after as a diff.
        const QStringList actions = actionsShown(page.model());
        const int halfway = int(actions.indexOf(QStringLiteral("flags.apply")));
        QVERIFY(halfway >= 0);
        QCOMPARE(page.model().entryAt(halfway)->reason, QStringLiteral("halfway there"));
        QTableView *view = page.view();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                          view->visualRect(page.model().index(halfway, ui::AuditTableModel::Reason)).center());
        QTRY_VERIFY(page.detail()->diffText().contains(QStringLiteral("ml_traffic_percentage: 25 -> 50")));
        QVERIFY(cell(page.model(), halfway, ui::AuditTableModel::Change).contains(QStringLiteral("25 -> 50")));
        QCOMPARE(page.detail()->link().target, ui::AuditLink::Target::DashboardMoment);
        QVERIFY(page.detail()->openButton()->isVisible());
        QTRY_VERIFY(page.detail()->openButton()->width() >= page.detail()->openButton()->sizeHint().width());
        saveScreenshot(&page, QStringLiteral("audit_page"));
    }

    void filtersAndSearch()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("filters.ini")));
        ui::AuditPage &page = *t.page;
        ui::AuditFilterBar *bar = page.filterBar();
        QTRY_COMPARE_WITH_TIMEOUT(page.model().rowCount(), auditCount(), 10000);
        // The choices come from the log: the fixture's deployment, the actors, the kinds by family.
        QTRY_VERIFY(bar->kindBox()->findData(QStringLiteral("flags")) >= 0);
        QVERIFY(bar->deploymentBox()->findData(m_f.deployment) >= 0);
        QVERIFY(bar->actorBox()->findData(QStringLiteral("alice")) >= 0);

        // A family: both flag edits, nothing else.
        bar->kindBox()->setCurrentIndex(bar->kindBox()->findData(QStringLiteral("flags")));
        QTRY_COMPARE(page.model().rowCount(), 2);
        QTRY_VERIFY(allLoaded(page));
        QCOMPARE(actionsShown(page.model()), QStringList(2, QStringLiteral("flags.apply")));

        // One action of another family, with the deployment: the promotion only.
        bar->kindBox()->setCurrentIndex(bar->kindBox()->findData(QStringLiteral("model.promote")));
        bar->deploymentBox()->setCurrentIndex(bar->deploymentBox()->findData(m_f.deployment));
        QTRY_COMPARE(page.model().rowCount(), 1);
        QTRY_VERIFY(allLoaded(page));
        QCOMPARE(actionsShown(page.model()), QStringList{QStringLiteral("model.promote")});

        // Back to every kind; the search is typed (debounced) and matches the reason.
        bar->kindBox()->setCurrentIndex(0);
        typeInto(bar->searchEdit(), QStringLiteral("HALFWAY"));
        QTRY_COMPARE(page.model().rowCount(), 1);
        QTRY_VERIFY(allLoaded(page));
        QCOMPARE(page.model().entryAt(0)->reason, QStringLiteral("halfway there"));
        QVERIFY(!page.showsEmptyState());

        // Nothing matches: the page says so instead of an empty table.
        typeInto(bar->searchEdit(), QStringLiteral("no change says this"));
        QTRY_VERIFY(page.showsEmptyState());
        QCOMPARE(page.model().rowCount(), 0);
        auto *empty = page.findChild<ui::EmptyStateView *>();
        QVERIFY(empty && empty->isVisible());
        QCOMPARE(empty->heading(), QStringLiteral("No changes match"));

        // A range that ends before it starts is refused and changes nothing.
        typeInto(bar->searchEdit(), QString());
        QTRY_COMPARE(page.model().rowCount(), auditCount(QStringLiteral("deployment = '%1'").arg(m_f.deployment)));
        bar->rangeBox()->setCurrentIndex(bar->rangeBox()->count() - 1); // From… to…: the last day by default
        QTRY_VERIFY(bar->fromEdit()->isVisible());
        QTRY_VERIFY(page.model().filter().from.isValid() && page.model().filter().to.isValid());
        QTRY_COMPARE(page.model().rowCount(), auditCount(QStringLiteral("deployment = '%1'").arg(m_f.deployment)));
        const AuditFilter before = page.model().filter();
        bar->toEdit()->setDateTime(bar->fromEdit()->dateTime().addDays(-1));
        QTRY_VERIFY(!bar->errorText().isEmpty());
        QCOMPARE(page.model().filter().from, before.from);
        QCOMPARE(page.model().filter().to, before.to);
    }

    void aChangeAppearsLive()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("live.ini")));
        ui::AuditPage &page = *t.page;
        const int total = auditCount();
        QTRY_COMPARE_WITH_TIMEOUT(page.model().rowCount(), total, 10000);
        QTRY_VERIFY(allLoaded(page));
        const int freshBefore = page.model().freshRows(); // the rows too recent to be under the top
        QSignalSpy inserted(&page.model(), &ui::AuditTableModel::freshRowsInserted);

        const Actor dave{QStringLiteral("dave@ops"), QStringLiteral("dave"), QStringLiteral("ops")};
        const ApplyOutcome out = m_flags->rollback(m_f.deployment, QStringLiteral("latency incident"), dave);
        QVERIFY2(out.applied, qPrintable(out.message));

        // Polled every few seconds: inserted at the top without reopening the view.
        QTRY_COMPARE_WITH_TIMEOUT(page.model().rowCount(), total + 1, 3 * ui::AuditTableModel::kLivePollMs);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(page.model().freshRows(), freshBefore + 1);
        QCOMPARE(cell(page.model(), 0, ui::AuditTableModel::Action), QStringLiteral("flags.rollback"));
        QCOMPARE(cell(page.model(), 0, ui::AuditTableModel::Actor), QStringLiteral("dave"));
        QVERIFY(page.countText().contains(QString::number(total + 1)));
    }

    void exportsTheFilteredViewToFiles()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("export.ini")));
        ui::AuditPage &page = *t.page;
        const int total = auditCount();
        QTRY_COMPARE_WITH_TIMEOUT(page.model().rowCount(), total, 10000);

        // Every row to CSV, through the button and the (answered) file question.
        const QString csvPath = m_dir.filePath(QStringLiteral("audit.csv"));
        page.setExportPathAsker(
            [csvPath](QWidget *, AuditExportFormat f) { return f == AuditExportFormat::Csv ? csvPath : QString(); });
        QSignalSpy finished(&page, &ui::AuditPage::exportFinished);
        auto *exportCsv = page.findChild<QPushButton *>(QStringLiteral("auditExportCsv"));
        auto *exportJson = page.findChild<QPushButton *>(QStringLiteral("auditExportJson"));
        QVERIFY(exportCsv->isEnabled());
        QTest::mouseClick(exportCsv, Qt::LeftButton);
        QVERIFY(!exportCsv->isEnabled() && !exportJson->isEnabled()); // one export at a time
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.takeFirst().at(0).toBool(), true);
        QVERIFY(exportCsv->isEnabled() && exportJson->isEnabled());
        QVERIFY2(page.statusText().contains(QString::number(total)), qPrintable(page.statusText()));
        QFile csv(csvPath);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), total + 1); // the header and one record a row (no reason here spans lines)
        QVERIFY(lines.first().startsWith("id,at,"));
        QVERIFY(lines.at(1).contains("flags.rollback") || lines.at(1).contains("alert.acknowledge"));

        // The flag changes only, to JSON: the file holds exactly the rows the view shows.
        page.filterBar()->kindBox()->setCurrentIndex(page.filterBar()->kindBox()->findData(QStringLiteral("flags")));
        const int flagRows = auditCount(QStringLiteral("action LIKE 'flags.%'"));
        QTRY_COMPARE(page.model().rowCount(), flagRows);
        const QString jsonPath = m_dir.filePath(QStringLiteral("audit.json"));
        page.exportTo(AuditExportFormat::Json, jsonPath);
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.takeFirst().at(0).toBool(), true);
        QFile json(jsonPath);
        QVERIFY(json.open(QIODevice::ReadOnly));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(json.readAll(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonArray rows = doc.array();
        QCOMPARE(rows.size(), flagRows);
        for (const QJsonValue &row : rows)
            QVERIFY(row[QStringLiteral("action")].toString().startsWith(QLatin1String("flags.")));
        const QJsonObject newest = rows.first().toObject();
        QCOMPARE(newest[QStringLiteral("id")].toInteger(), page.model().entryAt(0)->id);
        QVERIFY(newest[QStringLiteral("after")].isObject()); // before/after as objects, not strings
    }

    void timelineEqualsTheChanges()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("timeline.ini")));
        ui::AuditPage &page = *t.page;
        page.tabs()->setCurrentWidget(page.timelineView());
        ui::ServedTimelineView *timeline = page.timelineView();
        QTRY_VERIFY_WITH_TIMEOUT(timeline->deploymentBox()->findText(m_f.deployment) >= 0, 10000);
        timeline->deploymentBox()->setCurrentIndex(timeline->deploymentBox()->findText(m_f.deployment));
        QTRY_VERIFY2_WITH_TIMEOUT(timeline->timeline().deployment == m_f.deployment, qPrintable(timeline->statusText()),
                                  10000);

        // The changes that began steps, oldest first, as made: two edits, the promotion, the rollback.
        const auto rows = query(*m_f.pg,
                                QStringLiteral("SELECT id, action, coalesce(actor_os, actor_db), coalesce(reason, '') "
                                               "FROM mldeck.audit_log WHERE deployment = $1 AND action IN "
                                               "('flags.apply', 'flags.rollback', 'model.promote') ORDER BY id"),
                                {m_f.deployment});
        QVERIFY(rows.ok());
        QList<ServedStep> steps;
        for (const ServedStep &s : timeline->timeline().steps)
            if (s.auditId > 0)
                steps << s;
        QCOMPARE(steps.size(), rows->size());
        const QList<std::optional<int>> shares = {25, 50, 50, 0};
        for (int i = 0; i < steps.size(); ++i) {
            QCOMPARE(QString::number(steps[i].auditId), rows->at(i).at(0));
            QCOMPARE(steps[i].action, rows->at(i).at(1));
            QCOMPARE(steps[i].actor, rows->at(i).at(2));
            QCOMPARE(steps[i].reason, rows->at(i).at(3));
            QCOMPARE(steps[i].mlPercent, shares[i]);
        }
        QCOMPARE(steps[2].champion.contains(QLatin1String("7")), true); // the promotion names version 7
        QCOMPARE(steps[3].champion, steps[2].champion);                 // a rollback keeps the champion
        // The table lists every step; the chart draws the share and marks each change.
        QCOMPARE(timeline->table()->rowCount(), int(timeline->timeline().steps.size()));
        QCOMPARE(timeline->chart()->markerCount(), int(steps.size()));
        QVERIFY(timeline->chart()->rawPointCount(timeline->chart()->seriesNames().value(0)) >= 2 * int(steps.size()));
        timeline->chart()->flush();
        saveScreenshot(&page, QStringLiteral("audit_timeline"));

        // No deployment left to show: nothing of the last one stays under the empty choice.
        timeline->setDeployments({});
        QCOMPARE(timeline->table()->rowCount(), 0);
        QCOMPARE(timeline->chart()->markerCount(), 0);
        QVERIFY(timeline->chart()->seriesNames().isEmpty());
        QVERIFY(timeline->timeline().steps.isEmpty());
    }

    void linksOpenWhatTheRowChanged()
    {
        Settings settings(m_dir.filePath(QStringLiteral("links.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::MainWindow window(session, monitor);
        session.start();
        window.setPersistState(false);
        window.show();
        window.showPage(ui::PageId::Audit);
        auto *page = qobject_cast<ui::AuditPage *>(window.page(ui::PageId::Audit));
        QTRY_COMPARE_WITH_TIMEOUT(page->model().rowCount(), auditCount(), 10000);
        QTRY_VERIFY(allLoaded(*page));
        const QStringList actions = actionsShown(page->model());
        auto open = [&](const QString &action) {
            const int row = int(actions.indexOf(action));
            QVERIFY(row >= 0);
            page->view()->selectRow(row);
            QTRY_VERIFY(page->detail()->openButton()->isVisible());
            QTest::mouseClick(page->detail()->openButton(), Qt::LeftButton);
        };

        // The alert acknowledged: Alerts & drift with that alert selected.
        open(QStringLiteral("alert.acknowledge"));
        QCOMPARE(window.currentPage(), ui::PageId::AlertsDrift);
        auto *alerts = qobject_cast<ui::AlertsDriftPage *>(window.page(ui::PageId::AlertsDrift));
        QTRY_VERIFY_WITH_TIMEOUT(
            !alerts->alertsView()->selectionModel()->selectedRows().isEmpty() &&
                alerts->alertsModel()
                        .alertAt(alerts->alertsView()->selectionModel()->selectedRows().first().row())
                        ->id == m_alertId,
            10000);

        // The promotion: the Models page's registry with version 7 selected.
        window.showPage(ui::PageId::Audit);
        open(QStringLiteral("model.promote"));
        QCOMPARE(window.currentPage(), ui::PageId::Models);
        auto *models = qobject_cast<ui::ModelsPage *>(window.page(ui::PageId::Models));
        QTRY_VERIFY_WITH_TIMEOUT(models->registryView()->currentDeployment() == m_f.deployment, 10000);
        auto *registryTable = models->registryView()->findChild<QTableView *>();
        QVERIFY(registryTable);
        QTRY_VERIFY_WITH_TIMEOUT(!registryTable->selectionModel()->selectedRows().isEmpty() &&
                                     registryTable->selectionModel()
                                             ->selectedRows()
                                             .first()
                                             .siblingAtColumn(ui::ModelVersionTableModel::VersionColumn)
                                             .data()
                                             .toString() == QStringLiteral("7"),
                                 10000);

        // A flag edit: the dashboard on its deployment, an hour either side of the change.
        window.showPage(ui::PageId::Audit);
        const AuditEntry edit = *page->model().entryAt(int(actions.indexOf(QStringLiteral("flags.apply"))));
        open(QStringLiteral("flags.apply"));
        QCOMPARE(window.currentPage(), ui::PageId::Dashboard);
        auto *dashboard = qobject_cast<ui::DashboardPage *>(window.page(ui::PageId::Dashboard));
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->deploymentBox()->currentText(), m_f.deployment, 10000);
        QCOMPARE(dashboard->rangeSelector()->currentRange(), QStringLiteral("custom"));
        QVERIFY(qAbs(dashboard->rangeSelector()->customFrom().secsTo(edit.at) - 3600) <= 60);
        QVERIFY(qAbs(edit.at.secsTo(dashboard->rangeSelector()->customTo()) - 3600) <= 60);
    }

    // "Last hour": Refresh moves the range's start to now and opens the view once (the filter bar's
    // choices arriving again are the same choices, whatever the clock did meanwhile).
    void refreshOpensAPresetRangeOnce()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("preset.ini")));
        ui::AuditPage &page = *t.page;
        QTRY_VERIFY_WITH_TIMEOUT(page.model().isOpen(), 10000);
        QComboBox *range = page.filterBar()->rangeBox();
        range->setCurrentIndex(range->findData(qint64(3600)));
        QTRY_VERIFY(page.model().filter().from.isValid());
        QTRY_VERIFY(page.model().isOpen());
        const QDateTime before = page.model().filter().from;
        QTRY_VERIFY(QDateTime::currentDateTimeUtc() > before); // the clock moved: a choice compared with it differs
        QSignalSpy opened(&page.model(), &ui::AuditTableModel::opened);
        QSignalSpy shown(page.timelineView(), &ui::ServedTimelineView::timelineShown);
        page.findChild<QPushButton *>(QStringLiteral("auditRefresh"))->click();
        QTRY_VERIFY(shown.count() > 0); // answered after the choices and the view (one worker, in order)
        QCOMPARE(opened.count(), 1);
        QVERIFY(page.model().filter().from > before);
        QVERIFY(qAbs(page.model().filter().from.secsTo(QDateTime::currentDateTimeUtc()) - 3600) <= 60);
    }

    // A view whose opening failed is opened again by the live poll once the database answers.
    void aFailedOpenRecovers()
    {
        AuditService service;
        PgEndpoint nowhere = m_f.db->endpoint();
        nowhere.host = QStringLiteral("127.0.0.1");
        nowhere.port = 1; // nothing listens there
        nowhere.connectTimeoutS = 1;
        service.setEndpoint(nowhere);
        ui::AuditTableModel model(service);
        QSignalSpy failed(&model, &ui::AuditTableModel::failed);
        model.setFilter({});
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() > 0, 10000);
        QVERIFY(!model.isOpen());
        service.setEndpoint(m_f.db->endpoint());
        model.setLive(true);
        QTRY_VERIFY_WITH_TIMEOUT(model.isOpen(), 3 * ui::AuditTableModel::kLivePollMs);
        QTRY_COMPARE(model.rowCount(), auditCount());
    }

    // Ids are handed out at insert, not commit: a row that commits after a higher one still appears, at
    // its place by id, without a duplicate and without moving the pages below the top.
    void aRowCommittedLateAppearsAtItsPlace()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("late.ini")));
        ui::AuditTableModel &model = t.page->model();
        const int total = auditCount();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), total, 10000);
        QTRY_VERIFY(allLoaded(*t.page));
        const qint64 top = model.top();
        const qint64 below = model.matchingBelowTop();

        // Two deployments: their chains do not wait on each other.
        auto late = PgConnection::open(m_f.db->endpoint(), QStringLiteral("test_gui_audit_late"));
        QVERIFY2(late.ok(), qPrintable(late.errorMessage()));
        const QString insert = QStringLiteral("INSERT INTO mldeck.audit_log (actor_os, action, deployment, reason) "
                                              "VALUES ('eve', 'note.synthetic', '%1', '%2')");
        QVERIFY(exec(**late, QStringLiteral("BEGIN; ") + insert.arg(QStringLiteral("late-a"), QStringLiteral("late")))
                    .ok());
        QVERIFY(exec(*m_f.pg, insert.arg(QStringLiteral("late-b"), QStringLiteral("first"))).ok());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), total + 1, 3 * ui::AuditTableModel::kLivePollMs);
        QCOMPARE(model.entryAt(0)->reason, QStringLiteral("first"));
        // That poll ran with the late row still open.

        QVERIFY(exec(**late, QStringLiteral("COMMIT")).ok());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), total + 2, 3 * ui::AuditTableModel::kLivePollMs);
        QCOMPARE(model.entryAt(0)->reason, QStringLiteral("first"));
        QCOMPARE(model.entryAt(1)->reason, QStringLiteral("late"));
        QTRY_VERIFY(allLoaded(*t.page));
        for (int row = 1; row < model.rowCount(); ++row)
            QVERIFY(model.entryAt(row)->id < model.entryAt(row - 1)->id); // id order, no duplicate
        QCOMPARE(model.top(), top);
        QCOMPARE(model.matchingBelowTop(), below);
    }

    // Last: it adds rows the other cases do not expect. More new rows than the view keeps above its top:
    // the view opens again under the newest row instead of growing without bound.
    void manyNewRowsReopenTheView()
    {
        PageUnderTest t(m_dir.filePath(QStringLiteral("retop.ini")));
        ui::AuditPage &page = *t.page;
        const int total = auditCount();
        QTRY_COMPARE_WITH_TIMEOUT(page.model().rowCount(), total, 10000);
        const qint64 top = page.model().top();
        const int added = ui::AuditTableModel::kMaxFresh + 50;
        QVERIFY(exec(*m_f.pg, QStringLiteral("INSERT INTO mldeck.audit_log (actor_os, action, deployment, reason) "
                                             "SELECT 'eve', 'note.synthetic', '%1', 'note ' || i "
                                             "FROM generate_series(1, %2) AS i")
                                  .arg(m_f.deployment)
                                  .arg(added))
                    .ok());
        QTRY_VERIFY_WITH_TIMEOUT(page.model().top() > top, 3 * ui::AuditTableModel::kLivePollMs);
        QTRY_COMPARE(page.model().rowCount(), total + added);
        QCOMPARE(page.model().freshRows(), 0);
        QTRY_VERIFY(page.model().entryAt(0) != nullptr);
        QCOMPARE(page.model().entryAt(0)->reason, QStringLiteral("note %1").arg(added));
    }

    // A paint that wants more pages than may be in flight: the rest are sent when a request finishes,
    // though the view never asks again (the test reads through cachedEntryAt, which asks for nothing).
    void pagesWantedByAPaintAllArrive()
    {
        QVERIFY(exec(*m_f.pg, QStringLiteral("INSERT INTO mldeck.audit_log (actor_os, action, deployment, reason) "
                                             "SELECT 'eve', 'note.synthetic', '%1', 'page ' || i "
                                             "FROM generate_series(1, %2) AS i")
                                  .arg(m_f.deployment)
                                  .arg(4 * ui::AuditTableModel::kPageSize))
                    .ok());
        PageUnderTest t(m_dir.filePath(QStringLiteral("pages.ini")));
        ui::AuditTableModel &model = t.page->model();
        const int total = auditCount();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), total, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(model.freshRows(), 0, 3 * ui::AuditTableModel::kLivePollMs); // re-topped
        QTRY_VERIFY(model.cachedEntryAt(0) != nullptr);
        QVERIFY(model.matchingBelowTop() > 4 * ui::AuditTableModel::kPageSize);
        const QList<int> rows = {2 * ui::AuditTableModel::kPageSize, 3 * ui::AuditTableModel::kPageSize,
                                 4 * ui::AuditTableModel::kPageSize};
        for (int row : rows) // one paint
            QVERIFY(model.entryAt(row) == nullptr);
        for (int row : rows)
            QTRY_VERIFY(model.cachedEntryAt(row) != nullptr);
    }
};

QTEST_MAIN(TestGuiAudit)
#include "test_gui_audit.moc"
