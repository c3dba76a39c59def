// The image pipeline on images made here: exact values where the arithmetic is exact (same size,
// constant images, padding), the resize modes' geometry, luma, statistics, and clear errors for what
// is not a decodable image (empty, not an image, truncated, too many pixels) — a wrong-sized image is
// no error: it is resized, its size reported.
#include "core/ml/image/ImagePipeline.h"

#include <QBuffer>
#include <QJsonArray>
#include <QTest>

#include <cmath>

using namespace mldeck;

namespace {

QByteArray encode(const QImage &image, const char *format)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, format);
    return bytes;
}

ImageSpec spec(int w, int h, int channels, ImageSpec::Resize resize = ImageSpec::Resize::Stretch)
{
    ImageSpec s;
    s.width = w;
    s.height = h;
    s.channels = channels;
    s.resize = resize;
    s.mean.assign(size_t(channels), 0.0);
    s.std.assign(size_t(channels), 1.0);
    return s;
}

QImage filled(int w, int h, QColor colour)
{
    QImage image(w, h, QImage::Format_RGB888);
    image.fill(colour);
    return image;
}

} // namespace

class TestImagePipeline final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Same size: no resampling, every value is v/255 normalised, laid out CHW.
    void sameSizeIsExact()
    {
        QImage image(3, 2, QImage::Format_RGB888);
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x)
                image.setPixelColor(x, y, QColor(10 * x, 100 + y, 200));
        ImageSpec s = spec(3, 2, 3);
        s.mean = {0.5, 0.25, 0.0};
        s.std = {0.5, 2.0, 1.0};
        const auto p = prepareImage(encode(image, "PNG"), s);
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        QCOMPARE(p->chw.size(), size_t(18));
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x) {
                QCOMPARE(p->chw[size_t(0 * 6 + y * 3 + x)], float((10 * x / 255.0 - 0.5) / 0.5));
                QCOMPARE(p->chw[size_t(1 * 6 + y * 3 + x)], float(((100 + y) / 255.0 - 0.25) / 2.0));
                QCOMPARE(p->chw[size_t(2 * 6 + y * 3 + x)], float(200 / 255.0));
            }
    }

    // A constant image stays constant whatever the resize (the weights sum to 1); gray is the luma.
    void constantImageStaysConstant()
    {
        const QByteArray bytes = encode(filled(37, 19, QColor(200, 100, 50)), "PNG");
        const double luma = (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255.0;
        for (auto mode : {ImageSpec::Resize::Stretch, ImageSpec::Resize::Crop}) {
            const auto gray = prepareImage(bytes, spec(8, 8, 1, mode));
            QVERIFY(gray.ok());
            for (float v : gray->chw)
                QVERIFY(std::abs(v - luma) < 1e-6);
            const auto big = prepareImage(bytes, spec(100, 50, 3, mode));
            QVERIFY(big.ok());
            QVERIFY(std::abs(big->chw.front() - 200 / 255.0) < 1e-6);
            QVERIFY(std::abs(big->chw.back() - 50 / 255.0) < 1e-6);
        }
    }

    // Fit keeps the aspect ratio and pads with 0 (before normalisation): a 40 × 10 image in 8 × 8 becomes
    // 8 × 2 at rows 3 and 4; the padding normalises to (0 - mean) / std.
    void fitPadsCentred()
    {
        ImageSpec s = spec(8, 8, 1, ImageSpec::Resize::Fit);
        s.mean = {0.5};
        s.std = {0.25};
        const auto p = prepareImage(encode(filled(40, 10, Qt::white), "PNG"), s);
        QVERIFY(p.ok());
        for (int y = 0; y < 8; ++y) {
            const float expected = (y == 3 || y == 4) ? float((1.0 - 0.5) / 0.25) : float((0.0 - 0.5) / 0.25);
            for (int x = 0; x < 8; ++x)
                QVERIFY2(std::abs(p->chw[size_t(y * 8 + x)] - expected) < 1e-5, qPrintable(QString::number(y)));
        }
    }

    // Crop keeps the centre: a 30 × 10 image scaled to 12 × 4, columns 4-7 kept; they read source
    // columns 9-20 only (filter support 2.5 source pixels), so a white band 7-22 fills the crop while
    // stretch (which sees the black sides) does not.
    void cropKeepsTheCentre()
    {
        QImage image = filled(30, 10, Qt::black);
        for (int y = 0; y < 10; ++y)
            for (int x = 7; x < 23; ++x)
                image.setPixelColor(x, y, Qt::white);
        const auto p = prepareImage(encode(image, "PNG"), spec(4, 4, 1, ImageSpec::Resize::Crop));
        QVERIFY(p.ok());
        for (float v : p->chw)
            QVERIFY(std::abs(v - 1.0f) < 1e-5);
        const auto stretched = prepareImage(encode(image, "PNG"), spec(4, 4, 1));
        QVERIFY(stretched.ok());
        QVERIFY(stretched->chw[0] < 0.5f);
    }

    // Shrinking averages (antialiased): a 1-pixel checkerboard shrunk 4× is mid-gray, not aliased.
    void shrinkingAverages()
    {
        QImage image(64, 64, QImage::Format_Grayscale8);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x)
                image.setPixelColor(x, y, (x + y) % 2 ? Qt::white : Qt::black);
        const auto p = prepareImage(encode(image, "PNG"), spec(16, 16, 1));
        QVERIFY(p.ok());
        for (float v : p->chw)
            QVERIFY2(std::abs(v - 0.5f) < 0.07f, qPrintable(QString::number(v)));
    }

    void statsOfTheDecodedImage()
    {
        QImage image = filled(20, 10, Qt::black);
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 10; ++x)
                image.setPixelColor(x, y, Qt::white);
        const auto s = imageStats(encode(image, "PNG"));
        QVERIFY(s.ok());
        QCOMPARE(s->width, 20);
        QCOMPARE(s->height, 10);
        QVERIFY(std::abs(s->brightness - 0.5) < 1e-9);
        QVERIFY(std::abs(s->contrast - 0.5) < 1e-9);
        // The same through prepareImage, whose input size differs from the image's: resized, size kept.
        const auto p = prepareImage(encode(image, "PNG"), spec(5, 5, 3));
        QVERIFY(p.ok());
        QCOMPARE(p->stats.width, 20);
        QCOMPARE(p->stats.height, 10);
        QCOMPARE(p->chw.size(), size_t(75));
    }

    void badInputIsRefusedClearly_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("message");
        const QByteArray png = encode(filled(50, 50, Qt::red), "PNG");
        QTest::newRow("empty") << QByteArray() << u"empty"_qs;
        QTest::newRow("text") << QByteArray("label,confidence\ncat,0.9\n") << u"not an image"_qs;
        QTest::newRow("truncated png") << png.left(png.size() / 2) << u"PNG image is truncated or corrupt"_qs;
        const QByteArray jpeg = encode(filled(64, 48, Qt::red), "JPEG");
        QTest::newRow("truncated jpeg") << jpeg.left(jpeg.size() * 9 / 10) << u"JPEG image is truncated or corrupt"_qs;
        // 8000 × 7000 = 56 megapixels: refused from the header, before any pixel is decoded.
        QImage huge(8000, 7000, QImage::Format_Mono);
        huge.fill(0);
        QTest::newRow("too many pixels") << encode(huge, "PNG") << u"megapixels"_qs;
    }

    void badInputIsRefusedClearly()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, message);
        const auto p = prepareImage(bytes, spec(8, 8, 3));
        QVERIFY(!p.ok());
        QVERIFY2(p.errorMessage().contains(message), qPrintable(p.errorMessage()));
        QVERIFY(!imageStats(bytes).ok());
    }

    void specJson()
    {
        ImageSpec s = spec(16, 8, 3, ImageSpec::Resize::Crop);
        s.mean = {0.1, 0.2, 0.3};
        s.std = {0.4, 0.5, 0.6};
        const auto back = ImageSpec::fromJson(s.toJson());
        QVERIFY(back.ok());
        QCOMPARE(back->width, 16);
        QCOMPARE(back->height, 8);
        QCOMPARE(back->resize, ImageSpec::Resize::Crop);
        QCOMPARE(back->std, s.std);
        QCOMPARE(back->inputWidth(), 3 * 16 * 8);
        // Defaults: stretch, mean 0, std 1.
        const auto plain = ImageSpec::fromJson({{u"width"_qs, 4}, {u"height"_qs, 4}, {u"channels"_qs, 1}});
        QVERIFY(plain.ok());
        QCOMPARE(plain->resize, ImageSpec::Resize::Stretch);
        QCOMPARE(plain->mean, std::vector<double>{0.0});
        QCOMPARE(plain->std, std::vector<double>{1.0});
    }

    void specRefusals_data()
    {
        QTest::addColumn<QJsonObject>("json");
        QTest::addColumn<QString>("field");
        const QJsonObject ok{{u"width"_qs, 4}, {u"height"_qs, 4}, {u"channels"_qs, 3}};
        auto with = [&](const QString &k, const QJsonValue &v) {
            QJsonObject o = ok;
            o.insert(k, v);
            return o;
        };
        QTest::newRow("channels 2") << with(u"channels"_qs, 2) << u"channels"_qs;
        QTest::newRow("no width") << QJsonObject{{u"height"_qs, 4}, {u"channels"_qs, 1}} << u"width"_qs;
        QTest::newRow("width 0") << with(u"width"_qs, 0) << u"width"_qs;
        QTest::newRow("fractional") << with(u"height"_qs, 4.5) << u"height"_qs;
        QTest::newRow("resize") << with(u"resize"_qs, u"squash"_qs) << u"resize"_qs;
        QTest::newRow("mean length") << with(u"mean"_qs, QJsonArray{0.5}) << u"mean"_qs;
        QTest::newRow("std zero") << with(u"std"_qs, QJsonArray{1, 0, 1}) << u"std"_qs;
        QTest::newRow("std text") << with(u"std"_qs, QJsonArray{1, u"a"_qs, 1}) << u"std"_qs;
    }

    void specRefusals()
    {
        QFETCH(QJsonObject, json);
        QFETCH(QString, field);
        const auto s = ImageSpec::fromJson(json);
        QVERIFY(!s.ok());
        QVERIFY2(s.errorMessage().contains(u'"' + field + u'"'), qPrintable(s.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestImagePipeline)
#include "test_image_pipeline.moc"
