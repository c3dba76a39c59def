// The Deployments page and its New deployment dialog, offscreen, against real PostgreSQL and Redis, by
// clicking the real widgets: a deployment created through the dialog (features from a CSV header with a
// kind per column) is in PostgreSQL with its schema and audit row and has its Redis flags; an invalid or
// taken name is refused with nothing written; a refusal from the database is shown in the dialog, which
// keeps what was typed; the General section saves an edit; archiving hides the deployment from the other
// pages' selectors; a viewer sees everything read-only with the role that may.
#include "core/services/DeploymentsService.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/gui/shell/ShellFixture.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/pages/DeploymentsPage.h"
#include "ui/pages/deployments/FeatureSchemaTable.h"
#include "ui/pages/deployments/GeneralEditor.h"
#include "ui/pages/deployments/NewDeploymentDialog.h"
#include "ui/widgets/EmptyStateView.h"
#include "ui/widgets/InfoBar.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

// A CSV as pandas writes a training set: an unnamed index column, numbers, a category, the target.
const char *const kCsv = ",distance_km,weather,hour,delay_min\n"
                         "0,3.5,rain,8,4.0\n"
                         "1,12.0,clear,17,9.5\n"
                         "2,7.25,snow,,6.0\n"
                         "3,1.0,clear,23,1.5\n";

template <typename T> T *child(QObject *parent, const char *name)
{
    return parent->findChild<T *>(QString::fromLatin1(name));
}

} // namespace

