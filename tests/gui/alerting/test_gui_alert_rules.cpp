#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/AlertsService.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/drift/AlertRuleEditor.h"
#include "ui/pages/drift/AlertRulesTableModel.h"
#include "ui/pages/drift/AlertRulesView.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// The Rules tab of Alerts & Drift, offscreen against real PostgreSQL: a rule added, edited, reset and
// deleted by clicking the real widgets, each change one audit row; refused values written nowhere; a
// viewer sees the buttons disabled with the reason (and the database refuses anyway).
class TestGuiAlertRules final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;
    std::unique_ptr<LoginRole> m_viewer;

    QTemporaryDir m_dir;
    std::unique_ptr<Settings> m_settings;
    std::unique_ptr<SecretStore> m_secrets;
    std::unique_ptr<ConnectionMonitor> m_monitor;
    std::unique_ptr<ui::ConnectionSession> m_session;
    std::unique_ptr<ui::AlertsDriftPage> m_page;
    int m_confirmations = 0;
    bool m_confirm = true;

    ui::AlertRulesView *rules() const { return m_page->rulesView(); }

    QString scalar(const QString &sql, const QStringList &params = {})
    {
        const auto rows = test::query(*m_conn, sql, params);
        if (!rows || rows->isEmpty() || rows->first().isEmpty()) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("query failed: ") + (rows ? sql : rows.errorMessage()));
            return {};
        }
        return rows->first().first();
    }
    QString storedRules() // "id=threshold" of the rows stored for the deployment
    {
        const auto rows =
            test::query(*m_conn,
                        QStringLiteral("SELECT string_agg(rule_id || '=' || (definition ->> 'threshold'), "
                                       "',' ORDER BY rule_id) FROM mldeck.alert_rules WHERE deployment = $1"),
                        {m_dep});
        return rows && !rows->isEmpty() ? rows->first().first() : QStringLiteral("?");
    }
    QString auditCount()
    {
        return scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1"), {m_dep});
    }

    int rowOf(const QString &id) const
    {
        for (int r = 0; r < rules()->model().rowCount(); ++r)
            if (rules()->model().ruleAt(r)->rule.id == id)
                return r;
        return -1;
    }
    void select(const QString &id)
    {
        const int row = rowOf(id);
        QVERIFY2(row >= 0, qPrintable(id));
        rules()->view()->selectRow(row);
    }
    static void type(QWidget *field, const QString &text) // replaces the field's text, as a user does
    {
        auto *edit = qobject_cast<QLineEdit *>(field);
        QVERIFY(edit);
        edit->selectAll();
        QTest::keyClicks(edit, text);
        QCOMPARE(edit->text(), text);
    }
    ui::AlertRuleEditor *openEditor(QPushButton *button)
    {
        if (!button->isEnabled()) {
            MLDECK_FAIL_IN_HELPER(button->objectName() + QStringLiteral(" is disabled: ") + button->toolTip());
            return nullptr;
        }
        QTest::mouseClick(button, Qt::LeftButton);
        if (!QTest::qWaitFor([&] { return rules()->openEditor() != nullptr; }, 5000)) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("no editor opened"));
            return nullptr;
        }
        ui::AlertRuleEditor *editor = rules()->openEditor();
        if (!QTest::qWaitFor([&] { return !editor->isReadOnly(); }, 5000))
            MLDECK_FAIL_IN_HELPER(QStringLiteral("the editor stays read-only: ") + editor->readOnlyReason());
        return editor;
    }
    void saveAndWaitForClose(ui::AlertRuleEditor *editor)
    {
        QVERIFY2(editor->saveButton()->isEnabled(), qPrintable(editor->status()));
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(rules()->openEditor() == nullptr, 10000); // closes once saved
    }
    // With MLDECK_TEST_SCREENSHOT set: the page on its Rules tab with the open dialog over it, as one PNG.
    void saveScreenshot(QWidget *dialog)
    {
        const QString shot = qEnvironmentVariable("MLDECK_TEST_SCREENSHOT");
        if (shot.isEmpty())
            return;
        QCoreApplication::processEvents(); // pending layouts, before the grab
        QPixmap page = m_page->grab();
        const QPixmap over = dialog->grab();
        QPainter painter(&page);
        painter.fillRect(page.rect(), QColor(0, 0, 0, 60));
        painter.drawPixmap((page.width() - over.width()) / 2, (page.height() - over.height()) / 2, over);
        painter.end();
        QVERIFY(page.save(shot));
    }
    void closeEditor()
    {
        if (rules()->openEditor())
            delete rules()->openEditor()->window();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guirules"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guirules"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
        m_viewer = std::make_unique<LoginRole>(QStringLiteral("mldeck_viewer"));

        // The page as the application builds it, connected as the test server's owner role.
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("mldeck.ini")));
        m_secrets = std::make_unique<SecretStore>();
        m_monitor = std::make_unique<ConnectionMonitor>();
        m_session = std::make_unique<ui::ConnectionSession>(*m_settings, *m_secrets, *m_monitor);
        m_session->start();
        m_page = std::make_unique<ui::AlertsDriftPage>(*m_session);
        m_page->resize(1200, 800);
        m_page->findChild<QTabWidget *>(QStringLiteral("alertTabs"))->setCurrentWidget(rules());
        m_page->show();
        rules()->setConfirmer([this](const ui::ConfirmRequest &) {
            ++m_confirmations;
            return m_confirm;
        });
        QTRY_COMPARE_WITH_TIMEOUT(rules()->model().rowCount(), 6, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(rules()->addButton()->isEnabled(), 10000);
        QVERIFY(rules()->readOnlyReason().isEmpty());
    }

    void cleanupTestCase()
    {
        m_page.reset();
        m_session.reset();
        m_viewer.reset();
    }

    void init() { m_confirm = true; }
    void cleanup() { closeEditor(); }

    void refusedValuesWriteNothing()
    {
        const QString audits = auditCount();
        ui::AlertRuleEditor *editor = openEditor(rules()->addButton());
        QVERIFY(editor);
        QVERIFY(editor->isNewRule());
        QVERIFY(!editor->saveButton()->isEnabled()); // nothing typed yet
        QVERIFY(editor->fieldMessage(QStringLiteral("id")).contains(QStringLiteral("needs an id")));

        type(editor->fieldWidget(QStringLiteral("id")), QStringLiteral("mae")); // taken by a built-in rule
        QVERIFY2(editor->fieldMessage(QStringLiteral("id")).contains(QStringLiteral("already has a rule")),
                 qPrintable(editor->fieldMessage(QStringLiteral("id"))));
        type(editor->fieldWidget(QStringLiteral("id")), QStringLiteral("Bad Id"));
        QVERIFY(editor->fieldMessage(QStringLiteral("id")).contains(QStringLiteral("lower-case")));
        type(editor->fieldWidget(QStringLiteral("id")), QStringLiteral("failures_fast"));
        QVERIFY(editor->fieldMessage(QStringLiteral("id")).isEmpty());

        // A failure rate is a share: 25 (meaning 25 %) is refused with the reason, and Save stays off.
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("25"));
        QVERIFY2(editor->fieldMessage(QStringLiteral("threshold")).contains(QStringLiteral("between 0 and 1")),
                 qPrintable(editor->fieldMessage(QStringLiteral("threshold"))));
        QVERIFY(!editor->saveButton()->isEnabled());
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("lots"));
        QVERIFY(editor->fieldMessage(QStringLiteral("threshold")).contains(QStringLiteral("not a number")));

        // Another metric has its own range: R² above 1 is refused, and so is a window under a minute.
        auto *metric = qobject_cast<QComboBox *>(editor->fieldWidget(QStringLiteral("metric")));
        QVERIFY(metric);
        metric->setCurrentIndex(metric->findData(QStringLiteral("r2")));
        QCOMPARE(qobject_cast<QComboBox *>(editor->fieldWidget(QStringLiteral("comparison")))->currentData().toString(),
                 QStringLiteral("<")); // the metric's defaults came with it
        QVERIFY(editor->fieldMessage(QStringLiteral("threshold")).isEmpty());
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("1.5"));
        QVERIFY(editor->fieldMessage(QStringLiteral("threshold")).contains(QStringLiteral("at most 1")));
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.5"));
        type(editor->fieldWidget(QStringLiteral("window_seconds")), QStringLiteral("30"));
        QVERIFY(editor->fieldMessage(QStringLiteral("window_seconds")).contains(QStringLiteral("between 60 and")));
        type(editor->fieldWidget(QStringLiteral("for_seconds")), QStringLiteral("-5"));
        QVERIFY(editor->fieldMessage(QStringLiteral("for_seconds")).contains(QStringLiteral("pending period")));
        QVERIFY(!editor->saveButton()->isEnabled());
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        // The typed input stays, nothing reached the database.
        QCOMPARE(qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("window_seconds")))->text(),
                 QStringLiteral("30"));
        QVERIFY(rules()->openEditor());
        QCOMPARE(storedRules(), QString());
        QCOMPARE(auditCount(), audits);
        saveScreenshot(editor->window());
    }

    void addARule()
    {
        const QString audits = auditCount();
        ui::AlertRuleEditor *editor = openEditor(rules()->addButton());
        QVERIFY(editor);
        type(editor->fieldWidget(QStringLiteral("id")), QStringLiteral("failures_fast"));
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.05"));
        type(editor->fieldWidget(QStringLiteral("window_seconds")), QStringLiteral("120"));
        type(editor->fieldWidget(QStringLiteral("for_seconds")), QStringLiteral("0"));
        auto *severity = qobject_cast<QComboBox *>(editor->fieldWidget(QStringLiteral("severity")));
        severity->setCurrentIndex(severity->findData(QStringLiteral("warning")));
        type(editor->fieldWidget(QStringLiteral("reason")), QStringLiteral("early warning"));
        saveAndWaitForClose(editor);

        QCOMPARE(storedRules(), QStringLiteral("failures_fast=0.05"));
        QCOMPARE(auditCount().toInt(), audits.toInt() + 1);
        const auto audit = test::query(*m_conn,
                                       QStringLiteral("SELECT action, before IS NULL, after ->> 'window_seconds', "
                                                      "after ->> 'severity', reason FROM mldeck.audit_log "
                                                      "WHERE deployment = $1 ORDER BY id DESC LIMIT 1"),
                                       {m_dep});
        QVERIFY2(audit.ok(), qPrintable(audit.errorMessage()));
        QCOMPARE(audit->at(0),
                 (QStringList{QStringLiteral("alert_rule.set"), QStringLiteral("t"), QStringLiteral("120"),
                              QStringLiteral("warning"), QStringLiteral("early warning")}));
        // The table shows it after the change (a 7th row), and says what happened.
        QTRY_COMPARE_WITH_TIMEOUT(rules()->model().rowCount(), 7, 10000);
        QVERIFY2(rules()->statusText().contains(QStringLiteral("failures_fast")), qPrintable(rules()->statusText()));
        QVERIFY(rules()->model().ruleAt(rowOf(QStringLiteral("failures_fast")))->customised);
    }

    void editARuleAndRevert()
    {
        select(QStringLiteral("failures_fast"));
        QVERIFY(rules()->deleteButton()->isEnabled()); // a rule of the deployment's own
        QVERIFY(!rules()->resetButton()->isEnabled()); // ... has no default to go back to
        ui::AlertRuleEditor *editor = openEditor(rules()->editButton());
        QVERIFY(editor);
        QVERIFY(!editor->isNewRule());
        QVERIFY(qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("id")))->isReadOnly());
        QCOMPARE(qobject_cast<QComboBox *>(editor->fieldWidget(QStringLiteral("metric")))->count(), 1);
        QCOMPARE(editor->value(QStringLiteral("threshold")).toDouble(), 0.05);

        // Revert puts back what was loaded.
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("7"));
        QVERIFY(!editor->fieldMessage(QStringLiteral("threshold")).isEmpty());
        QVERIFY(editor->revertButton()->isEnabled());
        QTest::mouseClick(editor->revertButton(), Qt::LeftButton);
        QCOMPARE(editor->value(QStringLiteral("threshold")).toDouble(), 0.05);
        QVERIFY(editor->fieldMessage(QStringLiteral("threshold")).isEmpty());
        QVERIFY(!editor->saveButton()->isEnabled()); // nothing changed

        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.1"));
        auto *enabled = editor->fieldWidget(QStringLiteral("enabled"));
        QTest::mouseClick(enabled, Qt::LeftButton);
        QCOMPARE(editor->value(QStringLiteral("enabled")).toBool(), false);
        saveAndWaitForClose(editor);
        QCOMPARE(storedRules(), QStringLiteral("failures_fast=0.1"));
        const auto audit = test::query(*m_conn,
                                       QStringLiteral("SELECT before ->> 'threshold', after ->> 'threshold', "
                                                      "after ->> 'enabled' FROM mldeck.audit_log WHERE deployment = $1 "
                                                      "AND action = 'alert_rule.set' ORDER BY id DESC LIMIT 1"),
                                       {m_dep});
        QCOMPARE(audit->at(0), (QStringList{QStringLiteral("0.05"), QStringLiteral("0.1"), QStringLiteral("false")}));
        QTRY_COMPARE_WITH_TIMEOUT(
            rules()->model().index(rowOf(QStringLiteral("failures_fast")), ui::AlertRulesTableModel::Enabled).data(),
            QVariant(QStringLiteral("Off")), 10000);
    }

    void editABuiltInRuleThenResetIt()
    {
        select(QStringLiteral("failure_rate"));
        QVERIFY(!rules()->deleteButton()->isEnabled()); // built in: never deleted
        QVERIFY(!rules()->resetButton()->isEnabled());  // ... and still at its default
        ui::AlertRuleEditor *editor = openEditor(rules()->editButton());
        QVERIFY(editor);
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.3"));
        saveAndWaitForClose(editor);
        QCOMPARE(storedRules(), QStringLiteral("failure_rate=0.3,failures_fast=0.1"));
        QTRY_VERIFY_WITH_TIMEOUT(rules()->model().ruleAt(rowOf(QStringLiteral("failure_rate")))->customised, 10000);
        select(QStringLiteral("failure_rate"));
        QVERIFY(rules()->resetButton()->isEnabled());

        // Asked first: "no" changes nothing.
        const QString audits = auditCount();
        m_confirm = false;
        QTest::mouseClick(rules()->resetButton(), Qt::LeftButton);
        QCOMPARE(m_confirmations, 1);
        QCOMPARE(storedRules(), QStringLiteral("failure_rate=0.3,failures_fast=0.1"));
        m_confirm = true;
        QSignalSpy changed(rules(), &ui::AlertRulesView::ruleChanged);
        QTest::mouseClick(rules()->resetButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
        QCOMPARE(changed.at(0).at(0).toBool(), true);
        QCOMPARE(storedRules(), QStringLiteral("failures_fast=0.1"));
        QCOMPARE(auditCount().toInt(), audits.toInt() + 1);
        const auto audit = test::query(*m_conn,
                                       QStringLiteral("SELECT action, before ->> 'threshold', after ->> 'threshold' "
                                                      "FROM mldeck.audit_log WHERE deployment = $1 ORDER BY id DESC "
                                                      "LIMIT 1"),
                                       {m_dep});
        QCOMPARE(audit->at(0),
                 (QStringList{QStringLiteral("alert_rule.reset"), QStringLiteral("0.3"), QStringLiteral("0.2")}));
    }

    void deleteARule()
    {
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(QStringLiteral("failures_fast")) >= 0, 10000);
        select(QStringLiteral("failures_fast"));
        QVERIFY(rules()->deleteButton()->isEnabled());
        m_confirm = false;
        QTest::mouseClick(rules()->deleteButton(), Qt::LeftButton);
        QCOMPARE(storedRules(), QStringLiteral("failures_fast=0.1"));
        m_confirm = true;
        const QString audits = auditCount();
        QTest::mouseClick(rules()->deleteButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(rules()->model().rowCount(), 6, 10000);
        QCOMPARE(storedRules(), QString());
        QCOMPARE(auditCount().toInt(), audits.toInt() + 1);
        const auto audit =
            test::query(*m_conn,
                        QStringLiteral("SELECT action, before ->> 'id', after IS NULL FROM "
                                       "mldeck.audit_log WHERE deployment = $1 ORDER BY id DESC LIMIT 1"),
                        {m_dep});
        QCOMPARE(audit->at(0), (QStringList{QStringLiteral("alert_rule.delete"), QStringLiteral("failures_fast"),
                                            QStringLiteral("t")}));
    }

    // A viewer's Rules view: every button disabled, with the reason; the database refuses a write anyway.
    void viewerSeesTheButtonsDisabled()
    {
        const PgEndpoint viewer = m_viewer->endpoint(m_db->endpoint());
        AlertsService service;
        service.setEndpoint(viewer);
        ui::AlertRulesView view(&service);
        view.setDeployment(m_dep);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(view.model().rowCount(), 6, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!view.readOnlyReason().isEmpty(), 10000);
        QVERIFY2(view.readOnlyReason().contains(QStringLiteral("mldeck_viewer")) &&
                     view.readOnlyReason().contains(QStringLiteral("mldeck_operator")),
                 qPrintable(view.readOnlyReason()));
        view.view()->selectRow(0);
        for (QPushButton *b : {view.addButton(), view.editButton(), view.resetButton(), view.deleteButton()}) {
            QVERIFY2(!b->isEnabled(), qPrintable(b->objectName()));
            QCOMPARE(b->toolTip(), view.readOnlyReason());
        }
        QTest::mouseClick(view.addButton(), Qt::LeftButton);
        QVERIFY(!view.openEditor());

        auto conn = PgConnection::open(viewer, QStringLiteral("test-viewer"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        AlertRule rule = AlertRule::defaultFor(AlertRule::Metric::Mae);
        rule.threshold = 9;
        QVERIFY(!AlertRuleStore(**conn).saveRule(m_dep, rule, AlertsService::currentUser()).ok());
        QCOMPARE(storedRules(), QString());

        // A form that never learnt the role's permissions: the database refuses the save, the form says so
        // and keeps what was typed.
        ui::AlertRuleEditor editor(&service, std::nullopt, {});
        editor.show();
        editor.setDeployment(m_dep);
        QVERIFY(!editor.isReadOnly());
        type(editor.fieldWidget(QStringLiteral("id")), QStringLiteral("viewer_rule"));
        type(editor.fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.4"));
        QTest::mouseClick(editor.saveButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!editor.status().isEmpty() && editor.status() != QStringLiteral("Saving…"), 10000);
        QVERIFY2(editor.status().contains(QStringLiteral("viewer_rule")), qPrintable(editor.status()));
        QCOMPARE(qobject_cast<QLineEdit *>(editor.fieldWidget(QStringLiteral("threshold")))->text(),
                 QStringLiteral("0.4"));
        QVERIFY(editor.isDirty());
        QCOMPARE(storedRules(), QString());
    }

    // A classifier's Rules view: accuracy in place of MAE and R², and the Add form offers only the
    // classification metrics; an accuracy rule saved from it is stored and audited.
    void classifierOffersItsMetrics()
    {
        const QString dep = uniqueName(QStringLiteral("guicls"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(dep, {}, schema).ok());
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET task = 'classification', "
                                                   "classes = ARRAY['no', 'yes'] WHERE name = '%1'")
                                        .arg(dep)));
        AlertsService service;
        service.setEndpoint(m_db->endpoint());
        ui::AlertRulesView view(&service);
        view.setDeployment(dep);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(view.model().rowCount(), 5, 10000);
        QCOMPARE(view.model().ruleAt(2)->rule.id, QStringLiteral("accuracy"));
        QTRY_VERIFY_WITH_TIMEOUT(view.addButton()->isEnabled(), 10000);
        QTest::mouseClick(view.addButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(view.openEditor() != nullptr, 5000);
        ui::AlertRuleEditor *editor = view.openEditor();
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isReadOnly(), 5000);
        auto *metric = qobject_cast<QComboBox *>(editor->fieldWidget(QStringLiteral("metric")));
        QVERIFY(metric);
        QStringList offered;
        for (int i = 0; i < metric->count(); ++i)
            offered << metric->itemData(i).toString();
        QCOMPARE(offered, (QStringList{QStringLiteral("failure_rate"), QStringLiteral("latency_p95_ms"),
                                       QStringLiteral("accuracy"), QStringLiteral("f1"), QStringLiteral("log_loss"),
                                       QStringLiteral("ece"), QStringLiteral("estimated_accuracy"),
                                       QStringLiteral("no_data"), QStringLiteral("dependency_fallback")}));
        type(editor->fieldWidget(QStringLiteral("id")), QStringLiteral("estimate_low"));
        metric->setCurrentIndex(metric->findData(QStringLiteral("estimated_accuracy")));
        QCOMPARE(qobject_cast<QComboBox *>(editor->fieldWidget(QStringLiteral("comparison")))->currentData().toString(),
                 QStringLiteral("<")); // the metric's defaults came with it
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("85")); // a percentage: refused
        QVERIFY(!editor->fieldMessage(QStringLiteral("threshold")).isEmpty());
        QVERIFY(!editor->saveButton()->isEnabled());
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.85"));
        QVERIFY2(editor->saveButton()->isEnabled(), qPrintable(editor->status()));
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(view.openEditor() == nullptr, 10000);
        QCOMPARE(scalar(QStringLiteral("SELECT definition ->> 'metric' || '=' || (definition ->> 'threshold') FROM "
                                       "mldeck.alert_rules WHERE deployment = $1"),
                        {dep}),
                 QStringLiteral("estimated_accuracy=0.85"));
        QTRY_COMPARE_WITH_TIMEOUT(view.model().rowCount(), 6, 10000);
    }

    // Hysteresis in the form: a resolve threshold on the wrong side is refused next to its field (again
    // when the firing threshold is moved past it), a keep-firing time out of range too; once saved both
    // are stored, the table's Resolves column shows them and the form reopens with them.
    void hysteresisFields()
    {
        const QString dep = uniqueName(QStringLiteral("guihyst"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(dep, {}, schema).ok());
        AlertsService service;
        service.setEndpoint(m_db->endpoint());
        ui::AlertRulesView view(&service);
        view.setDeployment(dep);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(view.model().rowCount(), 6, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(view.addButton()->isEnabled(), 10000);
        const auto failureRow = [&view] {
            for (int r = 0; r < view.model().rowCount(); ++r)
                if (view.model().ruleAt(r)->rule.id == QLatin1String("failure_rate"))
                    return r;
            return -1;
        };
        const auto resolves = [&] {
            return view.model().index(failureRow(), ui::AlertRulesTableModel::Resolves).data().toString();
        };
        QCOMPARE(resolves(), QStringLiteral("at once"));
        const auto edit = [&]() -> ui::AlertRuleEditor * {
            view.view()->selectRow(failureRow());
            QTest::mouseClick(view.editButton(), Qt::LeftButton);
            if (!QTest::qWaitFor([&] { return view.openEditor() != nullptr; }, 5000))
                return nullptr;
            ui::AlertRuleEditor *e = view.openEditor();
            return QTest::qWaitFor([e] { return !e->isReadOnly(); }, 5000) ? e : nullptr;
        };
        ui::AlertRuleEditor *editor = edit();
        QVERIFY(editor);
        const QString resolve = QStringLiteral("resolve_threshold");
        const QString keep = QStringLiteral("keep_firing_seconds");
        QVERIFY(qobject_cast<QLineEdit *>(editor->fieldWidget(resolve))->text().isEmpty()); // the threshold itself
        QVERIFY(editor->fieldMessage(resolve).isEmpty());
        QCOMPARE(editor->value(keep).toLongLong(), 0);

        type(editor->fieldWidget(resolve), QStringLiteral("0.3")); // above "> 20 %": never resolves below it
        QVERIFY2(editor->fieldMessage(resolve).contains(QStringLiteral("at or below")),
                 qPrintable(editor->fieldMessage(resolve)));
        QVERIFY(!editor->saveButton()->isEnabled());
        type(editor->fieldWidget(resolve), QStringLiteral("0.15"));
        QVERIFY(editor->fieldMessage(resolve).isEmpty());
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.1")); // now under the resolve one
        QVERIFY2(editor->fieldMessage(resolve).contains(QStringLiteral("at or below")),
                 qPrintable(editor->fieldMessage(resolve)));
        type(editor->fieldWidget(QStringLiteral("threshold")), QStringLiteral("0.2"));
        QVERIFY(editor->fieldMessage(resolve).isEmpty());
        type(editor->fieldWidget(keep), QStringLiteral("-1"));
        QVERIFY2(editor->fieldMessage(keep).contains(QStringLiteral("keep-firing")),
                 qPrintable(editor->fieldMessage(keep)));
        QVERIFY(!editor->saveButton()->isEnabled());
        type(editor->fieldWidget(keep), QStringLiteral("300"));
        QVERIFY(editor->fieldMessage(keep).isEmpty());
        QVERIFY2(editor->saveButton()->isEnabled(), qPrintable(editor->status()));
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(view.openEditor() == nullptr, 10000);

        QCOMPARE(scalar(QStringLiteral("SELECT (definition ->> 'resolve_threshold') || '/' || (definition ->> "
                                       "'keep_firing_seconds') FROM mldeck.alert_rules WHERE deployment = $1 AND "
                                       "rule_id = 'failure_rate'"),
                        {dep}),
                 QStringLiteral("0.15/300"));
        QTRY_COMPARE_WITH_TIMEOUT(resolves(), QStringLiteral("≤ 15.0 % for 300 s"), 10000);

        editor = edit();
        QVERIFY(editor);
        QCOMPARE(editor->value(resolve).toDouble(), 0.15);
        QCOMPARE(editor->value(keep).toLongLong(), 300);
        delete editor->window();
    }
};

QTEST_MAIN(TestGuiAlertRules)
#include "test_gui_alert_rules.moc"
