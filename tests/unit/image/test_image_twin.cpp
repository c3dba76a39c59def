// The C++ image pipeline against its Python twin (clients/python/mldeck_backend/image_pipeline.py) on
// the same files: image_twin.py writes PNG (gray, RGB, RGBA, palette, tiny, 16-bit gray and RGB), JPEG (RGB,
// gray, all seven EXIF orientations, misnamed .png) and the twin's float32 output for seven specs (all resize modes,
// shrinking and enlarging); every float must agree within kTolerance (images.md states the maximum seen).
#include "core/ml/image/ImagePipeline.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>

using namespace mldeck;

class TestImageTwin final : public QObject
{
    Q_OBJECT

    static constexpr double kTolerance = 1e-5;

    QTemporaryDir m_dir;
    QJsonObject m_cases;

    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QProcess python;
        python.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        python.start(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral(MLDECK_SOURCE_DIR "/tests/unit/image/image_twin.py"), m_dir.path()});
        QVERIFY2(python.waitForFinished(120'000), "image_twin.py did not finish");
        QCOMPARE(python.exitStatus(), QProcess::NormalExit);
        QCOMPARE(python.exitCode(), 0);
        m_cases = QJsonDocument::fromJson(readAll(m_dir.filePath(QStringLiteral("cases.json")))).object();
        QVERIFY(m_cases.value(QStringLiteral("cases")).toArray().size() >= 119);
    }

    void everyFloatAgrees()
    {
        double worst = 0;
        QString worstCase;
        for (const QJsonValue &v : m_cases.value(QStringLiteral("cases")).toArray()) {
            const QJsonObject c = v.toObject();
            const QString file = c.value(QStringLiteral("file")).toString();
            const auto spec = ImageSpec::fromJson(c.value(QStringLiteral("spec")).toObject());
            QVERIFY2(spec.ok(), qPrintable(spec.errorMessage()));
            const auto ours = prepareImage(readAll(m_dir.filePath(file)), spec.value());
            QVERIFY2(ours.ok(), qPrintable(file + QStringLiteral(": ") + ours.errorMessage()));
            const QByteArray raw = readAll(m_dir.filePath(c.value(QStringLiteral("raw")).toString()));
            QCOMPARE(qsizetype(ours->chw.size() * sizeof(float)), raw.size());
            std::vector<float> theirs(ours->chw.size());
            std::memcpy(theirs.data(), raw.constData(), size_t(raw.size()));
            for (size_t i = 0; i < theirs.size(); ++i) {
                const double d = std::abs(double(ours->chw[i]) - double(theirs[i]));
                if (d > worst) {
                    worst = d;
                    worstCase =
                        file + QStringLiteral(" spec ") +
                        QString::fromUtf8(
                            QJsonDocument(c.value(QStringLiteral("spec")).toObject()).toJson(QJsonDocument::Compact));
                }
            }
        }
        qInfo("largest |C++ - Python| over all floats: %.3g (%s); Pillow's own BILINEAR vs the twin: %.3g of 255",
              worst, qPrintable(worstCase), m_cases.value(QStringLiteral("pillow_max_difference")).toDouble());
        QVERIFY2(worst <= kTolerance,
                 qPrintable(QStringLiteral("largest difference %1 in %2").arg(worst).arg(worstCase)));
    }

    // Brightness, contrast and the decoded size (EXIF orientation applied: rotated.jpg is 36 × 48).
    void statsAgree()
    {
        const QJsonObject stats = m_cases.value(QStringLiteral("stats")).toObject();
        QVERIFY(stats.size() >= 17);
        for (auto it = stats.begin(); it != stats.end(); ++it) {
            const QJsonObject theirs = it.value().toObject();
            const auto ours = imageStats(readAll(m_dir.filePath(it.key())));
            QVERIFY2(ours.ok(), qPrintable(ours.errorMessage()));
            QCOMPARE(ours->width, theirs.value(QStringLiteral("width")).toInt());
            QCOMPARE(ours->height, theirs.value(QStringLiteral("height")).toInt());
            QVERIFY(std::abs(ours->brightness - theirs.value(QStringLiteral("brightness")).toDouble()) < 1e-9);
            QVERIFY(std::abs(ours->contrast - theirs.value(QStringLiteral("contrast")).toDouble()) < 1e-9);
        }
        const auto rotated = imageStats(readAll(m_dir.filePath(QStringLiteral("rotated.jpg"))));
        QVERIFY(rotated.ok());
        QCOMPARE(rotated->width, 36);
        QCOMPARE(rotated->height, 48);
    }
};

QTEST_GUILESS_MAIN(TestImageTwin)
#include "test_image_twin.moc"
