#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/DriftReport.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mldeck::drift;

namespace {

// Deterministic normal-ish values (sum of uniforms) without std:: distributions.
std::vector<double> normals(int n, double shift, quint64 seed)
{
    std::vector<double> v;
    quint64 s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (int i = 0; i < n; ++i) {
        double sum = 0;
        for (int k = 0; k < 12; ++k) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            sum += double(s >> 11) / double(1ULL << 53);
        }
        v.push_back(sum - 6 + shift);
    }
    return v;
}

Column numericColumn(const QString &name, std::vector<double> v)
{
    Column c;
    c.name = name;
    c.kind = FeatureKind::Numeric;
    c.numeric = std::move(v);
    return c;
}

Column categoricalColumn(const QString &name, const QStringList &levels, int n, int skewEvery)
{
    Column c;
    c.name = name;
    c.kind = FeatureKind::Categorical;
    for (int i = 0; i < n; ++i)
        c.categorical << (skewEvery > 0 && i % skewEvery == 0 ? levels.constFirst() : levels[i % levels.size()]);
    return c;
}

} // namespace

class TestDriftChoice final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void evidentlyRules_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("rows");
        QTest::addColumn<qint64>("distinct");
        QTest::addColumn<QString>("expected");
        QTest::newRow("numeric small") << int(FeatureKind::Numeric) << qint64(1000) << qint64(500) << "ks";
        QTest::newRow("numeric large") << int(FeatureKind::Numeric) << qint64(1001) << qint64(500) << "wasserstein";
        QTest::newRow("numeric few values small")
            << int(FeatureKind::Numeric) << qint64(500) << qint64(4) << "chisquare";
        QTest::newRow("numeric binary small") << int(FeatureKind::Numeric) << qint64(500) << qint64(2) << "ztest";
        QTest::newRow("numeric few values large")
            << int(FeatureKind::Numeric) << qint64(5000) << qint64(3) << "jensenshannon";
        QTest::newRow("categorical small") << int(FeatureKind::Categorical) << qint64(800) << qint64(5) << "chisquare";
        QTest::newRow("binary small") << int(FeatureKind::Categorical) << qint64(800) << qint64(2) << "ztest";
        QTest::newRow("categorical large")
            << int(FeatureKind::Categorical) << qint64(80000) << qint64(2) << "jensenshannon";
    }
    void evidentlyRules()
    {
        QFETCH(int, kind);
        QFETCH(qint64, rows);
        QFETCH(qint64, distinct);
        QFETCH(QString, expected);
        QCOMPARE(testKey(chooseTest(FeatureKind(kind), rows, distinct, 1000)), expected);
    }

    void smallReferenceUsesPValues()
    {
        Dataset ref, cur;
        ref.columns.push_back(numericColumn(QStringLiteral("x"), normals(800, 0, 1)));
        cur.columns.push_back(numericColumn(QStringLiteral("x"), normals(800, 0.5, 2)));
        ref.columns.push_back(numericColumn(QStringLiteral("same"), normals(800, 0, 3)));
        cur.columns.push_back(numericColumn(QStringLiteral("same"), normals(800, 0, 4)));
        const DatasetDrift r = compareDatasets(ref, cur, {});
        QCOMPARE(r.features.size(), std::size_t(2));
        QCOMPARE(r.features[0].test, TestKind::KolmogorovSmirnov);
        QVERIFY(r.features[0].pValue.has_value());
        QVERIFY(r.features[0].drift);
        QVERIFY(r.features[0].effectSize > 0.3); // Cohen's d of a half-sd shift
        QCOMPARE(r.features[0].threshold, 0.05);
        QVERIFY(!r.features[1].drift);
        QCOMPARE(r.drifted, 1);
        QVERIFY(r.datasetDrift); // 1 of 2 >= 0.5
    }

    void largeReferenceUsesDistances()
    {
        Dataset ref, cur;
        ref.columns.push_back(numericColumn(QStringLiteral("x"), normals(5000, 0, 1)));
        cur.columns.push_back(numericColumn(QStringLiteral("x"), normals(5000, 0.3, 2)));
        ref.columns.push_back(categoricalColumn(
            QStringLiteral("c"), {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}, 5000, 0));
        cur.columns.push_back(categoricalColumn(
            QStringLiteral("c"), {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}, 5000, 2));
        DriftOptions o;
        o.datasetShare = 0.75;
        const DatasetDrift r = compareDatasets(ref, cur, o);
        QCOMPARE(r.features[0].test, TestKind::Wasserstein);
        QVERIFY(!r.features[0].pValue.has_value());
        QVERIFY(r.features[0].drift); // 0.3 sd moved
        QCOMPARE(r.features[1].test, TestKind::JensenShannon);
        QVERIFY(r.features[1].drift);
        QCOMPARE(r.features[1].effectSizeName, QStringLiteral("cramers_v"));
        QVERIFY(r.datasetDrift);
    }

    void overridePerFeature()
    {
        Dataset ref, cur;
        ref.columns.push_back(numericColumn(QStringLiteral("x"), normals(5000, 0, 1)));
        cur.columns.push_back(numericColumn(QStringLiteral("x"), normals(5000, 0.05, 2)));
        DriftOptions o;
        o.testOverrides.insert(QStringLiteral("x"), TestKind::Psi);
        o.thresholdOverrides.insert(QStringLiteral("x"), 0.2);
        const DatasetDrift r = compareDatasets(ref, cur, o);
        QCOMPARE(r.features[0].test, TestKind::Psi);
        QCOMPARE(r.features[0].threshold, 0.2);
        QVERIFY(!r.features[0].drift);
    }

    void tooFewSamplesGiveNoVerdict()
    {
        Dataset ref, cur;
        ref.columns.push_back(numericColumn(QStringLiteral("x"), normals(5000, 0, 1)));
        cur.columns.push_back(numericColumn(QStringLiteral("x"), normals(50, 3, 2)));
        const DatasetDrift r = compareDatasets(ref, cur, {});
        QVERIFY(!r.features[0].enoughSamples);
        QVERIFY(!r.features[0].drift);
        QCOMPARE(r.considered, 0);
        QVERIFY(!r.datasetDrift);
    }

    void jsonListsEveryField()
    {
        Dataset ref, cur;
        ref.columns.push_back(numericColumn(QStringLiteral("x"), normals(600, 0, 1)));
        cur.columns.push_back(numericColumn(QStringLiteral("x"), normals(600, 1, 2)));
        const QJsonObject json = toJson(compareDatasets(ref, cur, {}));
        const QJsonObject f = json.value(QStringLiteral("features")).toArray().at(0).toObject();
        for (const char *key : {"name", "type", "test", "statistic", "p_value", "threshold", "drift", "effect_size"})
            QVERIFY2(f.contains(QLatin1String(key)), key);
        QCOMPARE(f.value(QStringLiteral("type")).toString(), QStringLiteral("numeric"));
        QVERIFY(json.value(QStringLiteral("dataset")).toObject().value(QStringLiteral("drift")).toBool());
    }

    void csvTypesAndErrors()
    {
        QTemporaryDir dir;
        const QString good = dir.filePath(QStringLiteral("a.csv"));
        QFile f(good);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x,kind,ts\n1.5,car,2024\n2,van,2025\n,car,2026\n");
        f.close();
        const auto data = readCsvDataset(good, {QStringLiteral("ts")});
        QVERIFY2(data.ok(), qPrintable(data.errorMessage()));
        QCOMPARE(data->columns.size(), std::size_t(2));
        QCOMPARE(data->columns[0].kind, FeatureKind::Numeric);
        QVERIFY(std::isnan(data->columns[0].numeric[2]));
        QCOMPARE(data->columns[1].kind, FeatureKind::Categorical);

        const QString bad = dir.filePath(QStringLiteral("b.csv"));
        QFile g(bad);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write("x,y\n1,2\n3\n");
        g.close();
        const auto broken = readCsvDataset(bad, {});
        QVERIFY(!broken.ok());
        QVERIFY(broken.errorMessage().contains(QStringLiteral("line 3")));
        QVERIFY(!readCsvDataset(dir.filePath(QStringLiteral("missing.csv")), {}).ok());
    }
};

QTEST_GUILESS_MAIN(TestDriftChoice)
#include "test_drift_choice.moc"
