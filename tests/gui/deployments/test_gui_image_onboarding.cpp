// An image deployment created entirely from the GUI, offscreen, against real PostgreSQL and Redis, by clicking
// the real widgets: the New deployment dialog's Input "Image" makes it a classifier without features and asks for
// the image store (typed, checked beside the field), the reference set (picked with Browse…) and the holdout
// (refused while it overlaps the reference set), or takes it all from an image model's file; the General section shows
// and changes the folders (audited deployment.images) and shows none for a tabular deployment.
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/gui/shell/ShellFixture.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/pages/DeploymentsPage.h"
#include "ui/pages/deployments/DeploymentsTableModel.h"
#include "ui/pages/deployments/FeatureSchemaTable.h"
#include "ui/pages/deployments/GeneralEditor.h"
#include "ui/pages/deployments/NewDeploymentDialog.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
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

template <typename T> T *child(QObject *parent, const char *name)
{
    return parent->findChild<T *>(QString::fromLatin1(name));
}

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

} // namespace

class TestGuiImageOnboarding : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_dep; // the image deployment created through the dialog

    QString folder(const QString &name) const { return m_dir.filePath(name); }
    QString scalar(const QString &sql, const QStringList &params = {})
    {
        const auto r = test::query(*m_conn, sql, params);
        if (!r || r->isEmpty())
            return QStringLiteral("<error: %1>").arg(r ? QStringLiteral("no row") : r.errorMessage());
        return r->first().first();
    }

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
        w->shell.window->resize(1280, 900);
        w->shell.window->show();
        w->shell.window->showPage(ui::PageId::Deployments);
        QSignalSpy shown(w->page, &ui::DeploymentsPage::deploymentsShown);
        w->shell.session.start();
        if (!shown.wait(15000))
            return nullptr;
        return w;
    }

    ui::GeneralEditor *selectInGeneral(ui::DeploymentsPage *page, const QString &name)
    {
        page->selectDeployment(name);
        ui::GeneralEditor *general = page->generalEditor();
        if (!QTest::qWaitFor([&] { return general->deployment() == name && general->isLoaded(); }, 15000))
            return nullptr;
        return general;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(folder(QStringLiteral("store/kept/cat"))));
        for (const QString &set : {QStringLiteral("reference"), QStringLiteral("holdout")})
            for (const QString &cls : {QStringLiteral("cat"), QStringLiteral("dog")}) {
                QVERIFY(QDir().mkpath(folder(set + QLatin1Char('/') + cls)));
                QFile f(folder(set + QLatin1Char('/') + cls + QStringLiteral("/1.png")));
                QVERIFY(f.open(QIODevice::WriteOnly));
            }
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiimg"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_image_onboarding"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guiimg"));
        test::isolateFromEnvironment();
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void createdFromTheDialogThenChangedInGeneral()
    {
        auto w = openWindow();
        QVERIFY(w);
        auto *newButton = child<QPushButton>(w->page, "newDeploymentButton");
        QVERIFY(newButton && QTest::qWaitFor([&] { return newButton->isEnabled(); }, 15000));
        QTest::mouseClick(newButton, Qt::LeftButton);
        QPointer<ui::NewDeploymentDialog> dialog = w->page->newDeploymentDialog();
        QVERIFY(dialog);
        dialog->setFolderPicker(
            [this](const QString &, const QString &) { return folder(QStringLiteral("reference")); });
        auto *create = dialog->createButton();
        auto *store = child<QLineEdit>(dialog, "imageStoreEdit");
        auto *storeReason = child<QLabel>(dialog, "imageStoreReason");
        auto *holdout = child<QLineEdit>(dialog, "holdoutSetEdit");
        auto *holdoutReason = child<QLabel>(dialog, "holdoutSetReason");
        auto *task = child<QComboBox>(dialog, "taskCombo");
        QVERIFY(store && storeReason && holdout && holdoutReason && task);
        QTest::keyClicks(child<QLineEdit>(dialog, "nameEdit"), m_dep);
        QVERIFY(!store->isVisible()); // tabular features first: no folders
        QVERIFY(dialog->schemaTable()->isVisible());

        auto *input = child<QComboBox>(dialog, "inputCombo");
        input->setFocus();
        QTest::keyClick(input, Qt::Key_End); // "Image"
        QVERIFY(dialog->imageInput());
        QVERIFY(store->isVisible() && holdout->isVisible());
        QVERIFY(!dialog->schemaTable()->isVisible());
        QCOMPARE(task->currentData().toString(), QStringLiteral("classification"));
        QVERIFY(!task->isEnabled());
        QVERIFY2(!task->currentText().contains(QStringLiteral("late")), qPrintable(task->currentText()));
        QVERIFY(!child<QLineEdit>(dialog, "targetUnitEdit")->isVisible()); // a class has no unit
        QTest::keyClicks(child<QLineEdit>(dialog, "classesEdit"), QStringLiteral("cat, dog"));
        QVERIFY(child<QDoubleSpinBox>(dialog, "thresholdSpin")->isVisible()); // two classes: a threshold
        QVERIFY(!create->isEnabled());                                        // the store is required

        QTest::keyClicks(store, folder(QStringLiteral("nowhere")));
        QVERIFY(storeReason->isVisible() && storeReason->text().contains(QStringLiteral("No such folder")));
        QVERIFY(!create->isEnabled());
        typeInto(store, folder(QStringLiteral("store")));
        QVERIFY(!storeReason->isVisible());
        QVERIFY(create->isEnabled());

        QTest::mouseClick(child<QPushButton>(dialog, "referenceSetBrowse"), Qt::LeftButton);
        QCOMPARE(child<QLineEdit>(dialog, "referenceSetEdit")->text(), folder(QStringLiteral("reference")));
        QTest::keyClicks(holdout, folder(QStringLiteral("reference/cat")));
        QVERIFY2(holdoutReason->isVisible() && holdoutReason->text().contains(QStringLiteral("apart")),
                 qPrintable(holdoutReason->text()));
        QVERIFY(!create->isEnabled());
        // Retraining reads the logged keys through the store: a holdout inside it is refused beside the field.
        typeInto(holdout, folder(QStringLiteral("store/kept")));
        QVERIFY2(holdoutReason->isVisible() && holdoutReason->text().contains(QStringLiteral("image store")),
                 qPrintable(holdoutReason->text()));
        QVERIFY(!create->isEnabled());
        typeInto(holdout, folder(QStringLiteral("holdout")));
        QVERIFY(!holdoutReason->isVisible());
        QVERIFY(create->isEnabled());

        QSignalSpy created(dialog.data(), &ui::NewDeploymentDialog::deploymentCreated);
        QTest::mouseClick(create, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), 15000);
        QCOMPARE(created.size(), 1);
        QCOMPARE(scalar(QStringLiteral("SELECT concat_ws('|', task, array_to_string(classes, ','), settings #>> "
                                       "'{images,store,root}', settings #>> '{images,reference_set}', settings #>> "
                                       "'{images,holdout_set}') FROM mldeck.deployments WHERE name = $1"),
                        {m_dep}),
                 QStringLiteral("classification|cat,dog|%1|%2|%3")
                     .arg(folder(QStringLiteral("store")), folder(QStringLiteral("reference")),
                          folder(QStringLiteral("holdout"))));

        // The list says it takes images.
        auto *table = child<QTableView>(w->page, "deploymentsTable");
        QVERIFY(table);
        const auto taskOf = [table, this] {
            QAbstractItemModel *m = table->model();
            for (int r = 0; r < m->rowCount(); ++r)
                if (m->index(r, ui::DeploymentsTableModel::NameColumn).data().toString() == m_dep)
                    return m->index(r, ui::DeploymentsTableModel::TaskColumn).data().toString();
            return QString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(taskOf(), QStringLiteral("classification, images"), 15000);

        // The General section shows the folders; the holdout removed is one audited deployment.images.
        ui::GeneralEditor *general = selectInGeneral(w->page, m_dep);
        QVERIFY(general);
        auto *generalHoldout = child<QLineEdit>(general, "holdoutSetEdit");
        QVERIFY(generalHoldout && generalHoldout->isVisible());
        QVERIFY(!general->fieldWidget(QStringLiteral("targetUnit"))->isVisible());
        QVERIFY(general->fieldWidget(QStringLiteral("decisionThreshold"))->isVisible()); // cat, dog
        QCOMPARE(general->value(QStringLiteral("imageStore")).toString(), folder(QStringLiteral("store")));
        typeInto(child<QLineEdit>(general, "imageStoreEdit"), folder(QStringLiteral("gone")));
        QVERIFY(!general->fieldMessage(QStringLiteral("imageStore")).isEmpty());
        QVERIFY(!general->saveButton()->isEnabled());
        typeInto(child<QLineEdit>(general, "imageStoreEdit"), folder(QStringLiteral("store")));
        typeInto(generalHoldout, QString());
        QVERIFY(general->saveButton()->isEnabled());
        QSignalSpy saved(general, &ui::SettingsEditor::saved);
        QTest::mouseClick(general->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(15000));
        QCOMPARE(scalar(QStringLiteral("SELECT coalesce(settings #>> '{images,holdout_set}', 'none') FROM "
                                       "mldeck.deployments WHERE name = $1"),
                        {m_dep}),
                 QStringLiteral("none"));
        QCOMPARE(scalar(QStringLiteral("SELECT string_agg(action, ',' ORDER BY id) FROM mldeck.audit_log WHERE "
                                       "deployment = $1 AND action LIKE 'deployment.%'"),
                        {m_dep}),
                 QStringLiteral("deployment.create,deployment.images"));

        // A save that leaves the folders alone does not list them again: it passes while the reference set
        // holds a subfolder that is not a class (which a listing refuses).
        QVERIFY(QDir().mkpath(folder(QStringLiteral("reference/bird"))));
        typeInto(qobject_cast<QLineEdit *>(general->fieldWidget(QStringLiteral("description"))),
                 QStringLiteral("digits from the scanner"));
        QVERIFY(general->saveButton()->isEnabled());
        QTest::mouseClick(general->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(15000));
        QVERIFY(QDir().rmdir(folder(QStringLiteral("reference/bird"))));
        QCOMPARE(scalar(QStringLiteral("SELECT string_agg(action, ',' ORDER BY id) FROM mldeck.audit_log WHERE "
                                       "deployment = $1 AND action LIKE 'deployment.%'"),
                        {m_dep}),
                 QStringLiteral("deployment.create,deployment.images,deployment.set"));
    }

    // A stored image configuration that cannot be read still shows the folders, empty, with the reason.
    void anUnreadableConfigurationCanBeRepaired()
    {
        NewDeployment spec;
        spec.name = uniqueName(QStringLiteral("guibad"));
        spec.task = QStringLiteral("classification");
        spec.classSpec.classes = {QStringLiteral("cat"), QStringLiteral("dog")};
        QVERIFY(createDeployment(*m_conn, TestServers::redis(), spec, kActor).ok());
        QVERIFY(test::query(*m_conn,
                            QStringLiteral("UPDATE mldeck.deployments SET settings = settings || "
                                           "'{\"images\": {\"store\": 5}}'::jsonb WHERE name = $1"),
                            {spec.name}));
        auto w = openWindow();
        QVERIFY(w);
        ui::GeneralEditor *general = selectInGeneral(w->page, spec.name);
        QVERIFY(general);
        QVERIFY(general->fieldWidget(QStringLiteral("imageStore"))->isVisible());
        QVERIFY2(general->fieldMessage(QStringLiteral("imageStore")).contains(QStringLiteral("cannot be read")),
                 qPrintable(general->fieldMessage(QStringLiteral("imageStore"))));
        typeInto(child<QLineEdit>(general, "imageStoreEdit"), folder(QStringLiteral("store")));
        QVERIFY(general->fieldMessage(QStringLiteral("imageStore")).isEmpty());
        QVERIFY(general->saveButton()->isEnabled());
        QSignalSpy saved(general, &ui::SettingsEditor::saved);
        QTest::mouseClick(general->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(15000));
        QCOMPARE(
            scalar(QStringLiteral("SELECT settings #>> '{images,store,root}' FROM mldeck.deployments WHERE name = $1"),
                   {spec.name}),
            folder(QStringLiteral("store")));
    }

    // An image model's file makes the deployment an image one and gives its classes.
    void anImageModelFileChoosesImageInput()
    {
        auto w = openWindow();
        QVERIFY(w);
        auto *newButton = child<QPushButton>(w->page, "newDeploymentButton");
        QVERIFY(newButton && QTest::qWaitFor([&] { return newButton->isEnabled(); }, 15000));
        QTest::mouseClick(newButton, Qt::LeftButton);
        QPointer<ui::NewDeploymentDialog> dialog = w->page->newDeploymentDialog();
        QVERIFY(dialog);
        dialog->setModelFilePicker([] { return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/digits_cnn.pt"); });
        QVERIFY(!dialog->imageInput());
        QSignalSpy loaded(dialog.data(), &ui::NewDeploymentDialog::schemaLoaded);
        QTest::mouseClick(child<QPushButton>(dialog, "fromModelButton"), Qt::LeftButton);
        QVERIFY(loaded.wait(30000));
        QCOMPARE(loaded.first().first().toBool(), true);
        QVERIFY(dialog->imageInput());
        QCOMPARE(child<QLineEdit>(dialog, "classesEdit")->text(), QStringLiteral("0, 1, 2, 3, 4, 5, 6, 7, 8, 9"));
        QVERIFY(child<QLineEdit>(dialog, "imageStoreEdit")->isVisible());
        // Ten classes: the most probable is served, no threshold; an image class has no unit.
        QVERIFY(!child<QDoubleSpinBox>(dialog, "thresholdSpin")->isVisible());
        QVERIFY(!child<QLineEdit>(dialog, "targetUnitEdit")->isVisible());
        dialog->reject();
    }

    void aTabularDeploymentShowsNoFolders()
    {
        NewDeployment spec;
        spec.name = uniqueName(QStringLiteral("guitab"));
        spec.task = QStringLiteral("regression");
        QVERIFY(createDeployment(*m_conn, TestServers::redis(), spec, kActor).ok());
        auto w = openWindow();
        QVERIFY(w);
        ui::GeneralEditor *general = selectInGeneral(w->page, spec.name);
        QVERIFY(general);
        QVERIFY(general->fieldWidget(QStringLiteral("description"))->isVisible());
        QVERIFY(!general->fieldWidget(QStringLiteral("imageStore"))->isVisible());
        QVERIFY(general->fieldWidget(QStringLiteral("targetUnit"))->isVisible()); // a delay has a unit
        QVERIFY(general->fieldMessage(QStringLiteral("imageStore")).isEmpty());   // not asked of a tabular one
    }
};

QTEST_MAIN(TestGuiImageOnboarding)
#include "test_gui_image_onboarding.moc"
