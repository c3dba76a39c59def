#include "core/config/Settings.h"
#include "core/demo/DemoCsv.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/models/CompareView.h"
#include "ui/pages/models/compare/ReportCharts.h"

#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;

// The compare tab clicked like a user: two demo models on a generated CSV, Run, results, export, Cancel.
class TestGuiCompare final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Settings> m_settings;
    std::unique_ptr<SecretStore> m_secrets;
    std::unique_ptr<ConnectionMonitor> m_monitor;
    std::unique_ptr<ui::ConnectionSession> m_session;

    QString writeCsv(const QString &name, int rows)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write");
        RideDelayGenerator gen(5);
        QByteArray bytes = demoCsvHeader();
        for (int i = 0; i < rows; ++i)
            bytes += demoCsvLine(gen.next(1714521600LL * 1000000 + qint64(i) * 20'000'000));
        f.write(bytes);
        return path;
    }

    static QString model(const char *name)
    {
        return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(name);
    }

    std::unique_ptr<ui::CompareView> makeView(const QString &csv)
    {
        auto view = std::make_unique<ui::CompareView>(*m_session);
        view->resize(1200, 800);
        view->show();
        view->findChild<QLineEdit *>(QStringLiteral("compareModel0"))->setText(model("eta_mlp.pt"));
        QTest::keyClicks(view->findChild<QLineEdit *>(QStringLiteral("compareModel1")), model("eta_lstm.pt"));
        view->findChild<QLineEdit *>(QStringLiteral("compareCsv"))->setText(csv);
        return view;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("mldeck.ini")));
        m_secrets = std::make_unique<SecretStore>();
        m_monitor = std::make_unique<ConnectionMonitor>();
        m_session = std::make_unique<ui::ConnectionSession>(*m_settings, *m_secrets, *m_monitor);
    }

    void runShowsVerdictTablesAndExports()
    {
        auto view = makeView(writeCsv(QStringLiteral("small.csv"), 1500));
        QSignalSpy done(view.get(), &ui::CompareView::comparisonFinished);
        auto *run = view->findChild<QPushButton *>(QStringLiteral("compareRun"));
        QTest::mouseClick(run, Qt::LeftButton);
        QVERIFY(!run->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
        QCOMPARE(done.at(0).at(0).toString(), QStringLiteral("done"));
        const QString verdict = view->findChild<QLabel *>(QStringLiteral("compareVerdict"))->text();
        QVERIFY2(verdict.contains(QStringLiteral("eta_lstm")) && verdict.contains(QStringLiteral("MAE")), qPrintable(verdict));
        auto *metrics = view->findChild<QTableWidget *>(QStringLiteral("compareMetricsTable"));
        QCOMPARE(metrics->rowCount(), 2);
        QCOMPARE(metrics->item(0, 0)->text(), QStringLiteral("eta_mlp.pt"));
        QCOMPARE(view->findChild<QTableWidget *>(QStringLiteral("compareDeltaTable"))->rowCount(), 2);
        QVERIFY(view->findChild<QTableWidget *>(QStringLiteral("compareSegmentTable"))->rowCount() > 10);
        QCOMPARE(view->findChild<QProgressBar *>(QStringLiteral("compareProgress"))->value(), 100);
        const int points = view->findChild<ui::ReportCharts *>()->scatterPointCount();
        QVERIFY(points > 0 && points <= ui::ReportCharts::kMaxScatterPoints);

        const QString csvOut = m_dir.filePath(QStringLiteral("out.csv"));
        const QString pdfOut = m_dir.filePath(QStringLiteral("out.pdf"));
        view->setExportPathChooser([&](const QString &, const QString &filter) {
            return filter.contains(QStringLiteral("pdf")) ? pdfOut : csvOut;
        });
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareExportCsv")), Qt::LeftButton);
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareExportPdf")), Qt::LeftButton);
        // The PDF is written on a worker thread; it appears (renamed into place) once complete.
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(pdfOut), 30000);
        QFile csv(csvOut), pdf(pdfOut);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readAll().contains("eta_lstm.pt"));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(4) == "%PDF");
        QVERIFY(pdf.size() > 1000);
    }

    void cancelDuringALongRun()
    {
        auto view = makeView(writeCsv(QStringLiteral("large.csv"), 150000));
        QSignalSpy done(view.get(), &ui::CompareView::comparisonFinished);
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        auto *progress = view->findChild<QProgressBar *>(QStringLiteral("compareProgress"));
        QTRY_VERIFY_WITH_TIMEOUT(progress->value() >= 15, 60000); // inference has started
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareCancel")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
        QCOMPARE(done.at(0).at(0).toString(), QStringLiteral("cancelled"));
        QCOMPARE(view->findChild<QLabel *>(QStringLiteral("compareVerdict"))->text(), QStringLiteral("cancelled"));
        QTest::qWait(500);
        QCOMPARE(done.count(), 1); // exactly once
        QVERIFY(view->findChild<QPushButton *>(QStringLiteral("compareRun"))->isEnabled());
        QVERIFY(!view->findChild<QPushButton *>(QStringLiteral("compareExportCsv"))->isEnabled());
    }

    void cleanupTestCase()
    {
        m_session.reset();
        m_monitor.reset();
    }
};

QTEST_MAIN(TestGuiCompare)
#include "test_guicompare.moc"
