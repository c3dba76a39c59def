#include "core/ml/Evaluator.h"
#include "core/ml/ModelRunner.h"
#include "tests/support/TestChecks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mldeck;

namespace {

QString models(const QString &name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + name;
}

std::unique_ptr<ModelRunner> mustLoad(const QString &path)
{
    auto m = ModelRunner::load(path);
    if (!m) {
        MLDECK_FAIL_IN_HELPER(m.errorMessage());
        return nullptr; // the caller checks it
    }
    return std::move(m).value();
}

std::vector<double> expectedColumn(const QString &file, int column)
{
    QFile f(models(QStringLiteral("fixtures/") + file));
    if (!f.open(QIODevice::ReadOnly))
        MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot read ") + file); // then empty: the comparison fails too
    std::vector<double> out;
    f.readLine();
    while (!f.atEnd())
        out.push_back(f.readLine().trimmed().split(',').at(column).toDouble());
    return out;
}

} // namespace

class TestEvaluator final : public QObject
{
    Q_OBJECT

    Dataset m_fixture;

    EvaluationResult evaluate(ModelRunner &model, int batchSize)
    {
        auto in = modelInputs(model.info(), m_fixture.header, DatasetColumns{}, {});
        if (!in) {
            MLDECK_FAIL_IN_HELPER(in.errorMessage());
            return {};
        }
        EvaluationOptions o;
        o.batchSize = batchSize;
        o.latencySamples = 10;
        auto r = evaluateModel(model, m_fixture, in.value(), o);
        if (!r) {
            MLDECK_FAIL_IN_HELPER(r.errorMessage());
            return {};
        }
        return r.value();
    }

    static double maxAbsDiff(const std::vector<double> &a, const std::vector<double> &b)
    {
        if (a.size() != b.size())
            return INFINITY;
        double m = 0;
        for (size_t i = 0; i < a.size(); ++i)
            m = std::max(m, std::abs(a[i] - b[i]));
        return m;
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto probe = mustLoad(models(QStringLiteral("eta_mlp.pt")));
        QVERIFY(probe);
        DatasetColumns c;
        c.numeric = probe->info().schema.numericNames();
        c.categorical = probe->info().schema.categoricalNames();
        auto ds = readCsvDataset(models(QStringLiteral("fixtures/eta_fixture.csv")), c);
        QVERIFY2(ds.ok(), qPrintable(ds.errorMessage()));
        m_fixture = std::move(ds).value();
    }

