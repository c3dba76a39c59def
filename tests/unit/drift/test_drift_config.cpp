#include "core/stats/drift/DriftConfig.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace mldeck::drift;

// The drift settings' one parser: the reference grammar (first_rows:N, the default, and the older
// forms) and the range of every key, as the guard, the CLI and the settings editor all apply it.
class TestDriftConfig final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultIsTheFirstRows()
    {
        QCOMPARE(defaultReferenceSpec(), QStringLiteral("first_rows:5000"));
        QCOMPARE(defaultReferenceSpec(200), QStringLiteral("first_rows:200"));
        const auto none = DriftConfig::fromJson({});
        QVERIFY(none.ok());
        QCOMPARE(none->reference.kind, ReferenceSpec::Kind::FirstRows);
        QCOMPARE(none->reference.rows, 5000);
        QVERIFY(none->multivariate); // the PCA line is on by default: 65 % of the variance, chunks of the window's rows
        // (at most a tenth of the reference, at least min_samples)
        QCOMPARE(none->pca.varianceShare, 0.65);
        QCOMPARE(none->pca.chunkRows, qint64(0));
        QCOMPARE(ReferenceSpec::parse(QString()).value().toString(), QStringLiteral("first_rows:5000"));
    }

    void referenceTexts_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("normalised"); // empty: refused
        QTest::newRow("first rows") << QStringLiteral("first_rows:1200") << QStringLiteral("first_rows:1200");
        QTest::newRow("first rows, spaces") << QStringLiteral(" FIRST_ROWS: 100 ") << QStringLiteral("first_rows:100");
        QTest::newRow("too few rows") << QStringLiteral("first_rows:99") << QString();
        QTest::newRow("too many rows") << QStringLiteral("first_rows:10000001") << QString();
        QTest::newRow("rows not a number") << QStringLiteral("first_rows:lots") << QString();
        QTest::newRow("rows missing") << QStringLiteral("first_rows") << QString();
        QTest::newRow("auto") << QStringLiteral("auto") << QStringLiteral("auto");
        QTest::newRow("model") << QStringLiteral("model") << QStringLiteral("model");
        QTest::newRow("snapshot") << QStringLiteral("snapshot:training") << QStringLiteral("snapshot:training");
        QTest::newRow("snapshot without a name") << QStringLiteral("snapshot:") << QString();
        QTest::newRow("period") << QStringLiteral("period:2024-05-01T00:00:00Z/2024-05-02T00:00:00Z")
                                << QStringLiteral("period:2024-05-01T00:00:00Z/2024-05-02T00:00:00Z");
        QTest::newRow("period backwards")
            << QStringLiteral("period:2024-05-02T00:00:00Z/2024-05-01T00:00:00Z") << QString();
        QTest::newRow("first duration") << QStringLiteral("first:1h") << QStringLiteral("first:3600s");
        QTest::newRow("previous duration") << QStringLiteral("previous:30m") << QStringLiteral("previous:1800s");
        QTest::newRow("unknown") << QStringLiteral("yesterday") << QString();
    }

    void referenceTexts()
    {
        QFETCH(QString, text);
        QFETCH(QString, normalised);
        const auto r = ReferenceSpec::parse(text);
        if (normalised.isEmpty()) {
            QVERIFY2(!r.ok(), qPrintable(text));
            QVERIFY(!r.errorMessage().isEmpty());
            return;
        }
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->toString(), normalised);
        QCOMPARE(ReferenceSpec::parse(r->toString()).value().toString(), normalised); // reads back the same
    }

    void everyKeyIsChecked_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("window") << QStringLiteral("window") << QJsonValue(QStringLiteral("10m")) << true;
        QTest::newRow("window zero") << QStringLiteral("window") << QJsonValue(QStringLiteral("0m")) << false;
        QTest::newRow("interval text") << QStringLiteral("interval") << QJsonValue(QStringLiteral("soon")) << false;
        QTest::newRow("k") << QStringLiteral("k") << QJsonValue(3) << true;
        QTest::newRow("k zero") << QStringLiteral("k") << QJsonValue(0) << false;
        QTest::newRow("k fraction") << QStringLiteral("k") << QJsonValue(2.5) << false;
        QTest::newRow("min_samples") << QStringLiteral("min_samples") << QJsonValue(1) << true;
        QTest::newRow("min_samples zero") << QStringLiteral("min_samples") << QJsonValue(0) << false;
        QTest::newRow("max_rows small") << QStringLiteral("max_rows") << QJsonValue(50) << false;
        QTest::newRow("p_value") << QStringLiteral("p_value") << QJsonValue(0.01) << true;
        QTest::newRow("p_value one") << QStringLiteral("p_value") << QJsonValue(1) << false;
        QTest::newRow("p_value text") << QStringLiteral("p_value") << QJsonValue(QStringLiteral("0.05")) << false;
        QTest::newRow("distance") << QStringLiteral("distance") << QJsonValue(0.2) << true;
        QTest::newRow("distance zero") << QStringLiteral("distance") << QJsonValue(0) << false;
        QTest::newRow("dataset_share one") << QStringLiteral("dataset_share") << QJsonValue(1) << true;
        QTest::newRow("dataset_share above one") << QStringLiteral("dataset_share") << QJsonValue(1.1) << false;
        QTest::newRow("reference") << QStringLiteral("reference") << QJsonValue(QStringLiteral("first_rows:300"))
                                   << true;
        QTest::newRow("reference number") << QStringLiteral("reference") << QJsonValue(5000) << false;
        QTest::newRow("ignore") << QStringLiteral("ignore") << QJsonValue(QJsonArray{QStringLiteral("hour")}) << true;
        QTest::newRow("ignore numbers") << QStringLiteral("ignore") << QJsonValue(QJsonArray{1}) << false;
        QTest::newRow("tests") << QStringLiteral("tests")
                               << QJsonValue(QJsonObject{{QStringLiteral("x"), QStringLiteral("psi")}}) << true;
        QTest::newRow("tests unknown") << QStringLiteral("tests")
                                       << QJsonValue(QJsonObject{{QStringLiteral("x"), QStringLiteral("t")}}) << false;
        QTest::newRow("thresholds") << QStringLiteral("thresholds")
                                    << QJsonValue(QJsonObject{{QStringLiteral("x"), 0.2}}) << true;
        QTest::newRow("thresholds negative")
            << QStringLiteral("thresholds") << QJsonValue(QJsonObject{{QStringLiteral("x"), -0.2}}) << false;
        // The multivariate line.
        QTest::newRow("multivariate") << QStringLiteral("multivariate") << QJsonValue(false) << true;
        QTest::newRow("multivariate text")
            << QStringLiteral("multivariate") << QJsonValue(QStringLiteral("no")) << false;
        QTest::newRow("pca_variance") << QStringLiteral("pca_variance") << QJsonValue(0.9) << true;
        QTest::newRow("pca_variance 0.999") << QStringLiteral("pca_variance") << QJsonValue(0.999) << true;
        // Every component kept: nothing left to reconstruct.
        QTest::newRow("pca_variance all") << QStringLiteral("pca_variance") << QJsonValue(1) << false;
        QTest::newRow("pca_variance zero") << QStringLiteral("pca_variance") << QJsonValue(0) << false;
        QTest::newRow("pca_variance above 1") << QStringLiteral("pca_variance") << QJsonValue(1.5) << false;
        QTest::newRow("pca_chunk_rows") << QStringLiteral("pca_chunk_rows") << QJsonValue(500) << true;
        QTest::newRow("pca_chunk_rows window") << QStringLiteral("pca_chunk_rows") << QJsonValue(0) << true;
        QTest::newRow("pca_chunk_rows negative") << QStringLiteral("pca_chunk_rows") << QJsonValue(-1) << false;
        QTest::newRow("pca_chunk_rows fraction") << QStringLiteral("pca_chunk_rows") << QJsonValue(2.5) << false;
        // An image deployment's images sampled per side.
        QTest::newRow("image_sample") << QStringLiteral("image_sample") << QJsonValue(500) << true;
        QTest::newRow("image_sample too few") << QStringLiteral("image_sample") << QJsonValue(99) << false;
        QTest::newRow("image_sample too many") << QStringLiteral("image_sample") << QJsonValue(100001) << false;
        QTest::newRow("image_sample fraction") << QStringLiteral("image_sample") << QJsonValue(250.5) << false;
    }

    void everyKeyIsChecked()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(bool, accepted);
        const auto c = DriftConfig::fromJson({{key, value}});
        QCOMPARE(c.ok(), accepted);
        if (!accepted)
            QVERIFY2(c.errorMessage().contains(key) || key == QLatin1String("reference") ||
                         key == QLatin1String("window") || key == QLatin1String("tests"),
                     qPrintable(c.errorMessage()));
    }

    void writtenSettingsReadBack()
    {
        DriftConfig c;
        c.reference = ReferenceSpec::firstRows(700);
        c.ignore = {QStringLiteral("hour")};
        c.multivariate = false;
        c.pca.varianceShare = 0.8;
        c.pca.chunkRows = 250;
        c.imageSample = 300;
        const auto again = DriftConfig::fromJson(c.toJson());
        QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
        QCOMPARE(again->toJson(), c.toJson());
    }
};

QTEST_GUILESS_MAIN(TestDriftConfig)
#include "test_drift_config.moc"
