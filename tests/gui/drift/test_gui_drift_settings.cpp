// The drift settings editor on its real widgets, offscreen, against the test servers: a valid save
// writes settings -> 'drift' and one audit row with before and after; each invalid field is refused
// with its reason and nothing written; Revert; a viewer sees it read-only with the reason. And the
// drift page of a deployment whose default reference is still filling says so (a state, not an error).
#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/drift/DriftReferenceBar.h"
#include "ui/pages/drift/DriftTableModel.h"
#include "ui/settings/DriftSettingsEditor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>

#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr int kWaitMs = 15000;

} // namespace

class TestGuiDriftSettings final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_admin;
    std::unique_ptr<LoginRole> m_scientist;
    std::unique_ptr<LoginRole> m_viewer;
    QString m_dep;

    QString scalar(const QString &sql) { return test::queryValue(*m_admin, sql, {m_dep}); }
    QJsonObject stored()
    {
        return QJsonDocument::fromJson(
                   scalar(QStringLiteral("SELECT coalesce(settings -> 'drift', '{}')::text FROM mldeck.deployments "
                                         "WHERE name = $1"))
                       .toUtf8())
            .object();
    }
    int auditRows()
    {
        return scalar(QStringLiteral(
                          "SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = 'drift.settings'"))
            .toInt();
    }

    std::unique_ptr<ui::DriftSettingsEditor> openEditor(const PgEndpoint &as)
    {
        auto editor = std::make_unique<ui::DriftSettingsEditor>();
        editor->resize(820, 900);
        editor->show();
        editor->setEndpoint(as);
        editor->setDeployment(m_dep);
        return editor;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guidrift"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_admin = std::move(c).value();
        QVERIFY(Migrator::migrate(*m_admin).ok());
        m_dep = uniqueName(QStringLiteral("guidrift"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("rain_mm"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back({QStringLiteral("vehicle"),
                                   FeatureSpec::Kind::Categorical,
                                   {QStringLiteral("car"), QStringLiteral("bike")}});
        QVERIFY(DeploymentStore(*m_admin).ensure(m_dep, {}, schema).ok());
        m_scientist = std::make_unique<LoginRole>(QStringLiteral("mldeck_scientist"));
        m_viewer = std::make_unique<LoginRole>(QStringLiteral("mldeck_viewer"));
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    // First, while nothing is set: the default reference (the first 5,000 predictions) is filling.
    void driftPageShowsTheReferenceFilling()
    {
        QVERIFY(exec(*m_admin, QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, path, deployment, "
                                              "request_key, numeric, categorical) SELECT now() - i * interval '1 "
                                              "second', 1.0, 'ml', '%1', 'k' || i, ARRAY[random()]::real[], "
                                              "ARRAY['car'] FROM generate_series(1, 120) AS i")
                                   .arg(m_dep))
                    .ok());
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1280, 800);
        page.show();
        ui::DriftReferenceBar *bar = page.referenceBar();
        QTRY_VERIFY_WITH_TIMEOUT(bar->isFilling(), kWaitMs);
        QVERIFY2(bar->fillingText().contains(QStringLiteral("Reference filling: 120 of ")),
                 qPrintable(bar->fillingText()));
        const QString reference = QStringLiteral("the first %1 logged predictions").arg(QLocale().toString(5000));
        QVERIFY2(bar->referenceText().contains(reference), qPrintable(bar->referenceText()));
        QCOMPARE(page.driftModel().rowCount(), 0);
        QCoreApplication::processEvents();
        saveScreenshot(&page, QStringLiteral("drift-page-filling"));
    }

    void validSaveWritesTheSettingsAndOneAuditRow()
    {
        auto editor = openEditor(m_scientist->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        QCOMPARE(editor->value(QStringLiteral("reference")).toString(), QStringLiteral("first_rows:5000"));
        QCOMPARE(editor->value(QStringLiteral("k")).toLongLong(), 3); // the defaults, nothing stored yet
        QVERIFY(!editor->saveButton()->isEnabled());
        saveScreenshot(editor.get(), QStringLiteral("drift-settings-editor"));

        typeInto(editor->fieldWidget(QStringLiteral("k")), QStringLiteral("5"));
        typeInto(editor->fieldWidget(QStringLiteral("p_value")), QStringLiteral("0.01"));
        typeInto(editor->fieldWidget(QStringLiteral("window")), QStringLiteral("30m"));
        auto *rows = editor->findChild<QSpinBox *>(QStringLiteral("referenceRows"));
        QVERIFY(rows);
        rows->setValue(2000);
        auto *watchVehicle = editor->findChild<QCheckBox *>(QStringLiteral("watch_vehicle"));
        QVERIFY(watchVehicle && watchVehicle->isChecked());
        watchVehicle->click();
        typeInto(editor->findChild<QLineEdit *>(QStringLiteral("threshold_rain_mm")), QStringLiteral("0.3"));
        auto *test = editor->findChild<QComboBox *>(QStringLiteral("test_rain_mm"));
        test->setCurrentIndex(test->findData(QStringLiteral("psi")));
        Q_EMIT test->activated(test->currentIndex());
        QTRY_VERIFY(editor->isDirty() && editor->isValid());
        QVERIFY(editor->saveButton()->isEnabled());

        QSignalSpy saved(editor.get(), &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY2(saved.wait(kWaitMs), qPrintable(editor->status()));
        const QJsonObject s = stored();
        QCOMPARE(s.value(QStringLiteral("k")).toInt(), 5);
        QCOMPARE(s.value(QStringLiteral("p_value")).toDouble(), 0.01);
        QCOMPARE(s.value(QStringLiteral("window")).toString(), QStringLiteral("30m"));
        QCOMPARE(s.value(QStringLiteral("reference")).toString(), QStringLiteral("first_rows:2000"));
        QCOMPARE(s.value(QStringLiteral("ignore")).toArray(), QJsonArray{QStringLiteral("vehicle")});
        QCOMPARE(s.value(QStringLiteral("thresholds")).toObject().value(QStringLiteral("rain_mm")).toDouble(), 0.3);
        QCOMPARE(s.value(QStringLiteral("tests")).toObject().value(QStringLiteral("rain_mm")).toString(),
                 QStringLiteral("psi"));
        QCOMPARE(auditRows(), 1);
        const QJsonObject before =
            QJsonDocument::fromJson(scalar(QStringLiteral("SELECT before::text FROM mldeck.audit_log WHERE "
                                                          "deployment = $1 AND action = 'drift.settings'"))
                                        .toUtf8())
                .object();
        QVERIFY(before.isEmpty()); // nothing was stored before
        QCOMPARE(scalar(QStringLiteral("SELECT after ->> 'k' FROM mldeck.audit_log WHERE deployment = $1 AND "
                                       "action = 'drift.settings'")),
                 QStringLiteral("5"));
        QVERIFY(!editor->isDirty()); // the saved values are the new baseline

        // A second editor loads what was saved.
        auto again = openEditor(m_scientist->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(again->isLoaded(), kWaitMs);
        QCOMPARE(again->value(QStringLiteral("k")).toLongLong(), 5);
        QCOMPARE(again->value(QStringLiteral("reference")).toString(), QStringLiteral("first_rows:2000"));
        QVERIFY(!again->findChild<QCheckBox *>(QStringLiteral("watch_vehicle"))->isChecked());
        QVERIFY(!again->isDirty());
    }

    void eachInvalidFieldIsRefusedAndNothingWritten_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("input");
        QTest::newRow("window not a duration") << QStringLiteral("window") << QStringLiteral("soon");
        QTest::newRow("interval zero") << QStringLiteral("interval") << QStringLiteral("0s");
        QTest::newRow("k zero") << QStringLiteral("k") << QStringLiteral("0");
        QTest::newRow("k too large") << QStringLiteral("k") << QStringLiteral("5000");
        QTest::newRow("min_samples zero") << QStringLiteral("min_samples") << QStringLiteral("0");
        QTest::newRow("p-value 1.5") << QStringLiteral("p_value") << QStringLiteral("1.5");
        QTest::newRow("distance zero") << QStringLiteral("distance") << QStringLiteral("0");
        QTest::newRow("dataset share 2") << QStringLiteral("dataset_share") << QStringLiteral("2");
        QTest::newRow("pca_variance 1") << QStringLiteral("pca_variance") << QStringLiteral("1");
        QTest::newRow("threshold not a number") << QStringLiteral("threshold_rain_mm") << QStringLiteral("high");
        QTest::newRow("threshold negative") << QStringLiteral("threshold_rain_mm") << QStringLiteral("-1");
    }

    void eachInvalidFieldIsRefusedAndNothingWritten()
    {
        QFETCH(QString, field);
        QFETCH(QString, input);
        auto editor = openEditor(m_scientist->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        const QJsonObject before = stored();
        const int audits = auditRows();
        const bool perFeature = field.startsWith(QLatin1String("threshold_"));
        QWidget *widget = perFeature ? editor->findChild<QLineEdit *>(field) : editor->fieldWidget(field);
        QVERIFY(widget);
        typeInto(widget, input);
        const QString key = perFeature ? QStringLiteral("features") : field;
        QTRY_VERIFY(!editor->fieldMessage(key).isEmpty());
        QVERIFY(!editor->isValid());
        QVERIFY(!editor->saveButton()->isEnabled());
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton); // disabled: does nothing
        QTest::qWait(0);
        QCOMPARE(stored(), before);
        QCOMPARE(auditRows(), audits);
    }

    // The PCA fields apply only while the multivariate line is on.
    void pcaFieldsFollowTheMultivariateBox()
    {
        auto editor = openEditor(m_scientist->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        auto *box = qobject_cast<QCheckBox *>(editor->fieldWidget(QStringLiteral("multivariate")));
        QVERIFY(box && box->isChecked());
        QWidget *variance = editor->fieldWidget(QStringLiteral("pca_variance"));
        QWidget *chunk = editor->fieldWidget(QStringLiteral("pca_chunk_rows"));
        QTRY_VERIFY(variance->isVisible() && chunk->isVisible());
        box->click();
        QTRY_VERIFY(!variance->isVisible() && !chunk->isVisible());
        box->click();
        QTRY_VERIFY(variance->isVisible() && chunk->isVisible());
        box->click();
        QTRY_VERIFY(!variance->isVisible());
        QTest::mouseClick(editor->revertButton(), Qt::LeftButton); // sets the box back without a signal
        QTRY_VERIFY(box->isChecked() && variance->isVisible() && chunk->isVisible());
    }

    void aSnapshotReferenceNeedsASnapshot()
    {
        auto editor = openEditor(m_scientist->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        auto *kind = editor->findChild<QComboBox *>(QStringLiteral("referenceKind"));
        QVERIFY(kind);
        kind->setCurrentIndex(2); // a stored snapshot: the deployment has none
        Q_EMIT kind->activated(2);
        QTRY_VERIFY(!editor->fieldMessage(QStringLiteral("reference")).isEmpty());
        QVERIFY(!editor->saveButton()->isEnabled());
    }

    void revertRestoresTheLoadedValues()
    {
        auto editor = openEditor(m_scientist->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        const qlonglong k = editor->value(QStringLiteral("k")).toLongLong();
        typeInto(editor->fieldWidget(QStringLiteral("k")), QStringLiteral("9"));
        editor->findChild<QSpinBox *>(QStringLiteral("referenceRows"))->setValue(9000);
        QTRY_VERIFY(editor->isDirty());
        QTest::mouseClick(editor->revertButton(), Qt::LeftButton);
        QVERIFY(!editor->isDirty());
        QCOMPARE(editor->value(QStringLiteral("k")).toLongLong(), k);
        QCOMPARE(editor->value(QStringLiteral("reference")).toString(), QStringLiteral("first_rows:2000"));
    }

    void viewerSeesItReadOnlyWithTheReason()
    {
        auto editor = openEditor(m_viewer->endpoint(m_db->endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isReadOnly() && !editor->readOnlyReason().isEmpty(), kWaitMs);
        QVERIFY2(editor->readOnlyReason().contains(QStringLiteral("mldeck_scientist")),
                 qPrintable(editor->readOnlyReason()));
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded(), kWaitMs);
        QVERIFY(!editor->saveButton()->isEnabled());
        saveScreenshot(editor.get(), QStringLiteral("drift-settings-viewer"));
    }
};

QTEST_MAIN(TestGuiDriftSettings)
#include "test_gui_drift_settings.moc"
