// The compare tab on image classifiers, clicked like a user: two CNNs (made by python3-torch in the test)
// on a labelled folder, the misclassified images as a grid of thumbnails with their classes and scores,
// sortable by confidence, the unreadable images listed with their reasons; and a grid of 10,000
// misclassified images that reads only the thumbnails on screen.
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "tests/support/TestChecks.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/models/CompareView.h"
#include "ui/pages/models/compare/MisclassifiedImages.h"

#include <QComboBox>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QProcess>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;

class TestGuiImageCompare final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QJsonObject m_expected;
    std::unique_ptr<Settings> m_settings;
    std::unique_ptr<SecretStore> m_secrets;
    std::unique_ptr<ConnectionMonitor> m_monitor;
    std::unique_ptr<ui::ConnectionSession> m_session;

    static std::vector<double> confidences(const QAbstractItemModel &model)
    {
        std::vector<double> out;
        for (int i = 0; i < model.rowCount(); ++i)
            out.push_back(model.index(i, 0).data(ui::MisclassifiedModel::ConfidenceRole).toDouble());
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        QProcess python;
        python.start(
            QStringLiteral("/usr/bin/python3"),
            {QStringLiteral(MLDECK_SOURCE_DIR "/tests/integration/evaluation/make_image_fixture.py"), m_dir.path()});
        QVERIFY2(python.waitForFinished(120000), "python3 did not finish");
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        QFile f(m_dir.filePath(QStringLiteral("expected.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        m_expected = QJsonDocument::fromJson(f.readAll()).object();
        m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("mldeck.ini")));
        m_secrets = std::make_unique<SecretStore>();
        m_monitor = std::make_unique<ConnectionMonitor>();
        m_session = std::make_unique<ui::ConnectionSession>(*m_settings, *m_secrets, *m_monitor);
    }

    void misclassifiedGridOnAFolder()
    {
        ui::CompareView view(*m_session);
        view.resize(1200, 800);
        view.show();
        view.findChild<QLineEdit *>(QStringLiteral("compareModel0"))->setText(m_dir.filePath(QStringLiteral("cnn.pt")));
        view.findChild<QLineEdit *>(QStringLiteral("compareModel1"))
            ->setText(m_dir.filePath(QStringLiteral("weak.pt")));
        QTest::mouseClick(view.findChild<QRadioButton *>(QStringLiteral("compareUseImages")), Qt::LeftButton);
        QTest::keyClicks(view.findChild<QLineEdit *>(QStringLiteral("compareImages")), m_dir.filePath(u"images"_qs));
        QSignalSpy done(&view, &ui::CompareView::comparisonFinished);
        QTest::mouseClick(view.findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
        QCOMPARE(done.at(0).at(0).toString(), QStringLiteral("done"));
        const qint64 rows = view.report().rows;

        auto *grid = view.findChild<QListView *>(QStringLiteral("misclassifiedGrid"));
        auto *tabs = view.findChild<QTabWidget *>();
        auto *page = view.findChild<ui::MisclassifiedImages *>();
        QVERIFY(tabs->isTabVisible(tabs->indexOf(page)));
        tabs->setCurrentWidget(page);
        const auto wrongOf = [&](const char *model) {
            return qRound(double(rows) *
                          (1 - m_expected[u"models"_qs][QLatin1String(model)][u"accuracy"_qs].toDouble()));
        };
        QCOMPARE(grid->model()->rowCount(), wrongOf("cnn"));
        auto *which = view.findChild<QComboBox *>(QStringLiteral("misclassifiedModel"));
        QCOMPARE(which->count(), 2);
        which->setCurrentIndex(1);
        QCOMPARE(grid->model()->rowCount(), wrongOf("weak"));
        QVERIFY(grid->model()->rowCount() > 2);
        const QModelIndex first = grid->model()->index(0, 0);
        const QString text = first.data().toString();
        QVERIFY2(text.contains(u"true:"_qs) && text.contains(u"predicted:"_qs), qPrintable(text));
        QVERIFY(first.data(Qt::ToolTipRole).toString().endsWith(u".png"_qs) ||
                first.data(Qt::ToolTipRole).toString().endsWith(u".jpg"_qs));

        std::vector<double> c = confidences(*grid->model());
        QVERIFY(std::is_sorted(c.rbegin(), c.rend())); // most confident first
        view.findChild<QComboBox *>(QStringLiteral("misclassifiedOrder"))->setCurrentIndex(1);
        c = confidences(*grid->model());
        QVERIFY(std::is_sorted(c.begin(), c.end()));

        // The thumbnail arrives from the worker thread and is then in the cell.
        QTRY_VERIFY_WITH_TIMEOUT(!grid->model()->index(0, 0).data(Qt::DecorationRole).value<QImage>().isNull(), 10000);
        const QImage thumbnail = grid->model()->index(0, 0).data(Qt::DecorationRole).value<QImage>();
        QVERIFY(thumbnail.width() == ui::MisclassifiedModel::kThumbnailSize ||
                thumbnail.height() == ui::MisclassifiedModel::kThumbnailSize);

        auto *skipped = view.findChild<QTableWidget *>(QStringLiteral("misclassifiedSkipped"));
        QCOMPARE(skipped->rowCount(), 2);
        QVERIFY(skipped->isVisible());
        QCOMPARE(skipped->item(0, 0)->text(), QStringLiteral("column/notes.png"));
        QVERIFY(!skipped->item(0, 1)->text().isEmpty());
    }

    // 10,000 wrong rows: the grid lays out and reads only what is on screen.
    void tenThousandMisclassifiedStayLight()
    {
        stats::ComparisonReport r;
        r.task = QStringLiteral("classification");
        r.classSpec.classes = {QStringLiteral("bar"), QStringLiteral("column"), QStringLiteral("slash")};
        r.classSpecs = {r.classSpec};
        r.models.resize(1);
        r.models[0].label = QStringLiteral("cnn");
        r.images = stats::ImageRows{};
        ImageStoreConfig store;
        store.root = m_dir.filePath(QStringLiteral("images"));
        r.images->store = store.toJson();
        r.probabilities.resize(1);
        for (int i = 0; i < 10000; ++i) {
            r.actual.push_back(0);
            r.probabilities[0].insert(r.probabilities[0].end(), {0.1, 0.2 + i * 1e-5, 0.7 - i * 1e-5});
            r.images->keys << (i % 2 ? QStringLiteral("bar/%1.png").arg(i) : QStringLiteral("bar/00.png"));
        }
        r.rows = 10000;
        ui::MisclassifiedImages page;
        page.resize(900, 600);
        auto &model = page.model();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        page.show();
        page.setReport(r);
        QCOMPARE(model.rowCount(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(model.thumbnailsRead() > 0 && model.thumbnailsPending() == 0, 10000);
        qInfo("thumbnails read for 10,000 misclassified rows: %d", model.thumbnailsRead());
        QVERIFY2(model.thumbnailsRead() < 200, qPrintable(QString::number(model.thumbnailsRead())));
        const QString summary = page.findChild<QLabel *>(QStringLiteral("misclassifiedSummary"))->text();
        QVERIFY2(summary.startsWith(QStringLiteral("10000 of 10000 image")) &&
                     summary.endsWith(QStringLiteral(" misclassified; 0 skipped.")),
                 qPrintable(summary));
        // Rows 0 and 2 show the same image (bar/00.png): one read, and both cells are told.
        QSet<int> told;
        for (const QList<QVariant> &signal : changed)
            told << signal.at(0).toModelIndex().row();
        QVERIFY(told.contains(0) && told.contains(2));
        QVERIFY(!model.index(2).data(Qt::DecorationRole).value<QImage>().isNull());
        // The cells keep the room of a thumbnail and its two caption lines, whether the thumbnail came first or not.
        auto *grid = page.findChild<QListView *>(QStringLiteral("misclassifiedGrid"));
        QVERIFY(grid->visualRect(model.index(2)).height() > ui::MisclassifiedModel::kThumbnailSize + 30);
        // The score shows four decimals, so that close scores differ; nothing was skipped, so no table.
        const QString caption = model.index(0).data().toString();
        QVERIFY2(caption.endsWith(QLocale().toString(
                                      model.index(0).data(ui::MisclassifiedModel::ConfidenceRole).toDouble(), 'f', 4) +
                                  u')'),
                 qPrintable(caption));
        QVERIFY(page.findChild<QTableWidget *>(QStringLiteral("misclassifiedSkipped"))->isHidden());
        // Row 1's file does not exist: a warning icon, and the reason in the tooltip.
        QTRY_COMPARE(model.index(1).data(Qt::DecorationRole).metaType().id(), int(QMetaType::QIcon));
        QVERIFY2(model.index(1).data(Qt::ToolTipRole).toString().contains(QStringLiteral("cannot be read")),
                 qPrintable(model.index(1).data(Qt::ToolTipRole).toString()));
    }
};

QTEST_MAIN(TestGuiImageCompare)
#include "test_gui_image_compare.moc"
