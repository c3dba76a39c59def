// Image models: the "input": "image" metadata of mldeck.json (parsed, refused with the field named), and a
// CNN exported by python3-torch (image_model.py) run through the model worker on images prepared by the
// C++ pipeline: the probabilities match torch's on the Python twin's arrays.
#include "core/ml/ModelRunner.h"
#include "core/ml/image/ImagePipeline.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mldeck;

namespace {

QJsonObject imageModel()
{
    return QJsonDocument::fromJson(R"({
        "format": "mldeck-model", "format_version": 2, "model": {"name": "cnn", "version": "1"},
        "task": "classification", "target": {"name": "animal"}, "classes": ["cat", "dog"],
        "input": "image",
        "image": {"width": 32, "height": 24, "channels": 3, "resize": "fit",
                  "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}})")
        .object();
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestImageModel final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void parsesAnImageModel()
    {
        ModelInfo info;
        const Status parsed = parseModelMetadata(json(imageModel()), info);
        QVERIFY2(parsed.ok(), qPrintable(parsed.errorMessage()));
        QVERIFY(info.image.has_value());
        QCOMPARE(info.image->resize, ImageSpec::Resize::Fit);
        QCOMPARE(info.inputWidth, 3 * 32 * 24);
        QCOMPARE(info.sequenceLength, 1);
        QVERIFY(info.schema.features.empty());
        QCOMPARE(info.classSpec.classes, (QStringList{u"cat"_qs, u"dog"_qs}));

        // A tabular model has no image; "input": "features" says so explicitly.
        QJsonObject tabular = imageModel();
        tabular.remove(u"image"_qs);
        tabular.insert(u"input"_qs, u"features"_qs);
        tabular.insert(u"sequence_length"_qs, 1);
        tabular.insert(u"features"_qs,
                       QJsonArray{QJsonObject{
                           {u"name"_qs, u"x"_qs}, {u"kind"_qs, u"numeric"_qs}, {u"mean"_qs, 0}, {u"std"_qs, 1}}});
        ModelInfo plain;
        QVERIFY(parseModelMetadata(json(tabular), plain).ok());
        QVERIFY(!plain.image.has_value());
        QCOMPARE(plain.inputWidth, 1);
    }

    void refusals_data()
    {
        QTest::addColumn<QJsonObject>("doc");
        QTest::addColumn<QString>("message");
        auto with = [](const QString &key, const QJsonValue &v) {
            QJsonObject o = imageModel();
            if (v.isUndefined())
                o.remove(key);
            else
                o.insert(key, v);
            return o;
        };
        auto withImage = [&](const QString &key, const QJsonValue &v) {
            QJsonObject image = imageModel().value(u"image"_qs).toObject();
            image.insert(key, v);
            return with(u"image"_qs, image);
        };
        QJsonObject regression = with(u"task"_qs, u"regression"_qs);
        regression.remove(u"classes"_qs);
        QTest::newRow("not a classifier") << regression << u"must be a classifier"_qs;
        QTest::newRow("no image object") << with(u"image"_qs, QJsonValue::Undefined) << u"\"image\" object"_qs;
        QTest::newRow("channels 4") << withImage(u"channels"_qs, 4) << u"\"channels\""_qs;
        QTest::newRow("mean length") << withImage(u"mean"_qs, QJsonArray{0.5}) << u"\"mean\""_qs;
        QTest::newRow("std 0") << withImage(u"std"_qs, QJsonArray{0.2, 0, 0.2}) << u"\"std\""_qs;
        QTest::newRow("resize") << withImage(u"resize"_qs, u"zoom"_qs) << u"\"resize\""_qs;
        QTest::newRow("features too") << with(u"features"_qs, QJsonArray{QJsonObject{{u"name"_qs, u"x"_qs},
                                                                                     {u"kind"_qs, u"numeric"_qs}}})
                                      << u"no \"features\""_qs;
        QTest::newRow("sequence") << with(u"sequence_length"_qs, 4) << u"\"sequence_length\" must be 1"_qs;
        QTest::newRow("unknown input") << with(u"input"_qs, u"audio"_qs) << u"\"input\""_qs;
        QJsonObject imageOnTabular = imageModel();
        imageOnTabular.remove(u"input"_qs);
        QTest::newRow("image without input") << imageOnTabular << u"\"input\": \"image\""_qs;
    }

    void refusals()
    {
        QFETCH(QJsonObject, doc);
        QFETCH(QString, message);
        ModelInfo info;
        const Status parsed = parseModelMetadata(json(doc), info);
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.errorMessage().contains(message), qPrintable(parsed.errorMessage()));
    }

    void runsAPythonCnn()
    {
        QVERIFY(m_dir.isValid());
        QProcess python;
        python.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        python.start(u"/usr/bin/python3"_qs,
                     {QStringLiteral(MLDECK_SOURCE_DIR "/tests/unit/image/image_model.py"), m_dir.path()});
        QVERIFY2(python.waitForFinished(120'000), "image_model.py did not finish");
        QCOMPARE(python.exitCode(), 0);
        const QJsonObject expected = QJsonDocument::fromJson(readAll(m_dir.filePath(u"expected.json"_qs))).object();

        auto runner = ModelRunner::load(m_dir.filePath(u"cnn.pt"_qs));
        QVERIFY2(runner.ok(), qPrintable(runner.errorMessage()));
        ModelRunner &model = *runner.value();
        QVERIFY(model.info().image.has_value());
        const ImageSpec spec = *model.info().image;

        const QJsonArray images = expected.value(u"images"_qs).toArray();
        std::vector<float> batch;
        for (const QJsonValue &name : images) {
            const auto prepared = prepareImage(readAll(m_dir.filePath(name.toString())), spec);
            QVERIFY2(prepared.ok(), qPrintable(prepared.errorMessage()));
            batch.insert(batch.end(), prepared->chw.begin(), prepared->chw.end());
        }
        const auto p = model.predictImageProbabilities(batch.data(), images.size());
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        QCOMPARE(p->rows(), size_t(images.size()));
        const QJsonArray theirs = expected.value(u"probabilities"_qs).toArray();
        double worst = 0;
        for (qsizetype i = 0; i < images.size(); ++i)
            for (int k = 0; k < 3; ++k)
                worst = std::max(worst, std::abs(p->row(size_t(i))[size_t(k)] - theirs[i].toArray()[k].toDouble()));
        qInfo("largest |MLDeck - torch| probability: %.3g", worst);
        QVERIFY(worst < 1e-5);

        // Feature rows are not images; an empty batch is an empty answer.
        QVERIFY(model.predictProbabilities({FeatureRow{}}).errorMessage().contains(u"image model"_qs));
        const auto none = model.predictImageProbabilities(nullptr, 0);
        QVERIFY(none.ok());
        QCOMPARE(none->rows(), size_t(0));

        // Metadata that says 1 channel for a network that takes 3: refused at load, the shape named.
        const auto wrong = ModelRunner::load(m_dir.filePath(u"wrong_channels.pt"_qs));
        QVERIFY(!wrong.ok());
        QVERIFY2(wrong.errorMessage().contains(u"[C, H, W] = [1, 12, 10]"_qs), qPrintable(wrong.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestImageModel)
#include "test_image_model.moc"
