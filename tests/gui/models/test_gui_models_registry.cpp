// The Registry tab of the Models page, offscreen, against real servers: it lists the registered versions
// with their aliases, and clicking "Promote to champion" (confirmation answered by the test) moves the
// champion badge, writes the audit row and publishes the champion in Redis. A declined confirmation
// changes nothing; the champion cannot be archived from the page.
#include "core/config/Settings.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/demo/RideOfferGenerator.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/ModelsPage.h"
#include "ui/pages/models/ModelVersionTableModel.h"
#include "ui/pages/models/RegistryView.h"

#include <QAbstractItemModelTester>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString modelFile(const QString &name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + name;
}

} // namespace

class TestGuiModelsRegistry : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_dep;

    int count(const QString &sql, const QStringList &params)
    {
        const auto r = test::query(*m_conn, sql, params);
        return r && !r->isEmpty() ? r->first().first().toInt() : -1;
    }

    static int rowOf(QTableView *table, const QString &version)
    {
        auto *model = qobject_cast<ui::ModelVersionTableModel *>(table->model());
        return model ? model->rowOfVersion(version) : -1;
    }

    static QStringList aliasesOf(QTableView *table, const QString &version)
    {
        auto *model = qobject_cast<ui::ModelVersionTableModel *>(table->model());
        const int row = rowOf(table, version);
        return row >= 0 ? model->at(row)->aliases : QStringList{QStringLiteral("<absent>")};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guireg"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_models_registry"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("gui"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, QString(), RideDelayGenerator::schema()).ok());
        for (const QString &file : {QStringLiteral("eta_mlp.pt"), QStringLiteral("eta_lstm.pt")}) {
            models::RegisterRequest req;
            req.file = modelFile(file);
            req.deployment = m_dep;
            req.storeDirectory = m_dir.filePath(QStringLiteral("store"));
            const auto r = models::registerModel(
                *m_conn, req, Actor{QStringLiteral("setup@h"), QStringLiteral("setup"), QStringLiteral("h")});
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        }
        // The page connects to what the environment names, like the local stack.
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void listsVersionsAndPromotes()
    {
        Settings settings(m_dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::ModelsPage page(session);
        page.resize(1100, 700);
        page.show();
        auto *tabs = page.findChild<QTabWidget *>(QStringLiteral("modelsTabs"));
        QVERIFY(tabs);
        QCOMPARE(tabs->count(), 2);
        QCOMPARE(tabs->tabText(0), QStringLiteral("Registry"));
        QCOMPARE(tabs->tabText(1), QStringLiteral("Compare"));

        ui::RegistryView *view = page.registryView();
        QStringList asked;
        bool answer = false;
        view->setConfirm([&](const QString &title, const QString &) {
            asked << title;
            return answer;
        });
        QSignalSpy shown(view, &ui::RegistryView::modelsShown);
        QSignalSpy done(view, &ui::RegistryView::actionCompleted);
        session.start();
        view->selectDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toString() == m_dep, 15000);
        QCOMPARE(shown.last().at(1).toInt(), 2);

        auto *table = view->findChild<QTableView *>(QStringLiteral("modelsTable"));
        auto *promote = view->findChild<QPushButton *>(QStringLiteral("promoteButton"));
        auto *archive = view->findChild<QPushButton *>(QStringLiteral("archiveButton"));
        auto *details = view->findChild<QTextBrowser *>(QStringLiteral("modelDetails"));
        QVERIFY(table && promote && archive && details);
        QAbstractItemModelTester modelTester(table->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(table->model()->rowCount(), 2);
        QVERIFY(aliasesOf(table, QStringLiteral("1")).isEmpty());

        // Select version 1 by clicking its row.
        const int row = rowOf(table, QStringLiteral("1"));
        QVERIFY(row >= 0);
        const QRect cell = table->visualRect(table->model()->index(row, ui::ModelVersionTableModel::NameColumn));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTRY_VERIFY(details->toPlainText().contains(QStringLiteral("eta_mlp")));
        QVERIFY(details->toPlainText().contains(QStringLiteral("distance_km")));
        QVERIFY(promote->isEnabled());

        // Declined: nothing happens.
        answer = false;
        QTest::mouseClick(promote, Qt::LeftButton);
        QCOMPARE(asked.size(), 1);
        QVERIFY(!test::happensWithin([&] { return !done.isEmpty(); }, 200));
        QCOMPARE(count(QStringLiteral(
                           "SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = 'model.promote'"),
                       {m_dep}),
                 0);

        // Accepted: the badge moves, the audit row is written, Redis has the champion.
        answer = true;
        const int shownBefore = int(shown.size());
        QTest::mouseClick(promote, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(shown.size() > shownBefore, 15000);
        QCOMPARE(aliasesOf(table, QStringLiteral("1")), QStringList{QStringLiteral("champion")});
        QVERIFY(aliasesOf(table, QStringLiteral("2")).isEmpty());
        QCOMPARE(count(QStringLiteral(
                           "SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = 'model.promote' "
                           "AND after->>'version' = '1' AND after->>'alias' = 'champion'"),
                       {m_dep}),
                 1);
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY(redis.ok());
        const auto v = (*redis)->command({"HGET", models::championKey(m_dep), "version"});
        QVERIFY(v.ok());
        QCOMPARE(v->string, QByteArray("1"));
        QVERIFY((*redis)->command({"DEL", models::championKey(m_dep)}).ok());

        // The champion stays selected: it can be neither promoted again nor archived.
        QTRY_VERIFY(!promote->isEnabled());
        QVERIFY(!archive->isEnabled());
    }

    // A classifier deployment's versions show the holdout accuracy and log-loss of their metadata, recorded on
    // registration, where a regression deployment shows MAE and R².
    void listsAClassifierWithItsFigures()
    {
        NewDeployment d;
        d.name = uniqueName(QStringLiteral("guiaccept"));
        d.task = QStringLiteral("classification");
        d.schema = RideOfferGenerator::schema();
        d.classSpec = RideOfferGenerator::classSpec();
        const Actor actor{QStringLiteral("setup@h"), QStringLiteral("setup"), QStringLiteral("h")};
        QVERIFY(DeploymentStore(*m_conn).create(d, actor).ok());
        models::RegisterRequest req;
        req.file = modelFile(QStringLiteral("accept_mlp.pt"));
        req.deployment = d.name;
        req.storeDirectory = m_dir.filePath(QStringLiteral("store"));
        const auto registered = models::registerModel(*m_conn, req, actor);
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));

        Settings settings(m_dir.filePath(QStringLiteral("mldeck-classifier.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::ModelsPage page(session);
        page.resize(1100, 700);
        page.show();
        ui::RegistryView *view = page.registryView();
        QSignalSpy shown(view, &ui::RegistryView::modelsShown);
        session.start();
        view->selectDeployment(d.name);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toString() == d.name, 15000);
        const QAbstractItemModel *model = view->findChild<QTableView *>(QStringLiteral("modelsTable"))->model();
        QCOMPARE(model->headerData(ui::ModelVersionTableModel::MaeColumn, Qt::Horizontal).toString(), u"Accuracy"_qs);
        QCOMPARE(model->headerData(ui::ModelVersionTableModel::R2Column, Qt::Horizontal).toString(), u"Log-loss"_qs);
        // make_demo_classifier.py's holdout: accuracy 0.7316, log-loss 0.5377.
        QCOMPARE(model->index(0, ui::ModelVersionTableModel::MaeColumn).data().toString(), u"0.732"_qs);
        QCOMPARE(model->index(0, ui::ModelVersionTableModel::R2Column).data().toString(), u"0.538"_qs);
    }

    // Redis unreachable: the promotion is committed, the page says the publish failed and offers to retry.
    void redisDownPromotionStandsAndSaysSo()
    {
        qputenv("MLDECK_REDIS_URL", "redis://127.0.0.1:1");
        Settings settings(m_dir.filePath(QStringLiteral("mldeck2.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::ModelsPage page(session);
        page.resize(1100, 700);
        page.show();
        ui::RegistryView *view = page.registryView();
        view->setConfirm([](const QString &, const QString &) { return true; });
        QSignalSpy shown(view, &ui::RegistryView::modelsShown);
        QSignalSpy done(view, &ui::RegistryView::actionCompleted);
        session.start();
        view->selectDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toString() == m_dep, 15000);
        auto *table = view->findChild<QTableView *>(QStringLiteral("modelsTable"));
        table->selectRow(rowOf(table, QStringLiteral("2")));
        auto *promote = view->findChild<QPushButton *>(QStringLiteral("promoteButton"));
        QTRY_VERIFY(promote->isEnabled());
        QTest::mouseClick(promote, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QVERIFY(done.first().at(0).toBool()); // committed
        const QString message = done.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("publishing the champion in Redis failed")), qPrintable(message));
        auto *infoBar = view->findChild<QWidget *>(QStringLiteral("registryInfoBar"));
        QVERIFY(infoBar);
        auto *retry = infoBar->findChild<QPushButton *>(QStringLiteral("infoBarAction"));
        QVERIFY(retry);
        QTRY_VERIFY(retry->isVisible());
        QTRY_COMPARE(aliasesOf(table, QStringLiteral("2")), QStringList{QStringLiteral("champion")});
        QCOMPARE(count(QStringLiteral(
                           "SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = 'model.promote' "
                           "AND after->>'version' = '2'"),
                       {m_dep}),
                 1);
        // Retrying while Redis is still down fails again, readably; the champion stays.
        QTest::mouseClick(retry, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 2, 15000);
        QVERIFY(!done.last().at(0).toBool());
        QVERIFY2(done.last().at(1).toString().contains(QStringLiteral("Redis")),
                 qPrintable(done.last().at(1).toString()));
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
    }

    // Register… with the file dialog answered by the test: a bad file is refused readably and adds
    // nothing; a good one appears in the table.
    void registerFromThePage()
    {
        Settings settings(m_dir.filePath(QStringLiteral("mldeck3.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::ModelsPage page(session);
        page.show();
        ui::RegistryView *view = page.registryView();
        view->setStoreDirectory(m_dir.filePath(QStringLiteral("store")));
        view->setConfirm([](const QString &, const QString &) { return true; });
        QString picked;
        view->setFilePicker([&] { return picked; });
        QSignalSpy shown(view, &ui::RegistryView::modelsShown);
        QSignalSpy done(view, &ui::RegistryView::actionCompleted);
        session.start();
        view->selectDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toString() == m_dep, 15000);
        auto *table = view->findChild<QTableView *>(QStringLiteral("modelsTable"));
        const int before = table->model()->rowCount();
        auto *registerButton = view->findChild<QPushButton *>(QStringLiteral("registerButton"));
        QVERIFY(registerButton && registerButton->isEnabled());

        picked = modelFile(QStringLiteral("fixtures/not_torchscript.zip"));
        QTest::mouseClick(registerButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QVERIFY(!done.last().at(0).toBool());
        QVERIFY2(done.last().at(1).toString().contains(QStringLiteral("not a TorchScript model file")),
                 qPrintable(done.last().at(1).toString()));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1"), {m_dep}), before);

        picked = modelFile(QStringLiteral("fixtures/no_metadata.pt"));
        QTest::mouseClick(registerButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 2, 30000);
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), before + 1, 15000);
        QVERIFY(rowOf(table, QString::number(before + 1)) >= 0);
    }
};

QTEST_MAIN(TestGuiModelsRegistry)
#include "test_gui_models_registry.moc"
