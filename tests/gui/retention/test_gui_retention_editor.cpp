// The Retention tab of a deployment's settings on its real widgets, offscreen, against real PostgreSQL: an
// admin's change is saved with its audit row and `mldeckctl deployments retention` shows it, emptying the
// field goes back to the default, a bad value is refused beside the field with nothing written, and an
// operator sees the tab read-only with the role that may change it.
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/settings/RetentionEditor.h"
#include "ui/settings/SettingsTabs.h"
#include "ui/widgets/InfoBar.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>

#include <QtTest>

#include <memory>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr int kWaitMs = 15000;
const QString kField = QStringLiteral("retention_days");

} // namespace

class TestGuiRetentionEditor final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_owner;
    std::unique_ptr<LoginRole> m_admin;
    std::unique_ptr<LoginRole> m_operator;
    QString m_dep;

    QString scalar(const QString &sql) { return test::queryValue(*m_owner, sql, {m_dep}); }
    QString stored() // the deployment's own setting, "" when it has none
    {
        return scalar(
            QStringLiteral("SELECT coalesce(settings->>'retention_days', '') FROM mldeck.deployments WHERE name = $1"));
    }
    int auditRows()
    {
        return scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND "
                                     "action = 'deployment.retention'"))
            .toInt();
    }
    QJsonObject lastAudit(const char *column)
    {
        return QJsonDocument::fromJson(scalar(QStringLiteral("SELECT %1::text FROM mldeck.audit_log WHERE "
                                                             "deployment = $1 AND action = 'deployment.retention' "
                                                             "ORDER BY id DESC LIMIT 1")
                                                  .arg(QLatin1String(column)))
                                           .toUtf8())
            .object();
    }
    // What `mldeckctl deployments retention NAME --json` says.
    QJsonObject cliRetention()
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.remove(QStringLiteral("MLDECK_PG_READ_URL"));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                {QStringLiteral("deployments"), QStringLiteral("retention"), m_dep, QStringLiteral("--json")});
        if (!p.waitForFinished(60000) || p.exitCode() != 0) {
            qWarning("%s", p.readAllStandardError().constData());
            return {};
        }
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }

    // The settings tabs as the given user, the Retention tab shown once the deployment is loaded in it.
    std::unique_ptr<ui::SettingsTabs> openTabs(const PgEndpoint &as, ui::RetentionEditor *&editor)
    {
        auto tabs = std::make_unique<ui::SettingsTabs>(nullptr);
        tabs->resize(900, 640);
        tabs->show();
        tabs->setEndpoint(as);
        tabs->setDeployment(m_dep);
        editor = nullptr;
        for (ui::SettingsEditor *e : tabs->editors())
            if (auto *found = qobject_cast<ui::RetentionEditor *>(e))
                editor = found;
        if (editor)
            tabs->setCurrentWidget(editor);
        return tabs;
    }
    QLineEdit *daysEdit(ui::RetentionEditor *editor) { return qobject_cast<QLineEdit *>(editor->fieldWidget(kField)); }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiretentioneditor"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_owner = std::move(c).value();
        QVERIFY(Migrator::migrate(*m_owner).ok());
        m_dep = uniqueName(QStringLiteral("guiret"));
        QVERIFY(exec(*m_owner, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(m_dep)).ok());
        m_admin = std::make_unique<LoginRole>(QStringLiteral("mldeck_admin"));
        m_operator = std::make_unique<LoginRole>(QStringLiteral("mldeck_operator"));
    }

    void adminChangesTheRetentionAndBackToTheDefault()
    {
        ui::RetentionEditor *editor = nullptr;
        auto tabs = openTabs(m_admin->endpoint(m_db->endpoint()), editor);
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        // The default is shown as an empty field with the default as its placeholder; nothing is stored.
        QCOMPARE(daysEdit(editor)->text(), QString());
        QCOMPARE(daysEdit(editor)->placeholderText(), QStringLiteral("default (90)"));
        QVERIFY(editor->value(kField).isNull());
        QVERIFY(!editor->saveButton()->isEnabled());
        const int before = auditRows();

        typeInto(daysEdit(editor), QStringLiteral("30"));
        QVERIFY(editor->fieldMessage(kField).isEmpty());
        QVERIFY(editor->saveButton()->isEnabled());
        QCOMPARE(tabs->tabText(tabs->indexOf(editor)), editor->title() + QStringLiteral(" *"));
        saveScreenshot(tabs.get(), QStringLiteral("settings-retention-edited"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        QCOMPARE(editor->status(), QStringLiteral("Saved."));
        QCOMPARE(daysEdit(editor)->text(), QStringLiteral("30"));
        QVERIFY(!editor->isDirty());

        QCOMPARE(stored(), QStringLiteral("30"));
        QCOMPARE(auditRows(), before + 1);
        QCOMPARE(lastAudit("before"),
                 (QJsonObject{{QStringLiteral("retention_days"), 90}, {QStringLiteral("default"), true}}));
        QCOMPARE(lastAudit("after"),
                 (QJsonObject{{QStringLiteral("retention_days"), 30}, {QStringLiteral("default"), false}}));
        QCOMPARE(scalar(QStringLiteral("SELECT actor_db FROM mldeck.audit_log WHERE deployment = $1 AND "
                                       "action = 'deployment.retention' ORDER BY id DESC LIMIT 1")),
                 m_admin->name());
        QCOMPARE(cliRetention().value(QStringLiteral("retention_days")).toInt(), 30);

        // Emptying the field goes back to the default: the setting is removed, audited as such.
        typeInto(daysEdit(editor), QString());
        QVERIFY(editor->fieldMessage(kField).isEmpty());
        QVERIFY(editor->saveButton()->isEnabled());
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        QCOMPARE(stored(), QString());
        QCOMPARE(auditRows(), before + 2);
        QCOMPARE(lastAudit("after"),
                 (QJsonObject{{QStringLiteral("retention_days"), 90}, {QStringLiteral("default"), true}}));
        QCOMPARE(cliRetention().value(QStringLiteral("retention_days")).toInt(), 90);

        // A fresh tab reads what was stored.
        typeInto(daysEdit(editor), QStringLiteral("45"));
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        ui::RetentionEditor *again = nullptr;
        auto reopened = openTabs(m_admin->endpoint(m_db->endpoint()), again);
        QTRY_VERIFY_WITH_TIMEOUT(again->isLoaded(), kWaitMs);
        QCOMPARE(daysEdit(again)->text(), QStringLiteral("45"));
    }

    void badValueIsRefusedBesideTheField_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("reason");
        QTest::newRow("zero") << "0"
                              << "The retention must be 1 to 3650 days, not 0.";
        QTest::newRow("too long") << "5000"
                                  << "The retention must be 1 to 3650 days, not 5000.";
        QTest::newRow("not a number") << "abc"
                                      << "\"abc\" is not a number.";
        QTest::newRow("not whole") << "2.5"
                                   << "A whole number is needed.";
    }

    void badValueIsRefusedBesideTheField()
    {
        QFETCH(QString, text);
        QFETCH(QString, reason);
        ui::RetentionEditor *editor = nullptr;
        auto tabs = openTabs(m_admin->endpoint(m_db->endpoint()), editor);
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        const QString settingsBefore =
            scalar(QStringLiteral("SELECT settings::text FROM mldeck.deployments WHERE name = $1"));
        const int auditBefore = auditRows();

        typeInto(daysEdit(editor), text);
        QCOMPARE(editor->fieldMessage(kField), reason);
        auto *message = editor->findChild<QLabel *>(kField + QStringLiteral("Message"));
        QVERIFY(message);
        QTRY_VERIFY(message->isVisible());
        QCOMPARE(message->text(), reason);
        QVERIFY(!editor->saveButton()->isEnabled());
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QCOMPARE(saved.count(), 0); // a disabled Save sends nothing

        QCOMPARE(scalar(QStringLiteral("SELECT settings::text FROM mldeck.deployments WHERE name = $1")),
                 settingsBefore);
        QCOMPARE(auditRows(), auditBefore);
    }

    void operatorSeesItReadOnlyNamingTheAdmin()
    {
        ui::RetentionEditor *editor = nullptr;
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()), editor);
        QVERIFY(editor);
        const QString reason =
            QStringLiteral("Read-only: your role mldeck_operator may not change the retention; mldeck_admin may.");
        QTRY_COMPARE_WITH_TIMEOUT(editor->readOnlyReason(), reason, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded(), kWaitMs);
        auto *banner = editor->findChild<ui::InfoBar *>(QStringLiteral("settingsReadOnlyBanner"));
        QVERIFY(banner);
        QTRY_VERIFY(banner->isVisible());
        QCOMPARE(banner->text(), reason);
        QVERIFY(editor->isReadOnly());
        QVERIFY(!daysEdit(editor)->isEnabled());
        QVERIFY(!editor->saveButton()->isEnabled());
        saveScreenshot(tabs.get(), QStringLiteral("settings-retention-operator"));
    }

    void cleanupTestCase()
    {
        m_operator.reset();
        m_admin.reset();
        m_owner.reset();
        m_db.reset();
    }
};

QTEST_MAIN(TestGuiRetentionEditor)
#include "test_gui_retention_editor.moc"
