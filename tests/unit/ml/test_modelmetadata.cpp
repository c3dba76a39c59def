#include "core/ml/ModelMetadata.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace mldeck;

namespace {

QJsonObject valid()
{
    return QJsonDocument::fromJson(R"({
        "format": "mldeck-model", "format_version": 1,
        "model": {"name": "m", "version": "1.2.0"},
        "task": "regression", "target": {"name": "delay_min", "unit": "min"},
        "feature_schema": 1,
        "features": [
            {"name": "a", "kind": "numeric", "mean": 1.5, "std": 2},
            {"name": "z", "kind": "categorical", "categories": ["x", "y", "w"]},
            {"name": "b", "kind": "numeric", "mean": 0, "std": 0.5}
        ],
        "sequence_length": 4,
        "training": {"rows": 1000, "holdout_metrics": {"mae": 2.01, "rmse": 2.5, "r2": 0.71}}
    })")
        .object();
}

QByteArray with(const char *key, const QJsonValue &value)
{
    QJsonObject o = valid();
    if (value.isUndefined())
        o.remove(QLatin1String(key));
    else
        o.insert(QLatin1String(key), value);
    return QJsonDocument(o).toJson();
}

// A classifier's document: version 2, task classification, with the given extra keys.
QByteArray classifier(const QJsonObject &extra, int formatVersion = 2)
{
    QJsonObject o = valid();
    o.insert(u"format_version"_qs, formatVersion);
    o.insert(u"task"_qs, u"classification"_qs);
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o.insert(it.key(), it.value());
    return QJsonDocument(o).toJson();
}

QJsonArray featuresWith(const QJsonObject &extra)
{
    QJsonArray f = valid().value(u"features"_qs).toArray();
    f.append(extra);
    return f;
}

} // namespace