class TestGuiDeployments : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_csv;
    QString m_dep;  // created through the dialog by the first test
    QString m_late; // created behind the dialog's back by the second

    QString scalar(const QString &sql, const QStringList &params = {})
    {
        const auto r = test::query(*m_conn, sql, params);
        if (!r || r->isEmpty())
            return QStringLiteral("<error: %1>").arg(r ? QStringLiteral("no row") : r.errorMessage());
        return r->first().first();
    }

    // The main window connected to the scratch database, on the Deployments page, once it has listed.
    struct Window
    {
        test::Shell shell;
        ui::DeploymentsPage *page = nullptr;
    };

    std::unique_ptr<Window> openWindow()
    {
        auto w = std::make_unique<Window>();
        w->page = qobject_cast<ui::DeploymentsPage *>(w->shell.window->page(ui::PageId::Deployments));
        if (!w->page)
            return nullptr;
        w->shell.window->resize(1280, 860);
        w->shell.window->show();
        w->shell.window->showPage(ui::PageId::Deployments);
        QSignalSpy shown(w->page, &ui::DeploymentsPage::deploymentsShown);
        w->shell.session.start();
        if (!shown.wait(15000))
            return nullptr;
        return w;
    }

    static ui::NewDeploymentDialog *clickNew(ui::DeploymentsPage *page)
    {
        auto *button = child<QPushButton>(page, "newDeploymentButton");
        if (!button || !QTest::qWaitFor([&] { return button->isEnabled(); }, 15000))
            return nullptr;
        QTest::mouseClick(button, Qt::LeftButton);
        return page->newDeploymentDialog();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guidep"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_deployments"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_csv = m_dir.filePath(QStringLiteral("rides.csv"));
        QFile csv(m_csv);
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write(kCsv);
        csv.close();
        m_dep = uniqueName(QStringLiteral("guidep"));
        test::isolateFromEnvironment();
        // The window connects to what the environment names, like the local stack.
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void csvColumnsGetAKindAndCategories()
    {
        const auto schema = DeploymentsService::schemaFromCsv(m_csv, 1000);
        QVERIFY2(schema.ok(), qPrintable(schema.errorMessage()));
        QCOMPARE(schema->features.size(), size_t(4)); // the unnamed index column is left out
        QCOMPARE(schema->features[0].name, QStringLiteral("distance_km"));
        QCOMPARE(schema->features[0].kind, FeatureSpec::Kind::Numeric);
        QCOMPARE(schema->features[1].kind, FeatureSpec::Kind::Categorical);
        QCOMPARE(schema->features[1].categories,
                 QStringList({QStringLiteral("clear"), QStringLiteral("rain"), QStringLiteral("snow")}));
        QCOMPARE(schema->features[2].kind, FeatureSpec::Kind::Numeric); // an empty value says nothing
        // Only the rows asked for are read: in the first one, weather is one category.
        const auto first = DeploymentsService::schemaFromCsv(m_csv, 1);
        QVERIFY(first.ok());
        QCOMPARE(first->features[1].categories, QStringList{QStringLiteral("rain")});
        QVERIFY(!DeploymentsService::schemaFromCsv(m_dir.filePath(QStringLiteral("absent.csv")), 10).ok());
    }

    void createsThroughTheDialog()
    {
        auto w = openWindow();
        QVERIFY(w);
        ui::DeploymentsPage *page = w->page;
        // An empty database: the page says there is no deployment yet.
        auto *empty = page->findChild<ui::EmptyStateView *>();
        QVERIFY(empty && empty->isVisible());

        QPointer<ui::NewDeploymentDialog> dialog = clickNew(page);
        QVERIFY(dialog);
        dialog->setCsvFilePicker([this] { return m_csv; });
        auto *create = dialog->createButton();
        QVERIFY(!create->isEnabled()); // no name yet
        QTest::keyClicks(child<QLineEdit>(dialog, "nameEdit"), m_dep);
        QVERIFY(!child<QLabel>(dialog, "nameReason")->isVisible());
        auto *task = child<QComboBox>(dialog, "taskCombo");
        QCOMPARE(task->currentData().toString(), QStringLiteral("regression"));
        QTest::keyClicks(child<QLineEdit>(dialog, "descriptionEdit"), QStringLiteral("Ride delay, tested"));
        QTest::keyClicks(child<QLineEdit>(dialog, "targetNameEdit"), QStringLiteral("delay"));
        QTest::keyClicks(child<QLineEdit>(dialog, "targetUnitEdit"), QStringLiteral("min"));

        // Features from the CSV header: a kind guessed per column, changed here for the target.
        QSignalSpy loaded(dialog.data(), &ui::NewDeploymentDialog::schemaLoaded);
        QTest::mouseClick(child<QPushButton>(dialog, "fromCsvButton"), Qt::LeftButton);
        QVERIFY(loaded.wait(15000));
        QVERIFY(loaded.first().at(0).toBool());
        ui::FeatureSchemaTable *table = dialog->schemaTable();
        QCOMPARE(table->rowCount(), 4);
        QCOMPARE(table->kind(1), ui::FeatureSchemaTable::Kind::Categorical);
        QCOMPARE(table->item(1, ui::FeatureSchemaTable::CategoriesColumn)->text(), QStringLiteral("clear, rain, snow"));
        QCOMPARE(table->kind(3), ui::FeatureSchemaTable::Kind::Numeric);
        auto *targetKind = child<QComboBox>(table, "kind_delay_min");
        QVERIFY(targetKind);
        targetKind->setFocus();
        QTest::keyClick(targetKind, Qt::Key_End); // "not a feature"
        QCOMPARE(table->kind(3), ui::FeatureSchemaTable::Kind::Ignored);
        // A categorical column with no category is refused next to the table until it has one.
        auto *hourKind = child<QComboBox>(table, "kind_hour");
        hourKind->setFocus();
        QTest::keyClick(hourKind, Qt::Key_Down); // categorical, and its categories column is empty
        QCOMPARE(table->kind(2), ui::FeatureSchemaTable::Kind::Categorical);
        QVERIFY(child<QLabel>(dialog, "schemaReason")->isVisible());
        QVERIFY(!create->isEnabled());
        QTest::keyClick(hourKind, Qt::Key_Up);
        QVERIFY(!child<QLabel>(dialog, "schemaReason")->isVisible());
        QVERIFY(create->isEnabled());

        QSignalSpy created(dialog.data(), &ui::NewDeploymentDialog::deploymentCreated);
        QSignalSpy shown(page, &ui::DeploymentsPage::deploymentsShown);
        QTest::mouseClick(create, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), 15000); // closed once the deployment exists
        QCOMPARE(created.size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toStringList().contains(m_dep), 15000);
        QCOMPARE(page->currentDeployment(), m_dep);
        QVERIFY(!empty->isVisible());

        // PostgreSQL: the row, its schema (three features, the target left out), its audit row.
        QCOMPARE(scalar(QStringLiteral("SELECT concat_ws('|', task, description, target_name, target_unit, "
                                       "archived_at IS NULL) FROM mldeck.deployments WHERE name = $1"),
                        {m_dep}),
                 QStringLiteral("regression|Ride delay, tested|delay|min|t"));
        QCOMPARE(scalar(QStringLiteral("SELECT string_agg(f->>'name' || ':' || (f->>'kind'), ',' ORDER BY ord) FROM "
                                       "mldeck.feature_schemas, jsonb_array_elements(features) WITH ORDINALITY AS "
                                       "a(f, ord) WHERE deployment = $1"),
                        {m_dep}),
                 QStringLiteral("distance_km:numeric,weather:categorical,hour:numeric"));
        QCOMPARE(scalar(QStringLiteral("SELECT f->'categories' FROM mldeck.feature_schemas, "
                                       "jsonb_array_elements(features) f WHERE deployment = $1 AND f->>'name' = "
                                       "'weather'"),
                        {m_dep}),
                 QStringLiteral("[\"clear\", \"rain\", \"snow\"]"));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                       "'deployment.create'"),
                        {m_dep}),
                 QStringLiteral("1"));
        // Redis: its flags, off.
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY(redis.ok());
        const auto flags = FlagStore(**redis).read(m_dep);
        QVERIFY2(flags.ok(), qPrintable(flags.errorMessage()));
        QVERIFY(flags->exists);
        QVERIFY(!flags->mlEnabled);
        QCOMPARE(flags->trafficPercentage, 0);

        // The General section shows what was created, and saves an edit as one audited change.
        ui::GeneralEditor *general = page->generalEditor();
        QTRY_COMPARE_WITH_TIMEOUT(general->value(QStringLiteral("description")).toString(),
                                  QStringLiteral("Ride delay, tested"), 15000);
        auto *unit = qobject_cast<QLineEdit *>(general->fieldWidget(QStringLiteral("targetUnit")));
        QVERIFY(unit);
        unit->selectAll();
        QTest::keyClicks(unit, QStringLiteral("minutes"));
        QVERIFY(general->saveButton()->isEnabled());
        QSignalSpy saved(general, &ui::SettingsEditor::saved);
        QTest::mouseClick(general->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(15000));
        QCOMPARE(scalar(QStringLiteral("SELECT target_unit FROM mldeck.deployments WHERE name = $1"), {m_dep}),
                 QStringLiteral("minutes"));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                       "'deployment.set'"),
                        {m_dep}),
                 QStringLiteral("1"));
    }

    // A model file gives the features and what it predicts; a file that is no model is refused in the dialog.
    void featuresFromAModelFile()
    {
        auto w = openWindow();
        QVERIFY(w);
        QPointer<ui::NewDeploymentDialog> dialog = clickNew(w->page);
        QVERIFY(dialog);
        QString file = m_csv;
        dialog->setModelFilePicker([&file] { return file; });
        QSignalSpy loaded(dialog.data(), &ui::NewDeploymentDialog::schemaLoaded);
        auto *fromModel = child<QPushButton>(dialog, "fromModelButton");
        QTest::mouseClick(fromModel, Qt::LeftButton);
        QVERIFY(loaded.wait(30000));
        QVERIFY(!loaded.last().at(0).toBool());
        QVERIFY(child<ui::InfoBar>(dialog, "newDeploymentError")->isVisible());
        QCOMPARE(dialog->schemaTable()->rowCount(), 0);

        file = QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt");
        QTest::mouseClick(fromModel, Qt::LeftButton);
        QVERIFY(loaded.wait(30000));
        QVERIFY(loaded.last().at(0).toBool());
        ui::FeatureSchemaTable *table = dialog->schemaTable();
        QVERIFY(table->rowCount() > 0);
        QStringList names;
        for (int row = 0; row < table->rowCount(); ++row)
            names << table->item(row, ui::FeatureSchemaTable::NameColumn)->text();
        QVERIFY2(names.contains(QStringLiteral("distance_km")), qPrintable(names.join(QLatin1Char(','))));
        QVERIFY(!child<QLineEdit>(dialog, "targetNameEdit")->text().isEmpty()); // what the model predicts
        dialog->reject();
    }

    void invalidOrTakenNameIsRefusedAndNothingWritten()
    {
        auto w = openWindow();
        QVERIFY(w);
        const QString before = scalar(QStringLiteral("SELECT count(*) FROM mldeck.deployments"));
        QPointer<ui::NewDeploymentDialog> dialog = clickNew(w->page);
        QVERIFY(dialog);
        auto *name = child<QLineEdit>(dialog, "nameEdit");
        auto *reason = child<QLabel>(dialog, "nameReason");
        auto *create = dialog->createButton();

        QTest::keyClicks(name, QStringLiteral("Bad Name"));
        QVERIFY(reason->isVisible());
        QVERIFY(reason->text().contains(QLatin1String("lower-case letter")));
        QVERIFY(!create->isEnabled());
        QTest::mouseClick(create, Qt::LeftButton);

        name->clear();
        QTest::keyClicks(name, m_dep); // created by the test before
        QVERIFY(reason->isVisible());
        QVERIFY(reason->text().contains(QLatin1String("already exists")));
        QVERIFY(!create->isEnabled());
        QTest::mouseClick(create, Qt::LeftButton);
        QVERIFY(dialog);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.deployments")), before);

        // A name taken after the dialog opened: the database refuses, the dialog says so and keeps the input.
        m_late = uniqueName(QStringLiteral("late"));
        const QString &late = m_late;
        QVERIFY(DeploymentStore(*m_conn).ensure(late, QString(), FeatureSchema{}).ok());
        name->clear();
        QTest::keyClicks(name, late);
        QTest::keyClicks(child<QLineEdit>(dialog, "descriptionEdit"), QStringLiteral("kept"));
        QVERIFY(create->isEnabled());
        QTest::mouseClick(create, Qt::LeftButton);
        auto *error = child<ui::InfoBar>(dialog, "newDeploymentError");
        QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 15000);
        QVERIFY2(error->text().contains(late), qPrintable(error->text()));
        QVERIFY(dialog && dialog->isVisible());
        QCOMPARE(name->text(), late);
        QCOMPARE(child<QLineEdit>(dialog, "descriptionEdit")->text(), QStringLiteral("kept"));
        QTRY_VERIFY(create->isEnabled()); // another try is possible
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1"), {late}),
                 QStringLiteral("0"));
        QCOMPARE(scalar(QStringLiteral("SELECT description FROM mldeck.deployments WHERE name = $1"), {late}),
                 QString());
        dialog->reject();
    }

    void archiveHidesItFromTheSelectors()
    {
        auto w = openWindow();
        QVERIFY(w);
        ui::DeploymentsPage *page = w->page;
        QStringList asked;
        QString answer; // the first answer gives no reason
        page->setReasonPrompt([&](const QString &deployment) -> std::optional<QString> {
            asked << deployment;
            return answer;
        });
        auto *table = child<QTableView>(page, "deploymentsTable");
        // The first deployment listed is selected and its General settings are loaded.
        QTRY_VERIFY_WITH_TIMEOUT(page->generalEditor()->isLoaded(), 15000);
        QCOMPARE(page->generalEditor()->deployment(), page->currentDeployment());
        page->selectDeployment(m_late);
        QTRY_COMPARE(page->currentDeployment(), m_late);
        QTRY_VERIFY_WITH_TIMEOUT(page->generalEditor()->isLoaded(), 15000);

        // Another page lists it before; its "Manage…" opens this page on the deployment it shows.
        QWidget *models = w->shell.window->page(ui::PageId::Models);
        auto *selector = child<QComboBox>(models, "deploymentSelector");
        QTRY_VERIFY_WITH_TIMEOUT(selector->findText(m_dep) >= 0, 15000);
        w->shell.window->showPage(ui::PageId::Models);
        selector->setCurrentIndex(selector->findText(m_dep));
        QTest::mouseClick(child<QPushButton>(models, "deploymentManage"), Qt::LeftButton);
        QCOMPARE(w->shell.window->currentPage(), ui::PageId::Deployments);
        QTRY_COMPARE(page->currentDeployment(), m_dep);

        QSignalSpy done(page, &ui::DeploymentsPage::actionCompleted);
        QSignalSpy shown(page, &ui::DeploymentsPage::deploymentsShown);
        auto *archive = child<QPushButton>(page, "archiveDeploymentButton");
        QTest::mouseClick(archive, Qt::LeftButton); // no reason: refused, nothing written
        QCOMPARE(done.size(), 1);
        QVERIFY(!done.takeFirst().at(0).toBool());
        QCOMPARE(scalar(QStringLiteral("SELECT archived_at IS NULL FROM mldeck.deployments WHERE name = $1"), {m_dep}),
                 QStringLiteral("t"));
        answer = QStringLiteral("retired by the test");
        QTest::mouseClick(archive, Qt::LeftButton);
        QCOMPARE(asked, QStringList({m_dep, m_dep}));
        QVERIFY(done.wait(15000));
        QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
        QCOMPARE(
            scalar(QStringLiteral("SELECT archived_at IS NOT NULL FROM mldeck.deployments WHERE name = $1"), {m_dep}),
            QStringLiteral("t"));
        QCOMPARE(scalar(QStringLiteral("SELECT reason FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                       "'deployment.archive'"),
                        {m_dep}),
                 QStringLiteral("retired by the test"));
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && !shown.last().at(0).toStringList().contains(m_dep), 15000);

        // "Show archived" brings it back, greyed and no longer editable.
        QTest::mouseClick(child<QCheckBox>(page, "showArchivedCheck"), Qt::LeftButton);
        QVERIFY(shown.last().at(0).toStringList().contains(m_dep));
        page->selectDeployment(m_dep);
        QCOMPARE(page->currentDeployment(), m_dep);
        QVERIFY(child<QLabel>(page, "archivedNote")->isVisible());
        QVERIFY(!archive->isEnabled());
        QVERIFY(table->isVisible());

        // The other page's selector no longer offers it once it reads the deployments again.
        w->shell.window->showPage(ui::PageId::Models);
        QTest::mouseClick(child<QPushButton>(models, "deploymentRefresh"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(selector->findText(m_dep) < 0, 15000);
    }

    void viewerSeesEverythingReadOnly()
    {
        const LoginRole viewer(QStringLiteral("mldeck_viewer"));
        qputenv("MLDECK_PG_URL", viewer.endpoint(m_db->endpoint()).toUrl(true).toUtf8());
        const QString late = uniqueName(QStringLiteral("shown"));
        QVERIFY(DeploymentStore(*m_conn).ensure(late, QString(), FeatureSchema{}).ok());

        auto w = openWindow();
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        QVERIFY(w);
        ui::DeploymentsPage *page = w->page;
        page->selectDeployment(late);
        QTRY_COMPARE(page->currentDeployment(), late);
        auto *newButton = child<QPushButton>(page, "newDeploymentButton");
        auto *archive = child<QPushButton>(page, "archiveDeploymentButton");
        QVERIFY(!newButton->isEnabled());
        QVERIFY(!archive->isEnabled());
        QVERIFY2(newButton->toolTip().contains(QLatin1String("mldeck_scientist")), qPrintable(newButton->toolTip()));
        QCOMPARE(archive->toolTip(), newButton->toolTip());
        QVERIFY(!page->openNewDeploymentDialog());
        ui::GeneralEditor *general = page->generalEditor();
        QTRY_VERIFY_WITH_TIMEOUT(general->isReadOnly() && !general->readOnlyReason().isEmpty(), 15000);
        QVERIFY(!general->saveButton()->isEnabled());
    }
};

QTEST_MAIN(TestGuiDeployments)
#include "test_gui_deployments.moc"
