#include "core/domain/FeatureSchema.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/settings/RetrainSettingsEditor.h"
#include "ui/settings/SettingsTabs.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// The retrain settings editor on its real widgets, offscreen, against real PostgreSQL: refused values
// (with the reason, nothing written), Revert, a valid save with its one audit row (before and after),
// a viewer's read-only form, and its tab among the settings editors.
class TestGuiRetrainSettings final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;

    QStringList row(const QString &sql)
    {
        const auto rows = test::query(*m_conn, sql, {m_dep});
        if (!rows) {
            MLDECK_FAIL_IN_HELPER(rows.errorMessage());
            return {};
        }
        return rows->isEmpty() ? QStringList() : rows->first();
    }
    QString stored() // the stored settings, or empty when there are none
    {
        const QStringList r =
            row(QStringLiteral("SELECT settings::text FROM mldeck.retrain_settings WHERE deployment = $1"));
        return r.isEmpty() ? QString() : r.first();
    }
    int audits()
    {
        return row(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                  "'retrain.settings'"))
            .value(0)
            .toInt();
    }
    static void type(QWidget *field, const QString &text)
    {
        auto *edit = qobject_cast<QLineEdit *>(field);
        QVERIFY(edit);
        edit->selectAll();
        QTest::keyClicks(edit, text);
    }
    static QString text(QWidget *field) { return qobject_cast<QLineEdit *>(field)->text(); }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiretrainset"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guiretrainset"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
    }

    void refusedRevertedThenSaved()
    {
        ui::RetrainSettingsEditor editor;
        editor.resize(800, 700);
        editor.show();
        editor.setEndpoint(m_db->endpoint());
        editor.setDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(!editor.isReadOnly(), 10000);
        QWidget *window = editor.fieldWidget(QStringLiteral("windowDays"));
        QCOMPARE(text(window), QStringLiteral("30")); // nothing stored: the defaults
        QVERIFY(!editor.saveButton()->isEnabled());

        // Each refused value says why next to its field; Save stays off and nothing is written.
        type(window, QStringLiteral("0"));
        QVERIFY2(editor.fieldMessage(QStringLiteral("windowDays")).contains(QStringLiteral("from 1 to 3650")),
                 qPrintable(editor.fieldMessage(QStringLiteral("windowDays"))));
        type(editor.fieldWidget(QStringLiteral("satisfactionBelow")), QStringLiteral("1.5"));
        QVERIFY(editor.fieldMessage(QStringLiteral("satisfactionBelow")).contains(QStringLiteral("from 0 to 1")));
        type(editor.fieldWidget(QStringLiteral("minFeedback")), QStringLiteral("many"));
        QVERIFY(editor.fieldMessage(QStringLiteral("minFeedback")).contains(QStringLiteral("not a number")));
        type(editor.fieldWidget(QStringLiteral("checkIntervalMinutes")), QStringLiteral("2.5"));
        QVERIFY(editor.fieldMessage(QStringLiteral("checkIntervalMinutes")).contains(QStringLiteral("whole number")));
        QVERIFY(!editor.saveButton()->isEnabled());
        QTest::mouseClick(editor.saveButton(), Qt::LeftButton);
        QCOMPARE(text(window), QStringLiteral("0")); // the input stays as typed
        QCOMPARE(stored(), QString());
        QCOMPARE(audits(), 0);

        // Revert: back to what was loaded, every message gone.
        QTest::mouseClick(editor.revertButton(), Qt::LeftButton);
        QCOMPARE(text(window), QStringLiteral("30"));
        for (const char *key : {"windowDays", "satisfactionBelow", "minFeedback", "checkIntervalMinutes"})
            QVERIFY2(editor.fieldMessage(QLatin1String(key)).isEmpty(), key);
        QVERIFY(!editor.isDirty());

        // A valid change: one row, one audit row whose before is "nothing stored" and after the new settings.
        type(window, QStringLiteral("14"));
        type(editor.fieldWidget(QStringLiteral("minImprovement")), QStringLiteral("0.05"));
        QWidget *autoRetrain = editor.fieldWidget(QStringLiteral("autoRetrain"));
        QTest::mouseClick(autoRetrain, Qt::LeftButton, {}, QPoint(6, autoRetrain->height() / 2)); // its box
        QVERIFY(editor.value(QStringLiteral("autoRetrain")).toBool());
        // A classifier's decision metric: a choice between accuracy (the default) and log-loss.
        auto *metric = qobject_cast<QComboBox *>(editor.fieldWidget(QStringLiteral("classificationMetric")));
        QVERIFY(metric);
        QCOMPARE(metric->currentData().toString(), QStringLiteral("accuracy"));
        QCOMPARE(metric->count(), 2);
        metric->setCurrentIndex(metric->findData(QStringLiteral("log_loss")));
        QCOMPARE(editor.value(QStringLiteral("classificationMetric")).toString(), QStringLiteral("log_loss"));
        QVERIFY(editor.saveButton()->isEnabled());
        QTest::mouseClick(editor.saveButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(editor.status(), QStringLiteral("Saved."), 10000);
        QVERIFY(!editor.isDirty());
        QCOMPARE(audits(), 1);
        QCOMPARE(row(QStringLiteral("SELECT settings ->> 'windowDays', settings ->> 'autoRetrain', "
                                    "settings ->> 'minImprovement', settings ->> 'classificationMetric' "
                                    "FROM mldeck.retrain_settings WHERE deployment = $1")),
                 (QStringList{QStringLiteral("14"), QStringLiteral("true"), QStringLiteral("0.05"),
                              QStringLiteral("log_loss")}));
        QCOMPARE(row(QStringLiteral("SELECT before IS NULL, after ->> 'windowDays' FROM mldeck.audit_log WHERE "
                                    "deployment = $1 AND action = 'retrain.settings'")),
                 (QStringList{QStringLiteral("t"), QStringLiteral("14")}));

        // A second save: its audit row carries the first as before.
        type(editor.fieldWidget(QStringLiteral("minNegative")), QStringLiteral("5"));
        QTest::mouseClick(editor.saveButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(audits(), 2, 10000);
        QCOMPARE(row(QStringLiteral("SELECT before ->> 'minNegative', after ->> 'minNegative', after ->> 'windowDays' "
                                    "FROM mldeck.audit_log WHERE deployment = $1 AND action = 'retrain.settings' "
                                    "ORDER BY id DESC LIMIT 1")),
                 (QStringList{QStringLiteral("20"), QStringLiteral("5"), QStringLiteral("14")}));

        // Loaded again, the form shows what was stored.
        ui::RetrainSettingsEditor again;
        again.setEndpoint(m_db->endpoint());
        again.setDeployment(m_dep);
        QTRY_COMPARE_WITH_TIMEOUT(text(again.fieldWidget(QStringLiteral("windowDays"))), QStringLiteral("14"), 10000);
        QCOMPARE(text(again.fieldWidget(QStringLiteral("minNegative"))), QStringLiteral("5"));
        QVERIFY(qobject_cast<QCheckBox *>(again.fieldWidget(QStringLiteral("autoRetrain")))->isChecked());
    }

    // Retrain settings are the scientists' (resources/sql/009): a viewer reads them, read-only, with the reason.
    void viewerSeesItReadOnly()
    {
        LoginRole viewer(QStringLiteral("mldeck_viewer"));
        ui::RetrainSettingsEditor editor;
        editor.show();
        editor.setEndpoint(viewer.endpoint(m_db->endpoint()));
        editor.setDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(!editor.readOnlyReason().isEmpty(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(text(editor.fieldWidget(QStringLiteral("windowDays"))), QStringLiteral("14"), 10000);
        QVERIFY(editor.isReadOnly());
        QVERIFY2(editor.readOnlyReason().contains(QStringLiteral("mldeck_scientist")),
                 qPrintable(editor.readOnlyReason()));
        QVERIFY(!editor.fieldWidget(QStringLiteral("windowDays"))->isEnabled());
        QVERIFY(!editor.saveButton()->isEnabled());
    }

    void itIsATabOfTheSettings()
    {
        ui::SettingsTabs tabs(nullptr);
        int found = 0;
        for (ui::SettingsEditor *e : tabs.editors())
            found += qobject_cast<ui::RetrainSettingsEditor *>(e) != nullptr;
        QCOMPARE(found, 1);
    }
};

QTEST_MAIN(TestGuiRetrainSettings)
#include "test_gui_retrain_settings.moc"
