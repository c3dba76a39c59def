#include "core/config/Settings.h"
#include "core/demo/DemoCsv.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelWorker.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "tests/support/EventLoopHeartbeat.h"
#include "tests/support/TestChecks.h"
#include "ui/ConnectionSession.h"
#include "ui/charts/ConfusionMatrixView.h"
#include "ui/charts/ReliabilityDiagram.h"
#include "ui/pages/models/CompareView.h"
#include "ui/pages/models/compare/ReportCharts.h"

#include <QComboBox>
#include <QDir>
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

#include <csignal>

using namespace mldeck;

namespace {

// This process's model workers (its children named mldeck-model-worker).
QList<qint64> modelWorkers()
{
    QList<qint64> pids;
    const QString self = QString::number(QCoreApplication::applicationPid());
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
        if (!entry.front().isDigit() || !stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        const QList<QByteArray> after = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (line.contains("(mldeck-model-wo") && after.value(1) == self.toLatin1())
            pids << entry.toLongLong();
    }
    return pids;
}

} // namespace

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
        if (!f.open(QIODevice::WriteOnly)) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot write ") + path);
            return path; // missing: the comparison that reads it fails too
        }
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
        QVERIFY2(verdict.contains(QStringLiteral("eta_lstm")) && verdict.contains(QStringLiteral("MAE")),
                 qPrintable(verdict));
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

    // Two classifiers of the demo (logistic regression A, MLP B) on its held-out offers: the classifier
    // columns, differences on accuracy and log-loss, a reliability curve per model, each model's confusion
    // matrix over every row, and the PDF.
    void classifiersShowTheirFiguresAndPlots()
    {
        auto view = makeView(model("fixtures/accept_holdout.csv"));
        view->findChild<QLineEdit *>(QStringLiteral("compareModel0"))->setText(model("fixtures/accept_logistic.pt"));
        view->findChild<QLineEdit *>(QStringLiteral("compareModel1"))->setText(model("accept_mlp.pt"));
        QSignalSpy done(view.get(), &ui::CompareView::comparisonFinished);
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
        QCOMPARE(done.at(0).at(0).toString(), QStringLiteral("done"));
        const QString verdict = view->findChild<QLabel *>(QStringLiteral("compareVerdict"))->text();
        QVERIFY2(verdict.contains(QStringLiteral("accept_mlp.pt")) && verdict.contains(QStringLiteral("accuracy")),
                 qPrintable(verdict));

        auto *metrics = view->findChild<QTableWidget *>(QStringLiteral("compareMetricsTable"));
        QStringList headers;
        for (int c = 0; c < metrics->columnCount(); ++c)
            headers << metrics->horizontalHeaderItem(c)->text();
        for (const char *h : {"Accuracy", "ROC AUC", "PR AUC", "Log-loss", "Brier", "ECE"})
            QVERIFY2(headers.contains(QLatin1String(h)), h);
        QCOMPARE(metrics->item(1, int(headers.indexOf(u"Accuracy"_qs)))->text(), QStringLiteral("0.7273"));
        auto *deltas = view->findChild<QTableWidget *>(QStringLiteral("compareDeltaTable"));
        QCOMPARE(deltas->rowCount(), 2);
        QCOMPARE(deltas->item(0, 1)->text(), QStringLiteral("accuracy"));
        QCOMPARE(deltas->item(1, 1)->text(), QStringLiteral("log-loss"));

        const auto *reliability = view->findChild<ui::ReliabilityDiagram *>(QStringLiteral("compareReliability"));
        // The Plots tab holds the classifier's plots instead of the scatter and residuals.
        QVERIFY(!reliability->parentWidget()->isHidden());
        QVERIFY(view->findChild<QWidget *>(QStringLiteral("compareScatter"))->isHidden());
        QCOMPARE(reliability->pointCount(u"accept_mlp.pt"_qs), 10);
        QVERIFY(reliability->pointCount(u"accept_logistic.pt"_qs) >= 9);
        QVERIFY2(reliability->caption().contains(u"ECE"_qs), qPrintable(reliability->caption()));
        QVERIFY(!view->findChild<ui::ReportCharts *>()->scatterPointCount());
        auto *confusion = view->findChild<ui::ConfusionMatrixView *>(QStringLiteral("compareConfusion"));
        QCOMPARE(confusion->classCount(), 2);
        QCOMPARE(confusion->total(), 3000);
        QCOMPARE(confusion->count(1, 1), 1612); // the baseline's true "accepted" rows served as accepted
        auto *which = view->findChild<QComboBox *>(QStringLiteral("compareConfusionModel"));
        QCOMPARE(which->count(), 2);
        which->setCurrentIndex(1);
        QCOMPARE(confusion->total(), 3000);
        QCOMPARE(confusion->count(1, 1), 1635); // accept_mlp's (as in its eval: tp 1635)

        const QString pdfOut = m_dir.filePath(QStringLiteral("classifiers.pdf"));
        view->setExportPathChooser([&](const QString &, const QString &) { return pdfOut; });
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareExportPdf")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(pdfOut), 30000);
        QFile pdf(pdfOut);
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(4) == "%PDF");
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
        QVERIFY(!test::happensWithin([&] { return done.count() > 1; }, 500)); // exactly once
        QVERIFY(view->findChild<QPushButton *>(QStringLiteral("compareRun"))->isEnabled());
        QVERIFY(!view->findChild<QPushButton *>(QStringLiteral("compareExportCsv"))->isEnabled());
    }

    // A model that hangs, then a worker that crashes mid-comparison: each comparison ends with its
    // readable error, the window answers throughout, and the next comparison works.
    void aHungModelLeavesTheWindowResponsive()
    {
        WorkerLimits limits;
        limits.requestTimeoutMs = 3000;
        WorkerLimits::setDefaults(limits);
        const QString csv = writeCsv(QStringLiteral("hang.csv"), 3000);
        auto view = makeView(csv);
        auto *second = view->findChild<QLineEdit *>(QStringLiteral("compareModel1"));
        second->setText(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/fixtures/hang.pt"));
        QSignalSpy done(view.get(), &ui::CompareView::comparisonFinished);
        test::EventLoopHeartbeat heartbeat;
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
        QCOMPARE(done.at(0).at(0).toString(), QStringLiteral("failed"));
        const QString verdict = view->findChild<QLabel *>(QStringLiteral("compareVerdict"))->text();
        qInfo("%s; largest event-loop gap %lld ms", qPrintable(verdict), heartbeat.maxGapMs());
        QVERIFY2(verdict.contains(QStringLiteral("did not answer within 3 s")), qPrintable(verdict));
        QVERIFY2(heartbeat.maxGapMs() < 50, qPrintable(QString::number(heartbeat.maxGapMs())));

        second->setText(model("eta_lstm.pt"));
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 120000);
        QCOMPARE(done.at(1).at(0).toString(), QStringLiteral("done"));
        WorkerLimits::setDefaults(WorkerLimits{});
    }

    void aCrashedWorkerLeavesTheWindowResponsive()
    {
        auto view = makeView(writeCsv(QStringLiteral("crash.csv"), 150000));
        QSignalSpy done(view.get(), &ui::CompareView::comparisonFinished);
        test::EventLoopHeartbeat heartbeat;
        QTest::mouseClick(view->findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        auto *progress = view->findChild<QProgressBar *>(QStringLiteral("compareProgress"));
        QTRY_VERIFY_WITH_TIMEOUT(progress->value() >= 15 && !modelWorkers().isEmpty(), 60000); // inference started
        int crashed = 0;
        for (qint64 pid : modelWorkers())
            crashed += test::signalChild(pid, SIGSEGV) ? 1 : 0;
        QVERIFY(crashed > 0);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
        const QString verdict = view->findChild<QLabel *>(QStringLiteral("compareVerdict"))->text();
        qInfo("%s; largest event-loop gap %lld ms", qPrintable(verdict), heartbeat.maxGapMs());
        QCOMPARE(done.at(0).at(0).toString(), QStringLiteral("failed"));
        QVERIFY2(verdict.contains(QStringLiteral("crashed (signal 11")), qPrintable(verdict));
        QVERIFY2(heartbeat.maxGapMs() < 50, qPrintable(QString::number(heartbeat.maxGapMs())));

        auto next = makeView(writeCsv(QStringLiteral("after.csv"), 3000));
        QSignalSpy nextDone(next.get(), &ui::CompareView::comparisonFinished);
        QTest::mouseClick(next->findChild<QPushButton *>(QStringLiteral("compareRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(nextDone.count(), 1, 120000);
        QCOMPARE(nextDone.at(0).at(0).toString(), QStringLiteral("done"));
    }

    void cleanupTestCase()
    {
        m_session.reset();
        m_monitor.reset();
    }
};

QTEST_MAIN(TestGuiCompare)
#include "test_guicompare.moc"
