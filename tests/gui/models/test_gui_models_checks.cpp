// The Models page and the promotion test suite, offscreen, against real servers and the demo models:
// "Golden data…" registers a golden CSV (picker answered by the test) and the page shows it; clicking
// "Promote to champion" on a candidate worse than the champion on one segment is refused by the model
// checks, the info bar names the failing check, the champion badge stays, and the version's Checks column
// and details show the failure with its figures.
#include "core/config/Settings.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/ModelCheckOperations.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/ModelsPage.h"
#include "ui/pages/models/ModelVersionTableModel.h"
#include "ui/pages/models/RegistryView.h"
#include "ui/widgets/InfoBar.h"

#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
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

QStringList fixtureLines()
{
    QFile f(modelFile(QStringLiteral("fixtures/eta_fixture.csv")));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts)
                                       : QStringList();
}

std::vector<double> predict(const QString &model)
{
    const auto golden = checks::parseGolden(fixtureLines().join(QLatin1Char('\n')).toUtf8(), QStringLiteral("f"),
                                            RideDelayGenerator::schema(), QStringLiteral("delay_min"), {}, false, {});
    auto runner = ModelRunner::load(modelFile(model));
    if (!golden || !runner)
        return {};
    const auto p = (*runner)->predict(golden->rows);
    return p ? *p : std::vector<double>();
}

} // namespace

