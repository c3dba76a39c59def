// A classifier onboarded through the Deployments page, offscreen, against real PostgreSQL and Redis, by
// clicking the real widgets: the New deployment dialog asks a classifier for its classes (refusing a
// missing or repeated class next to the field) and a binary one for its decision threshold, or takes
// both from a classifier's model file; the General section edits the threshold (audited) and refuses one
// outside (0, 1), and refuses any threshold for a regression deployment.
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
#include "ui/pages/deployments/FeatureSchemaTable.h"
#include "ui/pages/deployments/GeneralEditor.h"
#include "ui/pages/deployments/NewDeploymentDialog.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
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

class TestGuiClassifierOnboarding : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep; // the classifier created through the dialog

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

    // The task combo, moved with the keyboard as a user would.
    static void chooseClassification(QComboBox *task)
    {
        task->setFocus();
        QTest::keyClick(task, Qt::Key_End);
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
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guicls"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_classifier_onboarding"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guicls"));
        test::isolateFromEnvironment();
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void classesAndThresholdTypedInTheDialog()
    {
        auto w = openWindow();
        QVERIFY(w);
        QPointer<ui::NewDeploymentDialog> dialog = clickNew(w->page);
        QVERIFY(dialog);
        auto *create = dialog->createButton();
        auto *classes = child<QLineEdit>(dialog, "classesEdit");
        auto *threshold = child<QDoubleSpinBox>(dialog, "thresholdSpin");
        auto *reason = child<QLabel>(dialog, "classesReason");
        QVERIFY(classes && threshold && reason);
        QTest::keyClicks(child<QLineEdit>(dialog, "nameEdit"), m_dep);
        QVERIFY(!classes->isVisible()); // a regression has no classes
        QVERIFY(create->isEnabled());

        chooseClassification(child<QComboBox>(dialog, "taskCombo"));
        QVERIFY(classes->isVisible());
        QVERIFY(reason->isVisible() && reason->text().contains(QStringLiteral("needs its classes")));
        QVERIFY(!create->isEnabled());
        QTest::keyClicks(classes, QStringLiteral("declined, accepted, declined"));
        QVERIFY2(reason->text().contains(QStringLiteral("named twice")), qPrintable(reason->text()));
        QVERIFY(!create->isEnabled());
        QVERIFY(!threshold->isEnabled()); // three classes: the most probable is served
        typeInto(classes, QStringLiteral("declined, accepted"));
        QVERIFY(!reason->isVisible());
        QVERIFY(threshold->isEnabled());
        threshold->setFocus();
        threshold->selectAll();
        QTest::keyClicks(threshold, QStringLiteral("0.35"));
        QCOMPARE(threshold->value(), 0.35);
        QTest::keyClicks(child<QLineEdit>(dialog, "descriptionEdit"), QStringLiteral("Will the driver accept"));
        QVERIFY(create->isEnabled());

        QSignalSpy created(dialog.data(), &ui::NewDeploymentDialog::deploymentCreated);
        QTest::mouseClick(create, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), 15000);
        QCOMPARE(created.size(), 1);
        QCOMPARE(scalar(QStringLiteral("SELECT concat_ws('|', task, array_to_string(classes, ','), decision_threshold) "
                                       "FROM mldeck.deployments WHERE name = $1"),
                        {m_dep}),
                 QStringLiteral("classification|declined,accepted|0.35"));

        // The General section: the threshold, refused outside (0, 1), saved as one audited change.
        ui::GeneralEditor *general = selectInGeneral(w->page, m_dep);
        QVERIFY(general);
        const QString key = QStringLiteral("decisionThreshold");
        QCOMPARE(general->value(key).toDouble(), 0.35);
        typeInto(general->fieldWidget(key), QStringLiteral("1.2"));
        QVERIFY(!general->fieldMessage(key).isEmpty());
        QVERIFY(!general->saveButton()->isEnabled());
        typeInto(general->fieldWidget(key), QStringLiteral("0.6"));
        QVERIFY(general->fieldMessage(key).isEmpty());
        QVERIFY(general->saveButton()->isEnabled());
        QSignalSpy saved(general, &ui::SettingsEditor::saved);
        QTest::mouseClick(general->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(15000));
        QCOMPARE(scalar(QStringLiteral("SELECT decision_threshold FROM mldeck.deployments WHERE name = $1"), {m_dep}),
                 QStringLiteral("0.6"));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                       "'deployment.set'"),
                        {m_dep}),
                 QStringLiteral("1"));
    }

    void aRegressionHasNoThreshold()
    {
        NewDeployment spec;
        spec.name = uniqueName(QStringLiteral("guireg"));
        spec.task = QStringLiteral("regression");
        QVERIFY(createDeployment(*m_conn, TestServers::redis(), spec, kActor).ok());
        auto w = openWindow();
        QVERIFY(w);
        ui::GeneralEditor *general = selectInGeneral(w->page, spec.name);
        QVERIFY(general);
        const QString key = QStringLiteral("decisionThreshold");
        QVERIFY(general->value(key).isNull());
        typeInto(general->fieldWidget(key), QStringLiteral("0.5"));
        QVERIFY(general->fieldMessage(key).contains(QStringLiteral("binary classification")));
        QVERIFY(!general->saveButton()->isEnabled());
    }

    // A classifier's model file gives the task, the classes in its output order and its threshold.
    void classesFromAModelFile()
    {
        auto w = openWindow();
        QVERIFY(w);
        QPointer<ui::NewDeploymentDialog> dialog = clickNew(w->page);
        QVERIFY(dialog);
        dialog->setModelFilePicker([] { return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/accept_mlp.pt"); });
        QSignalSpy loaded(dialog.data(), &ui::NewDeploymentDialog::schemaLoaded);
        QTest::mouseClick(child<QPushButton>(dialog, "fromModelButton"), Qt::LeftButton);
        QVERIFY(loaded.wait(30000));
        QVERIFY(loaded.last().at(0).toBool());
        QCOMPARE(child<QComboBox>(dialog, "taskCombo")->currentData().toString(), QStringLiteral("classification"));
        QCOMPARE(child<QLineEdit>(dialog, "classesEdit")->text(), QStringLiteral("declined, accepted"));
        QVERIFY(child<QLineEdit>(dialog, "classesEdit")->isVisible());
        QVERIFY(dialog->schemaTable()->rowCount() > 0);
        QVERIFY(dialog->classesProblem().isEmpty());
        dialog->reject();
    }
};

QTEST_MAIN(TestGuiClassifierOnboarding)
#include "test_gui_classifier_onboarding.moc"
