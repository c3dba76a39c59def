// The drift page of an image deployment: its rows are image statistics (labelled as such) measured from a
// sample of the logged images, and the page says what they were computed from and lists the unreadable
// images: offscreen, against real PostgreSQL and a folder image store.
#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/ImageDrift.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/drift/DriftReferenceBar.h"
#include "ui/pages/drift/DriftTableModel.h"
#include "ui/settings/DriftFeatureTable.h"
#include "ui/settings/DriftSettingsEditor.h"

#include <QCheckBox>
#include <QDir>
#include <QHeaderView>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

class TestGuiImageDrift final : public QObject
{
    Q_OBJECT

private:
    static constexpr int kImages = 150;
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_store;
    QString m_dep;

    // n flat grey 16×16 PNGs of `grey` ± (i % 21 - 10) under the store, as keys folder/i.png.
    QStringList writeImages(const QString &folder, int n, int grey)
    {
        QDir(m_store.path()).mkpath(folder);
        QStringList keys;
        for (int i = 0; i < n; ++i) {
            QImage image(16, 16, QImage::Format_Grayscale8);
            image.fill(QColor(grey + i % 21 - 10, grey + i % 21 - 10, grey + i % 21 - 10));
            keys << QStringLiteral("%1/%2.png").arg(folder).arg(i);
            if (!image.save(m_store.filePath(keys.last()), "PNG"))
                qFatal("cannot write an image");
        }
        return keys;
    }