    // Interop: the predictions Python made with torch.jit.script / torch.jit.trace models.
    void interopScriptedAndTraced_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("batch");
        QTest::newRow("mlp script") << "eta_mlp.pt"
                                    << "eta_expected.csv" << 0 << 8192;
        QTest::newRow("mlp script, batches of 7") << "eta_mlp.pt"
                                                  << "eta_expected.csv" << 0 << 7;
        QTest::newRow("lstm script") << "eta_lstm.pt"
                                     << "eta_expected.csv" << 1 << 8192;
        // Windows cross batch boundaries: the evaluator must hand the previous rows over.
        QTest::newRow("lstm script, batches of 5") << "eta_lstm.pt"
                                                   << "eta_expected.csv" << 1 << 5;
        QTest::newRow("mlp trace") << "fixtures/eta_mlp_traced.pt"
                                   << "eta_expected_traced.csv" << 0 << 9;
    }

    void interopScriptedAndTraced()
    {
        QFETCH(QString, model);
        QFETCH(QString, expected);
        QFETCH(int, column);
        QFETCH(int, batch);
        auto runner = mustLoad(models(model));
        QVERIFY(runner);
        const EvaluationResult r = evaluate(*runner, batch);
        MLDECK_HELPERS_OK();
        const double diff = maxAbsDiff(r.predictions, expectedColumn(expected, column));
        qInfo("%s: max |C++ - Python| = %.3g", qPrintable(model), diff);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
        QVERIFY(r.rowsPerSecond > 0);
        QVERIFY(r.latencyP50Ms > 0 && r.latencyP99Ms >= r.latencyP50Ms);
        QCOMPARE(r.unknownCategoryValues, 1); // the fixture's "moon_base" zone
    }

    // A notebook model without metadata reads the CSV columns in order, less the target and ts,
    // or the ones --features names. no_metadata.pt computes a + 2b + 3c + 0.5.
    void modelWithoutMetadata()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plain.csv"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("a,b,c,delay_min,ts\n1,0,0,1.5,2024-05-01T00:00:00Z\n0,1,2,8.5,2024-05-01T00:01:00Z\n");
        f.close();
        auto runner = mustLoad(models(QStringLiteral("fixtures/no_metadata.pt")));
        QVERIFY(runner);
        auto header = readCsvHeader(path);
        auto in = modelInputs(runner->info(), header.value(), DatasetColumns{}, {});
        QVERIFY(in.ok());
        QCOMPARE(in->numeric, (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
        DatasetColumns c;
        c.numeric = in->numeric;
        auto ds = readCsvDataset(path, c);
        QVERIFY(ds.ok());
        auto r = evaluateModel(*runner, ds.value(), in.value(), EvaluationOptions{});
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->predictions, (std::vector<double>{1.5, 8.5}));

        // --features c,b,a: c is read as the first input -> 3*1 + 0 + ... reversed order.
        auto reversed = modelInputs(runner->info(), header.value(), DatasetColumns{},
                                    {QStringLiteral("c"), QStringLiteral("b"), QStringLiteral("a")});
        QVERIFY(reversed.ok());
        auto r2 = evaluateModel(*runner, ds.value(), reversed.value(), EvaluationOptions{});
        QVERIFY(r2.ok());
        QCOMPARE(r2->predictions, (std::vector<double>{3.5, 4.5})); // (c,b,a)=(0,0,1): 3+0.5; (2,1,0): 2+2+0.5

        auto target = modelInputs(runner->info(), header.value(), DatasetColumns{}, {QStringLiteral("delay_min")});
        QVERIFY(!target.ok());
        auto missing = modelInputs(runner->info(), header.value(), DatasetColumns{}, {QStringLiteral("zz")});
        QVERIFY(missing.errorMessage().contains(QStringLiteral("zz")));
    }

    void featureListMustMatchTheModel()
    {
        auto runner = mustLoad(models(QStringLiteral("eta_mlp.pt")));
        QVERIFY(runner);
        auto bad = modelInputs(runner->info(), m_fixture.header, DatasetColumns{}, {QStringLiteral("distance_km")});
        QVERIFY(!bad.ok());
        QVERIFY(bad.errorMessage().contains(QStringLiteral("does not match")));
        QStringList header = m_fixture.header;
        header.removeAll(QStringLiteral("rain_mm"));
        auto missing = modelInputs(runner->info(), header, DatasetColumns{}, {});
        QVERIFY(missing.errorMessage().contains(QStringLiteral("rain_mm")));
    }

    void cancelStopsBetweenBatches()
    {
        auto runner = mustLoad(models(QStringLiteral("eta_mlp.pt")));
        QVERIFY(runner);
        auto in = modelInputs(runner->info(), m_fixture.header, DatasetColumns{}, {});
        std::atomic<bool> cancel{false};
        EvaluationOptions o;
        o.batchSize = 4;
        o.cancel = &cancel;
        int calls = 0;
        o.progress = [&](qint64, qint64) {
            if (++calls == 2)
                cancel = true;
        };
        auto r = evaluateModel(*runner, m_fixture, in.value(), o);
        QVERIFY(r.ok());
        QVERIFY(r->cancelled);
        QCOMPARE(calls, 2);
        QCOMPARE(r->predictions.size(), size_t(8));
    }
};

QTEST_GUILESS_MAIN(TestEvaluator)
#include "test_evaluator.moc"