class TestModelMetadata : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsAValidDocument()
    {
        ModelInfo info;
        const Status s = parseModelMetadata(QJsonDocument(valid()).toJson(), info);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QVERIFY(info.hasMetadata);
        QCOMPARE(info.name, u"m"_qs);
        QCOMPARE(info.version, u"1.2.0"_qs);
        QCOMPARE(info.target, u"delay_min"_qs);
        QCOMPARE(info.targetUnit, u"min"_qs);
        QCOMPARE(info.sequenceLength, 4);
        QCOMPARE(info.inputWidth, 2 + 3);
        QCOMPARE(info.schema.numericNames(), QStringList({u"a"_qs, u"b"_qs}));
        QCOMPARE(info.schema.categoricalNames(), QStringList({u"z"_qs}));
        QCOMPARE(info.scalerMean, std::vector<double>({1.5, 0.0}));
        QCOMPARE(info.scalerStd, std::vector<double>({2.0, 0.5}));
        QCOMPARE(info.trainingRows, 1000);
        QCOMPARE(info.holdoutMae.value_or(-1), 2.01);
        QCOMPARE(info.holdoutR2.value_or(-1), 0.71);
    }

    void readsAClassifier()
    {
        ModelInfo info;
        Status s = parseModelMetadata(
            classifier({{u"classes"_qs, QJsonArray{u"declined"_qs, u"accepted"_qs}}, {u"decision_threshold"_qs, 0.3}}),
            info);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(info.formatVersion, 2);
        QCOMPARE(info.classSpec.classes, QStringList({u"declined"_qs, u"accepted"_qs}));
        QCOMPARE(info.classSpec.decisionThreshold, 0.3);
        QVERIFY(!info.outputsLogits);

        QCOMPARE(info.holdoutAccuracy, std::nullopt);
        s = parseModelMetadata(
            classifier({{u"classes"_qs, QJsonArray{u"cat"_qs, u"dog"_qs, u"bird"_qs}},
                        {u"output"_qs, u"logits"_qs},
                        {u"training"_qs, QJsonObject{{u"holdout_metrics"_qs,
                                                      QJsonObject{{u"accuracy"_qs, 0.91}, {u"log_loss"_qs, 0.3}}}}}}),
            info);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(info.classSpec.count(), 3);
        QCOMPARE(info.classSpec.decisionThreshold, 0.5);
        QVERIFY(info.outputsLogits);
        QCOMPARE(info.holdoutAccuracy.value_or(-1), 0.91);
        QCOMPARE(info.holdoutLogLoss.value_or(-1), 0.3);

        // A version-1 classifier predates the keys: a positive-class probability, classes {negative, positive}.
        s = parseModelMetadata(classifier({}, 1), info);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(info.classSpec.classes, QStringList({u"negative"_qs, u"positive"_qs}));
        QCOMPARE(info.classSpec.decisionThreshold, 0.5);
        QVERIFY(!info.outputsLogits);

        // A regression model has no classes.
        s = parseModelMetadata(QJsonDocument(valid()).toJson(), info);
        QVERIFY(s.ok());
        QCOMPARE(info.classSpec.count(), 0);
    }

    void refusesBadClassifiers_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        const QJsonArray two{u"no"_qs, u"yes"_qs};
        QTest::newRow("v2 without classes") << classifier({}) << u"\"classes\""_qs;
        QTest::newRow("one class") << classifier({{u"classes"_qs, QJsonArray{u"only"_qs}}}) << u"two classes"_qs;
        QTest::newRow("duplicate class") << classifier({{u"classes"_qs, QJsonArray{u"a"_qs, u"a"_qs}}})
                                         << u"named twice"_qs;
        QTest::newRow("classes not names") << classifier({{u"classes"_qs, QJsonArray{1, 2}}}) << u"class names"_qs;
        QTest::newRow("threshold 1") << classifier({{u"classes"_qs, two}, {u"decision_threshold"_qs, 1}})
                                     << u"strictly between 0 and 1"_qs;
        QTest::newRow("threshold text") << classifier({{u"classes"_qs, two}, {u"decision_threshold"_qs, u"x"_qs}})
                                        << u"must be a number"_qs;
        QTest::newRow("multi-class threshold")
            << classifier({{u"classes"_qs, QJsonArray{u"a"_qs, u"b"_qs, u"c"_qs}}, {u"decision_threshold"_qs, 0.4}})
            << u"binary classifier only"_qs;
        QTest::newRow("unknown output") << classifier({{u"classes"_qs, two}, {u"output"_qs, u"scores"_qs}})
                                        << u"\"output\""_qs;
        QTest::newRow("output not text") << classifier({{u"classes"_qs, two}, {u"output"_qs, 1}}) << u"\"output\""_qs;
        QJsonObject regression = valid();
        regression.insert(u"classes"_qs, two);
        QTest::newRow("regression with classes") << QJsonDocument(regression).toJson() << u"\"classification\" only"_qs;
    }

    void refusesBadClassifiers()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        ModelInfo info;
        const Status s = parseModelMetadata(json, info);
        QVERIFY(!s.ok());
        QVERIFY2(s.errorMessage().contains(expected), qPrintable(s.errorMessage()));
        QVERIFY(!info.hasMetadata);
    }

    void refusesBadDocuments_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected"); // a piece of the message
        QTest::newRow("not json") << QByteArray("{\"format\": ") << u"not valid JSON"_qs;
        QTest::newRow("array") << QByteArray("[1, 2]") << u"JSON object"_qs;
        QTest::newRow("other format") << with("format", u"onnx"_qs) << u"\"format\""_qs;
        QTest::newRow("future version") << with("format_version", 3) << u"not supported"_qs;
        QTest::newRow("fractional version") << with("format_version", 1.5) << u"whole number"_qs;
        QTest::newRow("no model") << with("model", QJsonValue::Undefined) << u"\"model\""_qs;
        QTest::newRow("unknown task") << with("task", u"ranking"_qs) << u"\"task\""_qs;
        QTest::newRow("no target") << with("target", QJsonObject{}) << u"\"target\""_qs;
        QTest::newRow("no features") << with("features", QJsonArray{}) << u"\"features\""_qs;
        QTest::newRow("duplicate feature")
            << with("features",
                    featuresWith({{u"name"_qs, u"a"_qs}, {u"kind"_qs, u"numeric"_qs}, {u"mean"_qs, 0}, {u"std"_qs, 1}}))
            << u"twice"_qs;
        QTest::newRow("zero std")
            << with("features",
                    featuresWith({{u"name"_qs, u"c"_qs}, {u"kind"_qs, u"numeric"_qs}, {u"mean"_qs, 0}, {u"std"_qs, 0}}))
            << u"\"std\" above 0"_qs;
        QTest::newRow("no scaler") << with("features",
                                           featuresWith({{u"name"_qs, u"c"_qs}, {u"kind"_qs, u"numeric"_qs}}))
                                   << u"\"mean\""_qs;
        QTest::newRow("no categories") << with("features",
                                               featuresWith({{u"name"_qs, u"c"_qs}, {u"kind"_qs, u"categorical"_qs}}))
                                       << u"\"categories\""_qs;
        QTest::newRow("duplicate category")
            << with("features", featuresWith({{u"name"_qs, u"c"_qs},
                                              {u"kind"_qs, u"categorical"_qs},
                                              {u"categories"_qs, QJsonArray{u"p"_qs, u"p"_qs}}}))
            << u"duplicate"_qs;
        QTest::newRow("unknown kind") << with("features",
                                              featuresWith({{u"name"_qs, u"c"_qs}, {u"kind"_qs, u"text"_qs}}))
                                      << u"kind \"text\""_qs;
        QTest::newRow("sequence 0") << with("sequence_length", 0) << u"\"sequence_length\""_qs;
        QTest::newRow("no sequence") << with("sequence_length", QJsonValue::Undefined) << u"\"sequence_length\""_qs;
    }

    void refusesBadDocuments()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        ModelInfo info;
        const Status s = parseModelMetadata(json, info);
        QVERIFY(!s.ok());
        QVERIFY2(s.errorMessage().contains(expected), qPrintable(s.errorMessage()));
        QVERIFY(s.errorMessage().startsWith(u"model metadata (mldeck.json): "_qs));
        QVERIFY(!info.hasMetadata);
    }
};

QTEST_GUILESS_MAIN(TestModelMetadata)
#include "test_modelmetadata.moc"