    Status log(const QDateTime &from, const QStringList &keys)
    {
        QStringList values;
        for (int i = 0; i < keys.size(); ++i)
            values << QStringLiteral("('%1'::timestamptz + %2 * interval '100 milliseconds', 0.9, 0, "
                                     "ARRAY[0.9, 0.1]::real[], 'ml', '%3', '%4-%2', 1, '%5')")
                          .arg(from.toString(Qt::ISODateWithMs))
                          .arg(i)
                          .arg(m_dep, keys.at(i).section(QLatin1Char('/'), 0, 0), keys.at(i));
        return test::exec(*m_conn, QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, predicted_class, "
                                                  "probabilities, path, deployment, request_key, feature_schema, "
                                                  "image_key) VALUES %1")
                                       .arg(values.join(QLatin1Char(','))));
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_store.isValid());
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiimgdrift"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guiimg"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, FeatureSchema{}).ok());
        // Reference an hour ago, bright; the current 2-minute window darker, with one key naming no file.
        const QDateTime now = QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch(), Qt::UTC);
        const QDateTime refFrom = now.addSecs(-3600);
        QVERIFY(log(refFrom, writeImages(QStringLiteral("bright"), kImages, 160)).ok());
        QVERIFY(log(now.addSecs(-100), writeImages(QStringLiteral("dark"), kImages, 60)
                                           << QStringLiteral("dark/missing.png"))
                    .ok());
        const QJsonObject settings{
            {QStringLiteral("images"),
             QJsonObject{{QStringLiteral("store"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("folder")},
                                                               {QStringLiteral("root"), m_store.path()}}}}},
            {QStringLiteral("drift"),
             QJsonObject{{QStringLiteral("window"), QStringLiteral("2m")},
                         {QStringLiteral("image_sample"), 1000},
                         {QStringLiteral("reference"),
                          QStringLiteral("period:%1/%2")
                              .arg(refFrom.toString(Qt::ISODate), refFrom.addSecs(600).toString(Qt::ISODate))}}}};
        QVERIFY(test::exec(*m_conn,
                           QStringLiteral("UPDATE mldeck.deployments SET task = 'classification', classes = "
                                          "ARRAY['a', 'b'], settings = settings || '%2'::jsonb WHERE name = '%1'")
                               .arg(m_dep, QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Compact))))
                    .ok());
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void imageStatisticsOnTheDriftPage()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1280, 900);
        page.show();
        const ui::DriftTableModel &model = page.driftModel();
        QTRY_VERIFY_WITH_TIMEOUT(model.rowCount() >= 4, 15000);
        int brightness = -1;
        for (int row = 0; row < model.rowCount(); ++row)
            if (model.nameAt(row) == kDriftImageBrightness)
                brightness = row;
        QVERIFY(brightness >= 0);
        QCOMPARE(model.index(brightness, ui::DriftTableModel::Feature).data().toString(),
                 QStringLiteral("image brightness"));
        QCOMPARE(model.index(brightness, ui::DriftTableModel::Status).data().toString(), QStringLiteral("Drift"));
        QVERIFY(model.index(brightness, ui::DriftTableModel::Feature)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("image statistic computed by MLDeck")));
        // What the statistics were computed from, and the image that could not be read.
        const QString images = page.referenceBar()->imagesText();
        QVERIFY2(images.contains(QStringLiteral("computed from 150 of 151 sampled image")) &&
                     images.contains(QStringLiteral(" of 151 (1 unreadable)")),
                 qPrintable(images));
        const QLabel *label = page.referenceBar()->findChild<QLabel *>(QStringLiteral("driftImages"));
        QVERIFY(label && label->toolTip().contains(QStringLiteral("dark/missing.png")));
    }

    // The drift settings editor shows the image sample only for an image deployment, and saves it.
    void imageSampleInTheSettingsEditor()
    {
        ui::DriftSettingsEditor editor;
        editor.resize(820, 900);
        editor.show();
        editor.setEndpoint(m_db->endpoint());
        editor.setDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(editor.isLoaded() && !editor.isReadOnly(), 15000);
        QWidget *sample = editor.fieldWidget(QStringLiteral("image_sample"));
        QVERIFY(sample && sample->isVisible());
        QCOMPARE(editor.value(QStringLiteral("image_sample")).toLongLong(), 1000);
        typeInto(sample, QStringLiteral("500"));
        // The per-feature table lists the four image statistics: one can be ignored.
        auto *width = editor.findChild<QCheckBox *>(QStringLiteral("watch___image_width__"));
        QVERIFY(width && width->isChecked());
        QCOMPARE(width->text(), QStringLiteral("image width"));
        auto *brightness = editor.findChild<QCheckBox *>(QStringLiteral("watch___image_brightness__"));
        QVERIFY(brightness);
        // The feature column is wide enough for the longest name, not cut ("image brightr"), also in a narrow window.
        editor.resize(480, 900);
        auto *features = editor.findChild<ui::DriftFeatureTable *>();
        QVERIFY(features);
        const int others = features->horizontalHeader()->sectionSize(ui::DriftFeatureTable::Test) +
                           features->horizontalHeader()->sectionSize(ui::DriftFeatureTable::Threshold);
        QVERIFY2(features->minimumWidth() >= brightness->sizeHint().width() + others,
                 qPrintable(QStringLiteral("%1 < %2 + %3")
                                .arg(features->minimumWidth())
                                .arg(brightness->sizeHint().width())
                                .arg(others)));
        const auto column = [features] { return features->columnWidth(ui::DriftFeatureTable::Feature); };
        QTRY_VERIFY2(column() >= brightness->sizeHint().width(),
                     qPrintable(QStringLiteral("%1 < %2").arg(column()).arg(brightness->sizeHint().width())));
        editor.resize(820, 900);
        width->click();
        QTRY_VERIFY(editor.isDirty() && editor.isValid());
        QSignalSpy saved(&editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor.saveButton(), Qt::LeftButton);
        QVERIFY2(saved.wait(15000), qPrintable(editor.status()));
        QCOMPARE(test::queryValue(*m_conn,
                                  QStringLiteral("SELECT settings -> 'drift' ->> 'image_sample' FROM "
                                                 "mldeck.deployments WHERE name = $1"),
                                  {m_dep}),
                 QStringLiteral("500"));
        QCOMPARE(test::queryValue(*m_conn,
                                  QStringLiteral("SELECT settings -> 'drift' ->> 'ignore' FROM mldeck.deployments "
                                                 "WHERE name = $1"),
                                  {m_dep}),
                 QStringLiteral("[\"__image_width__\"]"));
        typeInto(sample, QStringLiteral("50")); // below 100: refused, named
        QTRY_VERIFY(!editor.isValid());
        QVERIFY(!editor.saveButton()->isEnabled());

        // A tabular deployment's editor does not show it.
        const QString tabular = uniqueName(QStringLiteral("guitab"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(tabular, {}, schema).ok());
        ui::DriftSettingsEditor other;
        other.show();
        other.setEndpoint(m_db->endpoint());
        other.setDeployment(tabular);
        QTRY_VERIFY_WITH_TIMEOUT(other.isLoaded(), 15000);
        QVERIFY(!other.fieldWidget(QStringLiteral("image_sample"))->isVisible());
    }
};

QTEST_MAIN(TestGuiImageDrift)
#include "test_gui_image_drift.moc"
