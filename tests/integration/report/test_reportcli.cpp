#include "PdfCheck.h"
#include "ReportFixture.h"
#include "tests/support/TestChecks.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;

// `mldeckctl report` as a user runs it: CSV figures equal an exact recomputation from the rows,
// the PDF holds together, bad options exit 2 and write nothing.
class TestReportCli final : public QObject
{
    Q_OBJECT

    test::ReportFixture m_fx;
    QTemporaryDir m_dir;

    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };

    static QString ctl()
    {
        return qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl");
    }

    Run run(QStringList args) const
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_fx.db->endpoint().toUrl(true));
        env.remove(QStringLiteral("QT_QPA_PLATFORM")); // mldeckctl must choose offscreen itself
        p.setProcessEnvironment(env);
        args.prepend(QStringLiteral("report"));
        p.start(ctl(), args);
        if (!p.waitForFinished(120000)) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("mldeckctl did not finish within 120 s: ") + args.join(u' '));
            p.kill();
            p.waitForFinished();
            return {-1, {}, "did not finish"};
        }
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }

    QStringList baseArgs(const QString &out) const
    {
        return {QStringLiteral("--deployment"), m_fx.deployment,         QStringLiteral("--end"),
                m_fx.end.toString(Qt::ISODate), QStringLiteral("--out"), out};
    }

    static void compareFigure(const QString &field, const std::optional<double> &expected, const char *what)
    {
        if (!expected) {
            QVERIFY2(field.isEmpty(), what);
            return;
        }
        bool ok = false;
        const double v = field.toDouble(&ok);
        QVERIFY2(ok, qPrintable(QStringLiteral("%1: \"%2\" is not a number").arg(QLatin1String(what), field)));
        QVERIFY2(
            std::abs(v - *expected) <= 1e-9 * std::max(1.0, std::abs(*expected)),
            qPrintable(
                QStringLiteral("%1: %2 != %3").arg(QLatin1String(what)).arg(v, 0, 'g', 17).arg(*expected, 0, 'g', 17)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(QFile::exists(ctl()));
        const QString problem = m_fx.setUp();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void csvEqualsExactFigures()
    {
        const QString out = m_dir.filePath(QStringLiteral("day.csv"));
        const Run r = run(baseArgs(out) << QStringLiteral("--period") << QStringLiteral("day"));
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY2(r.err.isEmpty(), r.err.constData()); // scripts read stderr: nothing there on success
        QCOMPARE(r.out.trimmed(), out.toUtf8());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray csv = f.readAll();
        QVERIFY(csv.endsWith("\r\n"));
        const QList<QByteArray> lines = csv.split('\n');
        QCOMPARE(lines.first().trimmed(),
                 QByteArray("section,path,predictions,mae,rmse,r2,mape,latency_p50_ms,latency_p95_ms,latency_p99_ms,"
                            "failure_rate,fallback_share,failed,labelled,throughput_per_s,latency_mean_ms,"
                            "anticipated_share,satisfaction,ml_uptime,improvement_percent"));
        QMap<QString, QStringList> summary;
        QStringList alertLines, changeLines;
        for (const QByteArray &raw : lines) {
            const QString line = QString::fromUtf8(raw).trimmed();
            if (line.startsWith(QLatin1String("summary,")))
                summary.insert(line.section(QLatin1Char(','), 1, 1), line.split(QLatin1Char(',')));
            else if (line.startsWith(QLatin1String("alert,")))
                alertLines.append(line);
            else if (line.startsWith(QLatin1String("change,")))
                changeLines.append(line);
        }
        QCOMPARE(summary.keys(), (QStringList{QStringLiteral("all"), QStringLiteral("fallback"),
                                              QStringLiteral("heuristic"), QStringLiteral("ml")}));
        for (const QString &path : summary.keys()) {
            const QStringList row = summary.value(path);
            QCOMPARE(row.size(), 20);
            const auto e = m_fx.expected(path);
            QCOMPARE(row.at(2).toLongLong(), e.predictions);
            compareFigure(row.at(3), e.mae, "mae");
            compareFigure(row.at(4), e.rmse, "rmse");
            compareFigure(row.at(5), e.r2, "r2");
            compareFigure(row.at(6), e.mape, "mape");
            compareFigure(row.at(10), e.failureRate, "failure_rate");
            QCOMPARE(row.at(12).toLongLong(), e.failed);
            QCOMPARE(row.at(13).toLongLong(), e.labelled);
            compareFigure(row.at(14), double(e.predictions) / 86400.0, "throughput_per_s");
            // Latency quantiles come from the sketch: inside the range of the latencies written.
            double lo = 1e9, hi = 0;
            for (const auto &rw : m_fx.rows)
                if (path == QLatin1String("all") || rw.path == path) {
                    lo = std::min(lo, rw.latencyMs);
                    hi = std::max(hi, rw.latencyMs);
                }
            for (int col : {7, 8, 9}) {
                const double q = row.at(col).toDouble();
                QVERIFY2(q >= lo * 0.98 && q <= hi * 1.02, qPrintable(row.join(QLatin1Char(','))));
            }
        }
        // Fallback share: fallback / (ml + fallback), over all paths only.
        compareFigure(summary.value(QStringLiteral("all")).at(11), 8.0 / 44.0, "fallback_share");

        QCOMPARE(alertLines.size(), 1); // the old resolved alert is outside the period
        QVERIFY2(alertLines.first().contains(QLatin1String("\"Latency p95 above 2 s, \"\"ml\"\" path\"")),
                 qPrintable(alertLines.first()));
        QCOMPARE(changeLines.size(), 1); // the other deployment's change is not listed
        QVERIFY(changeLines.first().contains(QLatin1String(",flags.apply,")));
        QVERIFY(changeLines.first().contains(QLatin1String("raise to 25 %")));
        QVERIFY(
            csv.contains("\r\nsection,deployment,period,from,to,generated_at,alerts_truncated,changes_truncated\r\n"));
        QVERIFY(csv.contains(QByteArray("\r\nreport," + m_fx.deployment.toUtf8() + ",day,")));
    }

    void weekCsvFromExtension()
    {
        const QString out = m_dir.filePath(QStringLiteral("week.CSV"));
        const Run r =
            run(baseArgs(out) << QStringLiteral("--period") << QStringLiteral("week") << QStringLiteral("--json"));
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("format")).toString(), QStringLiteral("csv"));
        QCOMPARE(j.value(QStringLiteral("predictions")).toInteger(), 60);
        QCOMPARE(j.value(QStringLiteral("alerts")).toInt(), 2); // the old alert was active 2-3 days ago
        QVERIFY(QFile::exists(out));
    }

    void pdfParses()
    {
        const QString out = m_dir.filePath(QStringLiteral("day.pdf"));
        const Run r = run(baseArgs(out) << QStringLiteral("--format") << QStringLiteral("pdf"));
        QVERIFY2(r.code == 0, r.err.constData());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray pdf = f.readAll();
        int pages = 0;
        const QString problem = test::checkPdfStructure(pdf, &pages);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY2(pages >= 3, qPrintable(QString::number(pages))); // summary, charts, alerts and changes
        // Nothing left beside it: the temporary file was renamed.
        QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("day.pdf*")}, QDir::Files),
                 QStringList{QStringLiteral("day.pdf")});
    }

    void badOptionsExitTwoAndWriteNothing_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("period") << QStringList{QStringLiteral("--period"), QStringLiteral("month")}
                                << QStringLiteral("a.pdf") << QByteArray("day or week");
        QTest::newRow("format") << QStringList{QStringLiteral("--format"), QStringLiteral("docx")}
                                << QStringLiteral("b.pdf") << QByteArray("pdf or csv");
        QTest::newRow("no format") << QStringList{} << QStringLiteral("c.txt") << QByteArray("--format");
        QTest::newRow("end") << QStringList{QStringLiteral("--end"), QStringLiteral("yesterday")}
                             << QStringLiteral("d.pdf") << QByteArray("--end");
        QTest::newRow("folder") << QStringList{} << QStringLiteral("missing/e.pdf") << QByteArray("does not exist");
        QTest::newRow("positional") << QStringList{QStringLiteral("extra")} << QStringLiteral("f.pdf")
                                    << QByteArray("Unexpected argument");
    }

    void badOptionsExitTwoAndWriteNothing()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, file);
        QFETCH(QByteArray, message);
        const QString out = m_dir.filePath(file);
        QStringList args = baseArgs(out);
        // --end given twice would be the last one: replace it instead.
        if (extra.value(0) == QLatin1String("--end"))
            args[3] = extra.value(1);
        else
            args += extra;
        const Run r = run(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
        QVERIFY(r.out.isEmpty());
        QVERIFY(!QFile::exists(out));
    }

    void unknownDeploymentLeavesExistingFile()
    {
        const QString out = m_dir.filePath(QStringLiteral("keep.csv"));
        QFile f(out);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("keep me\n");
        f.close();
        QStringList args = baseArgs(out);
        args[1] = QStringLiteral("nosuchdeployment");
        const Run r = run(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("nosuchdeployment"), r.err.constData());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("keep me\n"));
        QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("keep.csv*")}, QDir::Files),
                 QStringList{QStringLiteral("keep.csv")});
    }

    void unreachableDatabaseExitsTwo()
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), QStringLiteral("postgresql://mldeck:mldeck@127.0.0.1:1/mldeck"));
        p.setProcessEnvironment(env);
        const QString out = m_dir.filePath(QStringLiteral("down.pdf"));
        p.start(ctl(), QStringList{QStringLiteral("report")} + baseArgs(out));
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(!p.readAllStandardError().isEmpty());
        QVERIFY(!QFile::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestReportCli)
#include "test_reportcli.moc"
