#include "tests/support/TestChecks.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// `mldeckctl eval` and `mldeckctl compare` as a user runs them: JSON shape, exit codes, errors.
class TestCompareCli final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_csv;

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
    static QString model(const char *name)
    {
        return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(name);
    }

    static Run run(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("MLDECK_PG_URL"));
        p.setProcessEnvironment(env);
        p.start(ctl(), args);
        if (!p.waitForFinished(120000)) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("mldeckctl did not finish within 120 s: ") + args.join(u' '));
            p.kill();
            p.waitForFinished();
            return {-1, {}, "did not finish"};
        }
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFile::exists(ctl()));
        m_csv = m_dir.filePath(QStringLiteral("demo.csv"));
        const Run r = run({QStringLiteral("demo-data"), QStringLiteral("--rows"), QStringLiteral("2000"),
                           QStringLiteral("--rate"), QStringLiteral("0.05"), QStringLiteral("--out"), m_csv});
        QCOMPARE(r.code, 0);
    }

    void compareJsonShape()
    {
        const QString report = m_dir.filePath(QStringLiteral("report.csv"));
        const Run r =
            run({QStringLiteral("compare"), QStringLiteral("--model"), model("eta_mlp.pt"), QStringLiteral("--model"),
                 model("eta_lstm.pt"), QStringLiteral("--data"), m_csv, QStringLiteral("--resamples"),
                 QStringLiteral("200"), QStringLiteral("--json"), QStringLiteral("--out"), report});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("task")).toString(), QStringLiteral("regression"));
        QCOMPARE(j.value(QStringLiteral("rows")).toInt(), 2000);
        QCOMPARE(j.value(QStringLiteral("resamples")).toInt(), 200);
        const QJsonArray models = j.value(QStringLiteral("models")).toArray();
        QCOMPARE(models.size(), 2);
        for (const auto &m : models) {
            const QJsonObject metrics = m.toObject().value(QStringLiteral("metrics")).toObject();
            for (const char *key : {"mae", "rmse", "r2", "mape_percent"})
                QVERIFY2(metrics.contains(QLatin1String(key)), key);
            QVERIFY(m.toObject().value(QStringLiteral("rows_per_second")).toDouble() > 0);
            QVERIFY(m.toObject().value(QStringLiteral("latency_p99_ms")).toDouble() > 0);
        }
        const QJsonArray deltas = j.value(QStringLiteral("deltas")).toArray();
        QCOMPARE(deltas.size(), 2);
        const QJsonObject mae = deltas.at(0).toObject();
        QCOMPARE(mae.value(QStringLiteral("metric")).toString(), QStringLiteral("mae"));
        QVERIFY(mae.value(QStringLiteral("ci_low")).toDouble() <= mae.value(QStringLiteral("ci_high")).toDouble());
        QCOMPARE(j.value(QStringLiteral("verdict")).toArray().size(), 1);
        QVERIFY(!j.value(QStringLiteral("segments")).toArray().isEmpty());
        QFile csv(report);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readAll().startsWith("model,path,version,rows,mae"));
    }

    void evalModelWithoutMetadata()
    {
        const Run r = run({QStringLiteral("eval"), QStringLiteral("--model"), model("fixtures/no_metadata.pt"),
                           QStringLiteral("--data"), m_csv, QStringLiteral("--features"),
                           QStringLiteral("distance_km,planned_duration_min,hour"), QStringLiteral("--threads"),
                           QStringLiteral("1"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("models")).toArray().size(), 1);
        QVERIFY(!j.contains(QStringLiteral("deltas")));
    }

    void errorsExitTwo()
    {
        Run r = run({QStringLiteral("compare"), QStringLiteral("--model"), model("eta_mlp.pt"),
                     QStringLiteral("--data"), m_csv});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("2 to 4"));

        const QString bad = m_dir.filePath(QStringLiteral("bad.csv"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QFile src(m_csv);
        QVERIFY(src.open(QIODevice::ReadOnly));
        f.write(src.readLine());
        f.write(src.readLine());
        f.write("1,2,3\n");
        f.close();
        r = run(
            {QStringLiteral("eval"), QStringLiteral("--model"), model("eta_mlp.pt"), QStringLiteral("--data"), bad});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("line 3"), r.err.constData());

        r = run({QStringLiteral("eval"), QStringLiteral("--model"), model("eta_mlp.pt"), QStringLiteral("--data"),
                 m_csv, QStringLiteral("--target"), QStringLiteral("nope")});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("nope"));

        r = run({QStringLiteral("eval"), QStringLiteral("--model"), model("fixtures/not_torchscript.zip"),
                 QStringLiteral("--data"), m_csv});
        QCOMPARE(r.code, 2);

        r = run({QStringLiteral("compare"), QStringLiteral("--model"), model("eta_mlp.pt"), QStringLiteral("--model"),
                 model("eta_lstm.pt"), QStringLiteral("--window"), QStringLiteral("soon")});
        QCOMPARE(r.code, 2);
    }
};

QTEST_GUILESS_MAIN(TestCompareCli)
#include "test_comparecli.moc"