class TestGuiModelsChecks : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_dep;
    QString m_golden;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guichk"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_models_checks"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guichk"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, QString(), RideDelayGenerator::schema()).ok());
        const Actor actor{QStringLiteral("setup@h"), QStringLiteral("setup"), QStringLiteral("h")};
        for (const QString &file : {QStringLiteral("eta_mlp.pt"), QStringLiteral("eta_lstm.pt")}) {
            models::RegisterRequest req;
            req.file = modelFile(file);
            req.deployment = m_dep;
            req.storeDirectory = m_dir.filePath(QStringLiteral("store"));
            const auto r = models::registerModel(*m_conn, req, actor);
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        }
        QVERIFY(
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("1"), QStringLiteral("champion"), {}, actor)
                .ok());
        // Segment "x" (8 rows): the outcome is the champion's prediction, so the candidate (eta_lstm) is worse
        // there; "y": the candidate's.
        const std::vector<double> champion = predict(QStringLiteral("eta_mlp.pt"));
        const std::vector<double> candidate = predict(QStringLiteral("eta_lstm.pt"));
        QCOMPARE(champion.size(), size_t(40));
        QCOMPARE(candidate.size(), size_t(40));
        const QStringList lines = fixtureLines();
        QString csv = lines.first() + QStringLiteral(",outcome,segment\n");
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const bool x = i <= 8;
            csv += lines[i] + QStringLiteral(",%1,%2\n")
                                  .arg(x ? champion[size_t(i - 1)] : candidate[size_t(i - 1)], 0, 'g', 17)
                                  .arg(x ? QStringLiteral("x") : QStringLiteral("y"));
        }
        m_golden = m_dir.filePath(QStringLiteral("golden.csv"));
        QFile f(m_golden);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(csv.toUtf8());
        f.close();
        QVERIFY(test::exec(*m_conn, QStringLiteral("INSERT INTO mldeck.model_check_settings (deployment, settings) "
                                                   "VALUES ('%1', '{\"non_regression\": {\"min_segment_rows\": 5}}')")
                                        .arg(m_dep))
                    .ok());
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void promotionRefusedWithItsFailingCheckShown()
    {
        Settings settings(m_dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::ModelsPage page(session);
        page.resize(1200, 800);
        page.show();
        ui::RegistryView *view = page.registryView();
        view->setConfirm([](const QString &, const QString &) { return true; });
        view->setGoldenPicker([this] {
            return std::optional<ui::GoldenChoice>(
                ui::GoldenChoice{m_golden, QStringLiteral("outcome"), QStringLiteral("segment")});
        });
        QSignalSpy shown(view, &ui::RegistryView::modelsShown);
        QSignalSpy done(view, &ui::RegistryView::actionCompleted);
        session.start();
        view->selectDeployment(m_dep);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toString() == m_dep, 15000);

        auto *goldenLabel = view->findChild<QLabel *>(QStringLiteral("goldenLabel"));
        auto *goldenButton = view->findChild<QPushButton *>(QStringLiteral("goldenButton"));
        auto *table = view->findChild<QTableView *>(QStringLiteral("modelsTable"));
        auto *promote = view->findChild<QPushButton *>(QStringLiteral("promoteButton"));
        auto *details = view->findChild<QTextBrowser *>(QStringLiteral("modelDetails"));
        auto *info = view->findChild<ui::InfoBar *>(QStringLiteral("registryInfoBar"));
        QVERIFY(goldenLabel && goldenButton && table && promote && details && info);
        QVERIFY2(goldenLabel->text().contains(QStringLiteral("no promotion checks configured")),
                 qPrintable(goldenLabel->text()));

        // Golden data… registers the CSV; the page shows it.
        QTRY_VERIFY(goldenButton->isEnabled());
        QTest::mouseClick(goldenButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
        QTRY_VERIFY2_WITH_TIMEOUT(goldenLabel->text().contains(QStringLiteral("golden.csv, 40 row")),
                                  qPrintable(goldenLabel->text()), 15000);
        QVERIFY(goldenLabel->text().contains(QStringLiteral("segments by segment")));

        // Select version 2 by clicking its row, then Promote.
        auto *model = qobject_cast<ui::ModelVersionTableModel *>(table->model());
        QVERIFY(model);
        QTRY_VERIFY(model->rowOfVersion(QStringLiteral("2")) >= 0);
        const int row = model->rowOfVersion(QStringLiteral("2"));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(model->index(row, ui::ModelVersionTableModel::NameColumn)).center());
        QTRY_VERIFY(details->toPlainText().contains(QStringLiteral("eta_lstm")));
        QTRY_VERIFY(promote->isEnabled());
        const int shownBefore = int(shown.size());
        QTest::mouseClick(promote, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 2, 60000);
        QVERIFY(!done.last().at(0).toBool());
        QVERIFY2(info->text().contains(QStringLiteral("fails the model checks")) &&
                     info->text().contains(QStringLiteral("non-regression (segment x)")),
                 qPrintable(info->text()));

        // Nothing changed, and the version's stored checks say why.
        QTRY_VERIFY_WITH_TIMEOUT(shown.size() > shownBefore, 15000);
        QCOMPARE(model->at(model->rowOfVersion(QStringLiteral("1")))->aliases, QStringList{QStringLiteral("champion")});
        const int row2 = model->rowOfVersion(QStringLiteral("2"));
        QCOMPARE(model->index(row2, ui::ModelVersionTableModel::ChecksColumn).data().toString(),
                 QStringLiteral("failed: non-regression (segment x)"));
        QTRY_VERIFY(details->toPlainText().contains(QStringLiteral("Model checks")));
        QVERIFY2(details->toPlainText().contains(QStringLiteral("non-regression (segment x)")) &&
                     details->toPlainText().contains(QStringLiteral("the candidate's MAE is")),
                 qPrintable(details->toPlainText()));

        // The champion checked against itself compares nothing: its column never says a bare "passed".
        const auto self = models::runModelChecks(*m_conn, m_dep, QStringLiteral("1"), QStringLiteral("manual"));
        QVERIFY2(self.ok() && self->passed(), qPrintable(self.errorMessage()));
        const int shownBeforeRefresh = int(shown.size());
        view->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(shown.size() > shownBeforeRefresh, 15000);
        const QModelIndex champion =
            model->index(model->rowOfVersion(QStringLiteral("1")), ui::ModelVersionTableModel::ChecksColumn);
        QCOMPARE(champion.data().toString(), QStringLiteral("passed, 3 without data"));
        QVERIFY(champion.data(Qt::ToolTipRole).toString().contains(QStringLiteral("without data")));

        // Remove golden data: the deployment has no checks any more, and the button goes grey.
        auto *remove = view->findChild<QPushButton *>(QStringLiteral("goldenRemoveButton"));
        QVERIFY(remove);
        QTRY_VERIFY(remove->isEnabled());
        QTest::mouseClick(remove, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 3, 15000);
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        QTRY_VERIFY2_WITH_TIMEOUT(goldenLabel->text().contains(QStringLiteral("no promotion checks configured")),
                                  qPrintable(goldenLabel->text()), 15000);
        QTRY_VERIFY(!remove->isEnabled());
        QCOMPARE(test::queryValue(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.golden_datasets")),
                 QStringLiteral("0"));
    }
};

QTEST_MAIN(TestGuiModelsChecks)
#include "test_gui_models_checks.moc"
