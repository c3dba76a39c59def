#include "PdfCheck.h"
#include "ReportFixture.h"

#include "core/services/KpiReport.h"
#include "tests/support/TestChecks.h"
#include "ui/reports/KpiReportPdf.h"
#include "ui/reports/ReportExporter.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;

// The Report button's worker: one finished() per start(), on success and on every error; the
// PDF drawn on images is the same document (page count), and it is not blank.
class TestReportExporter final : public QObject
{
    Q_OBJECT

    test::ReportFixture m_fx;
    QTemporaryDir m_dir;

    static void waitFinished(QSignalSpy &spy)
    {
        QVERIFY(spy.wait(60000));
        QVERIFY(!test::happensWithin([&] { return spy.count() > 1; }, 50)); // and no second emission
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        const QString problem = m_fx.setUp();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void exportsPdfAndCsv()
    {
        ui::ReportExporter exporter;
        for (const QString &format : {QStringLiteral("pdf"), QStringLiteral("csv")}) {
            QSignalSpy spy(&exporter, &ui::ReportExporter::finished);
            const QString out = m_dir.filePath(QStringLiteral("gui.") + format);
            exporter.start(m_fx.db->endpoint(), m_fx.deployment, QStringLiteral("week"), format, out, m_fx.end);
            QVERIFY(exporter.isRunning());
            waitFinished(spy);
            QVERIFY2(spy.at(0).at(0).toBool(), qPrintable(spy.at(0).at(1).toString()));
            QVERIFY(spy.at(0).at(1).toString().contains(QDir::toNativeSeparators(out)));
            QVERIFY(!exporter.isRunning());
            QFile f(out);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray bytes = f.readAll();
            if (format == QLatin1String("csv")) {
                QVERIFY(bytes.startsWith(QByteArray(kpiReportCsvSummaryHeader() + "\r\n")));
            } else {
                int pages = 0;
                const QString problem = test::checkPdfStructure(bytes, &pages);
                QVERIFY2(problem.isEmpty(), qPrintable(problem));
            }
        }
    }

    void errorsFinishOnce()
    {
        ui::ReportExporter exporter;
        {
            QSignalSpy spy(&exporter, &ui::ReportExporter::finished);
            exporter.start(m_fx.db->endpoint(), m_fx.deployment, QStringLiteral("month"), QStringLiteral("pdf"),
                           m_dir.filePath(QStringLiteral("x.pdf")));
            waitFinished(spy);
            QVERIFY(!spy.at(0).at(0).toBool());
            QVERIFY(spy.at(0).at(1).toString().contains(QLatin1String("day or week")));
        }
        {
            QSignalSpy spy(&exporter, &ui::ReportExporter::finished);
            exporter.start(m_fx.db->endpoint(), QStringLiteral("nosuch"), QStringLiteral("day"), QStringLiteral("csv"),
                           m_dir.filePath(QStringLiteral("y.csv")));
            waitFinished(spy);
            QVERIFY(!spy.at(0).at(0).toBool());
            QVERIFY(spy.at(0).at(1).toString().contains(QLatin1String("nosuch")));
        }
        {
            PgEndpoint down = m_fx.db->endpoint();
            down.port = 1;
            QSignalSpy spy(&exporter, &ui::ReportExporter::finished);
            exporter.start(down, m_fx.deployment, QStringLiteral("day"), QStringLiteral("pdf"),
                           m_dir.filePath(QStringLiteral("z.pdf")));
            // A second start while the first runs is refused, and finishes on its own.
            exporter.start(down, m_fx.deployment, QStringLiteral("day"), QStringLiteral("pdf"),
                           m_dir.filePath(QStringLiteral("w.pdf")));
            QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 2, 60000);
            QVERIFY(!test::happensWithin([&] { return spy.count() > 2; }, 50));
            QVERIFY(!spy.at(0).at(0).toBool() && !spy.at(1).at(0).toBool());
        }
        for (const char *name : {"x.pdf", "y.csv", "z.pdf", "w.pdf"})
            QVERIFY2(!QFile::exists(m_dir.filePath(QLatin1String(name))), name);
    }

    void imagesMatchPdfPages()
    {
        const auto data = buildKpiReport(*m_fx.conn, m_fx.deployment, QStringLiteral("day"), m_fx.end);
        QVERIFY2(data.ok(), qPrintable(data.errorMessage()));
        const QString out = m_dir.filePath(QStringLiteral("pages.pdf"));
        const Status written = ui::writeKpiReportPdf(*data, out);
        QVERIFY2(written.ok(), qPrintable(written.errorMessage()));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        int pages = 0;
        QVERIFY(test::checkPdfStructure(f.readAll(), &pages).isEmpty());
        const QList<QImage> images = ui::renderKpiReportImages(*data, 72);
        QCOMPARE(int(images.size()), pages);
        for (const QImage &image : images) {
            // Something is drawn: not every pixel is white.
            int dark = 0;
            for (int y = 0; y < image.height(); y += 3)
                for (int x = 0; x < image.width(); x += 3)
                    dark += qGray(image.pixel(x, y)) < 128 ? 1 : 0;
            QVERIFY(dark > 50);
        }
        const QString previewDir = qEnvironmentVariable("MLDECK_REPORT_PREVIEW_DIR");
        if (!previewDir.isEmpty()) {
            const QList<QImage> big = ui::renderKpiReportImages(*data, 110);
            for (qsizetype i = 0; i < big.size(); ++i)
                big.at(i).save(QDir(previewDir).filePath(QStringLiteral("report-page%1.png").arg(i + 1)));
        }
    }

    void longTablesBreakPages()
    {
        auto data = buildKpiReport(*m_fx.conn, m_fx.deployment, QStringLiteral("day"), m_fx.end);
        QVERIFY(data.ok());
        KpiReportData big = data.value();
        for (int i = 0; i < 150; ++i) {
            AuditEntry c;
            c.at = big.from.addSecs(i * 60);
            c.action = QStringLiteral("flags.apply");
            c.actorOs = QStringLiteral("alice");
            c.reason =
                QStringLiteral("step %1, a long reason that does not fit its column and is elided on the page").arg(i);
            c.after = QJsonObject{{QStringLiteral("ml_traffic_percentage"), i % 100}};
            big.changes.append(c);
        }
        const QList<QImage> images = ui::renderKpiReportImages(big, 48);
        QVERIFY2(images.size() >= 6, qPrintable(QString::number(images.size()))); // 150 rows need 3 more pages
        const QString out = m_dir.filePath(QStringLiteral("long.pdf"));
        QVERIFY(ui::writeKpiReportPdf(big, out).ok());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        int pages = 0;
        QVERIFY(test::checkPdfStructure(f.readAll(), &pages).isEmpty());
        QCOMPARE(pages, int(images.size()));
        // Every change is in the CSV, once.
        QCOMPARE(kpiReportCsv(big).count("\r\nchange,"), 151);
    }

    void unwritableTargetIsAnError()
    {
        const auto data = buildKpiReport(*m_fx.conn, m_fx.deployment, QStringLiteral("day"), m_fx.end);
        QVERIFY(data.ok());
        const QString out = m_dir.filePath(QStringLiteral("missing/r.pdf"));
        QVERIFY(!ui::writeKpiReportPdf(*data, out).ok());
        QVERIFY(!writeKpiReportCsv(*data, m_dir.filePath(QStringLiteral("missing/r.csv"))).ok());
        QVERIFY(!QDir(m_dir.filePath(QStringLiteral("missing"))).exists());
    }
};

QTEST_MAIN(TestReportExporter)
#include "test_reportexporter.moc"
