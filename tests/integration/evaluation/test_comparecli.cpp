#include "tests/support/TestChecks.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

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

    // The Python-exported classifier evaluates in MLDeck to what scikit-learn computes on the model's own
    // probabilities for the same file (make_demo_classifier.py wrote both): every figure within 1e-9.
    void evalClassifierMatchesScikitLearn()
    {
        QFile expectedFile(model("fixtures/accept_expected.json"));
        QVERIFY(expectedFile.open(QIODevice::ReadOnly));
        const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
        const QJsonObject sklearn = expected.value(QStringLiteral("sklearn")).toObject();
        const Run r = run({QStringLiteral("eval"), QStringLiteral("--model"), model("accept_mlp.pt"),
                           QStringLiteral("--data"), model("fixtures/accept_holdout.csv"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("task")).toString(), QStringLiteral("classification"));
        QCOMPARE(j.value(QStringLiteral("rows")).toInt(), expected.value(QStringLiteral("rows")).toInt());
        const QJsonObject metrics =
            j.value(QStringLiteral("models")).toArray().at(0).toObject().value(u"metrics"_qs).toObject();
        const QList<std::pair<const char *, const char *>> pairs{
            {"accuracy", "accuracy"}, {"precision", "precision"},
            {"recall", "recall"},     {"f1", "f1"},
            {"roc_auc", "roc_auc"},   {"log_loss", "log_loss"},
            {"brier", "brier"},       {"average_precision", "pr_auc"}};
        for (const auto &[ours, theirs] : pairs) {
            const QJsonValue mine = metrics.value(QLatin1String(theirs));
            const double reference = sklearn.value(QLatin1String(ours)).toDouble(-1);
            QVERIFY2(mine.isDouble() && reference >= 0, ours);
            QVERIFY2(std::abs(mine.toDouble() - reference) <= 1e-9,
                     qPrintable(QStringLiteral("%1: MLDeck %2, scikit-learn %3")
                                    .arg(QLatin1String(ours))
                                    .arg(mine.toDouble(), 0, 'g', 17)
                                    .arg(reference, 0, 'g', 17)));
        }
        QCOMPARE(metrics.value(QStringLiteral("classes")).toArray(), QJsonArray({u"declined"_qs, u"accepted"_qs}));
        QCOMPARE(metrics.value(QStringLiteral("threshold")).toDouble(), 0.5);
        // Ten reliability bins at most, holding every row.
        qint64 binned = 0;
        for (const auto &bin : metrics.value(QStringLiteral("reliability")).toArray())
            binned += bin.toObject().value(QStringLiteral("rows")).toInteger();
        QCOMPARE(binned, qint64(expected.value(QStringLiteral("rows")).toInt()));
    }

    // Two classifiers (the MLP, probabilities [B]; a logistic regression, logits [B, 2]) on the same rows:
    // paired bootstrap on accuracy and on log-loss, segments by accuracy, the classifier columns of the CSV.
    void compareClassifiers()
    {
        const QString report = m_dir.filePath(QStringLiteral("classifiers.csv"));
        const Run r = run({QStringLiteral("compare"), QStringLiteral("--model"), model("fixtures/accept_logistic.pt"),
                           QStringLiteral("--model"), model("accept_mlp.pt"), QStringLiteral("--data"),
                           model("fixtures/accept_holdout.csv"), QStringLiteral("--resamples"), QStringLiteral("300"),
                           QStringLiteral("--json"), QStringLiteral("--out"), report});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("task")).toString(), QStringLiteral("classification"));
        const QJsonArray deltas = j.value(QStringLiteral("deltas")).toArray();
        QCOMPARE(deltas.size(), 2);
        const QJsonObject accuracy = deltas.at(0).toObject();
        const QJsonObject logLoss = deltas.at(1).toObject();
        QCOMPARE(accuracy.value(QStringLiteral("metric")).toString(), QStringLiteral("accuracy"));
        QVERIFY(!accuracy.value(QStringLiteral("lower_is_better")).toBool());
        QCOMPARE(logLoss.value(QStringLiteral("metric")).toString(), QStringLiteral("log_loss"));
        QVERIFY(logLoss.value(QStringLiteral("lower_is_better")).toBool());
        // The bootstrap's point values are the models' own figures.
        const QJsonArray models = j.value(QStringLiteral("models")).toArray();
        for (int m = 0; m < 2; ++m) {
            const QJsonObject metrics = models.at(m).toObject().value(QStringLiteral("metrics")).toObject();
            const char *side = m == 0 ? "baseline_value" : "challenger_value";
            QVERIFY(std::abs(accuracy.value(QLatin1String(side)).toDouble() -
                             metrics.value(QStringLiteral("accuracy")).toDouble()) < 1e-12);
            QVERIFY(std::abs(logLoss.value(QLatin1String(side)).toDouble() -
                             metrics.value(QStringLiteral("log_loss")).toDouble()) < 1e-12);
            QVERIFY(metrics.value(QStringLiteral("ece")).isDouble());
        }
        // The MLP's log-loss is lower on these 3,000 rows (0.541 against 0.558).
        QVERIFY(logLoss.value(QStringLiteral("difference")).toDouble() < 0);
        QVERIFY(logLoss.value(QStringLiteral("ci_low")).toDouble() <=
                logLoss.value(QStringLiteral("ci_high")).toDouble());
        QCOMPARE(j.value(QStringLiteral("segment_metric")).toString(), QStringLiteral("accuracy"));
        QVERIFY(!j.value(QStringLiteral("segments")).toArray().isEmpty());
        QFile csv(report);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readLine().startsWith("model,path,version,rows,mae,rmse,r2,mape_percent,accuracy,precision,recall,"
                                          "f1,roc_auc,log_loss,brier,ece,pr_auc,"));
    }

    // A 3-class model returning logits [B, 3] (fixtures/make_classifier_fixtures.py: logits (a, b, 0)): its
    // accuracy and log-loss are those of the softmax computed here, the confusion matrix is 3 x 3.
    void evalMultiClass()
    {
        const QString path = m_dir.filePath(QStringLiteral("three.csv"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("a,b,label\n");
        const int rows = 600;
        double hits = 0, loss = 0;
        for (int i = 0; i < rows; ++i) {
            const float a = float((i * 37) % 201 - 100) / 40.0f, b = float((i * 53) % 197 - 98) / 40.0f;
            const int label = (i * 7) % 3;
            f.write(QByteArray::number(double(a), 'g', 9) + ',' + QByteArray::number(double(b), 'g', 9) + ',' +
                    QByteArray::number(label) + '\n');
            const double logits[3] = {double(a), double(b), 0.0};
            const double top = std::max({logits[0], logits[1], logits[2]});
            double sum = 0;
            for (double z : logits)
                sum += std::exp(z - top);
            const int served =
                logits[0] >= logits[1] ? (logits[0] >= logits[2] ? 0 : 2) : (logits[1] >= logits[2] ? 1 : 2);
            hits += served == label ? 1 : 0;
            loss += -std::log(std::exp(logits[label] - top) / sum);
        }
        f.close();
        const Run r = run({QStringLiteral("eval"), QStringLiteral("--model"), model("fixtures/clf_three_logits.pt"),
                           QStringLiteral("--data"), path, QStringLiteral("--target"), QStringLiteral("label"),
                           QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject metrics = QJsonDocument::fromJson(r.out)
                                        .object()
                                        .value(QStringLiteral("models"))
                                        .toArray()
                                        .at(0)
                                        .toObject()
                                        .value(QStringLiteral("metrics"))
                                        .toObject();
        QCOMPARE(metrics.value(QStringLiteral("classes")).toArray(), QJsonArray({u"cat"_qs, u"dog"_qs, u"bird"_qs}));
        QVERIFY(std::abs(metrics.value(QStringLiteral("accuracy")).toDouble() - hits / rows) < 1e-12);
        QVERIFY(std::abs(metrics.value(QStringLiteral("log_loss")).toDouble() - loss / rows) < 1e-12);
        const QJsonArray matrix = metrics.value(QStringLiteral("confusion_matrix")).toArray();
        QCOMPARE(matrix.size(), 3);
        qint64 total = 0;
        for (const auto &row : matrix) {
            QCOMPARE(row.toArray().size(), 3);
            for (const auto &cell : row.toArray())
                total += cell.toInteger();
        }
        QCOMPARE(total, qint64(rows));
        QVERIFY(!metrics.contains(QStringLiteral("threshold"))); // binary only
        QVERIFY(metrics.value(QStringLiteral("macro_f1")).isDouble());
    }

    // `demo-data --task accept` writes the classifier demo's offers, the same file for the same seed;
    // an unknown task is refused and writes nothing.
    void demoDataWritesOffers()
    {
        const QString a = m_dir.filePath(QStringLiteral("offers-a.csv"));
        const QString b = m_dir.filePath(QStringLiteral("offers-b.csv"));
        for (const QString &path : {a, b}) {
            const Run r = run({QStringLiteral("demo-data"), QStringLiteral("--task"), QStringLiteral("accept"),
                               QStringLiteral("--rows"), QStringLiteral("300"), QStringLiteral("--seed"),
                               QStringLiteral("3"), QStringLiteral("--out"), path});
            QVERIFY2(r.code == 0, r.err.constData());
        }
        QFile fa(a), fb(b);
        QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
        const QByteArray bytes = fa.readAll();
        QCOMPARE(bytes, fb.readAll());
        QVERIFY(bytes.startsWith("distance_km,"));
        QVERIFY(bytes.left(bytes.indexOf('\n')).endsWith(",pickup_zone,vehicle_type,accepted,ts"));
        QCOMPARE(bytes.count('\n'), 301);

        const QString never = m_dir.filePath(QStringLiteral("never.csv"));
        const Run bad = run({QStringLiteral("demo-data"), QStringLiteral("--task"), QStringLiteral("churn"),
                             QStringLiteral("--rows"), QStringLiteral("10"), QStringLiteral("--out"), never});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("--task"), bad.err.constData());
        QVERIFY(!QFile::exists(never));
    }

    void classifierErrors()
    {
        // The eta rows' delay is not a class index.
        Run r =
            run({QStringLiteral("eval"), QStringLiteral("--model"), model("accept_mlp.pt"), QStringLiteral("--data"),
                 model("fixtures/accept_holdout.csv"), QStringLiteral("--target"), QStringLiteral("fare_eur")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("index of the true class"), r.err.constData());
        // A classifier and a regression model are not compared.
        r = run({QStringLiteral("compare"), QStringLiteral("--model"), model("accept_mlp.pt"),
                 QStringLiteral("--model"), model("eta_mlp.pt"), QStringLiteral("--data"),
                 model("fixtures/accept_holdout.csv")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("cannot be compared"), r.err.constData());
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
