#include "core/ml/image/ImagePipeline.h"
#include "core/Text.h"

#include <QBuffer>
#include <QImageReader>

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

// The luma of an RGB pixel (ITU-R BT.601 weights), in double, never rounded: the Python twin computes
// exactly these operations in the same order.
inline double luma(const uchar *rgb)
{
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
}

// The taps of one output sample: the first input sample it reads and the normalised weights.
struct Taps
{
    int first = 0;
    std::vector<double> weights;
};

// Resampling an axis of inSize samples to outSize, for the output samples [from, from + count): a
// triangle (bilinear) filter whose support grows with the shrink factor, so shrinking averages every
// input sample (antialiased, as Pillow's BILINEAR). Sample centres sit at index + 0.5; taps that fall
// outside the image are dropped and the others renormalised.
std::vector<Taps> axisTaps(int inSize, int outSize, int from, int count)
{
    const double scale = double(inSize) / double(outSize);
    const double filterScale = std::max(scale, 1.0);
    const double support = filterScale; // the triangle's radius, 1 input sample when enlarging
    std::vector<Taps> taps(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        const double centre = (from + i + 0.5) * scale;
        const int lo = std::max(int(std::floor(centre - support + 0.5)), 0);
        const int hi = std::min(int(std::floor(centre + support + 0.5)), inSize);
        Taps &t = taps[size_t(i)];
        t.first = lo;
        double sum = 0;
        for (int j = lo; j < hi; ++j) {
            const double w = std::max(0.0, 1.0 - std::abs((j - centre + 0.5) / filterScale));
            t.weights.push_back(w);
            sum += w;
        }
        for (double &w : t.weights)
            w /= sum;
    }
    return taps;
}

int roundHalfUp(double x)
{
    return int(std::floor(x + 0.5));
}

// 8-bit RGB. 16-bit samples keep their high byte (v >> 8: what Pillow gives for a 16-bit PNG), done
// here rather than by Qt's conversion, which rounds; everything else is converted by Qt.
QImage asRgb888(const QImage &image)
{
    const int w = image.width(), h = image.height();
    switch (image.format()) {
    case QImage::Format_RGB888:
        return image;
    case QImage::Format_Grayscale16: {
        QImage gray(w, h, QImage::Format_Grayscale8);
        for (int y = 0; y < h; ++y) {
            const auto *src = reinterpret_cast<const quint16 *>(image.constScanLine(y));
            uchar *dst = gray.scanLine(y);
            for (int x = 0; x < w; ++x)
                dst[x] = uchar(src[x] >> 8);
        }
        return gray.convertToFormat(QImage::Format_RGB888);
    }
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
    case QImage::Format_RGBA64_Premultiplied: {
        const QImage straight = image.format() == QImage::Format_RGBA64_Premultiplied
                                    ? image.convertToFormat(QImage::Format_RGBA64)
                                    : image;
        QImage rgb(w, h, QImage::Format_RGB888);
        for (int y = 0; y < h; ++y) {
            const auto *src = reinterpret_cast<const QRgba64 *>(straight.constScanLine(y));
            uchar *dst = rgb.scanLine(y);
            for (int x = 0; x < w; ++x) {
                dst[3 * x] = uchar(src[x].red() >> 8);
                dst[3 * x + 1] = uchar(src[x].green() >> 8);
                dst[3 * x + 2] = uchar(src[x].blue() >> 8);
            }
        }
        return rgb;
    }
    default:
        return image.convertToFormat(QImage::Format_RGB888);
    }
}

ImageStats statsOfRgb(const QImage &rgb)
{
    ImageStats stats;
    const int w = rgb.width(), h = rgb.height();
    stats.width = w;
    stats.height = h;
    const double n = double(w) * double(h);
    if (n == 0)
        return stats;
    // Two passes (mean, then squared deviations) in luma units, scaled to [0, 1] at the end.
    double sum = 0;
    for (int y = 0; y < h; ++y) {
        const uchar *line = rgb.constScanLine(y);
        for (int x = 0; x < w; ++x)
            sum += luma(line + 3 * x);
    }
    const double mean = sum / n;
    double squares = 0;
    for (int y = 0; y < h; ++y) {
        const uchar *line = rgb.constScanLine(y);
        for (int x = 0; x < w; ++x) {
            const double d = luma(line + 3 * x) - mean;
            squares += d * d;
        }
    }
    stats.brightness = mean / 255.0;
    stats.contrast = std::sqrt(squares / n) / 255.0;
    return stats;
}

} // namespace

Result<QImage> decodeImage(const QByteArray &encoded)
{
    if (encoded.isEmpty())
        return Error{MlText::tr("the file is empty")};
    QBuffer buffer;
    buffer.setData(encoded);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    reader.setDecideFormatFromContent(true); // the content decides, never the name
    reader.setAutoTransform(true);           // EXIF orientation applied
    reader.setQuality(100);                  // JPEG: libjpeg's accurate DCT and upsampling (as Pillow)
    if (!reader.canRead())
        return Error{MlText::tr("not an image, or in a format MLDeck cannot read (it reads %1)")
                         .arg(QString::fromLatin1(QImageReader::supportedImageFormats().join(", ")))};
    const QString format = QString::fromLatin1(reader.format().toUpper());
    const QSize size = reader.size();
    if (size.isValid() && qint64(size.width()) * size.height() > kMaxImagePixels)
        return Error{MlText::tr("the image is %1 × %2 pixels, more than the %3 megapixels MLDeck decodes")
                         .arg(size.width())
                         .arg(size.height())
                         .arg(kMaxImagePixels / 1'000'000)};
    QImage image;
    if (!reader.read(&image) || image.isNull())
        return Error{MlText::tr("the %1 image is truncated or corrupt (%2)").arg(format, reader.errorString())};
    if (qint64(image.width()) * image.height() > kMaxImagePixels)
        return Error{MlText::tr("the image is %1 × %2 pixels, more than the %3 megapixels MLDeck decodes")
                         .arg(image.width())
                         .arg(image.height())
                         .arg(kMaxImagePixels / 1'000'000)};
    return image;
}

PreparedImage prepareDecodedImage(const QImage &image, const ImageSpec &spec)
{
    const QImage rgb = asRgb888(image);
    PreparedImage prepared;
    prepared.stats = statsOfRgb(rgb);
    const int w = rgb.width(), h = rgb.height();
    const int W = spec.width, H = spec.height, C = spec.channels;

    // The resized image's size (nw × nh), the part of it kept (from fromX/fromY, outW × outH) and where
    // that part lands in the W × H input (offX/offY); the rest is padding of value 0.
    int nw = W, nh = H;
    if (spec.resize == ImageSpec::Resize::Fit) {
        const double s = std::min(double(W) / w, double(H) / h);
        nw = std::clamp(roundHalfUp(w * s), 1, W);
        nh = std::clamp(roundHalfUp(h * s), 1, H);
    } else if (spec.resize == ImageSpec::Resize::Crop) {
        const double s = std::max(double(W) / w, double(H) / h);
        nw = std::max(roundHalfUp(w * s), W);
        nh = std::max(roundHalfUp(h * s), H);
    }
    const int outW = std::min(nw, W), outH = std::min(nh, H);
    const int fromX = (nw - outW) / 2, fromY = (nh - outH) / 2;
    const int offX = (W - outW) / 2, offY = (H - outH) / 2;
    const std::vector<Taps> tx = axisTaps(w, nw, fromX, outW);
    const std::vector<Taps> ty = axisTaps(h, nh, fromY, outH);

    // Horizontal pass over the source rows the vertical taps read (a crop reads fewer): [C][rows][outW],
    // in double.
    const int rowLo = ty.front().first;
    const int rows = ty.back().first + int(ty.back().weights.size()) - rowLo;
    std::vector<double> across(size_t(C) * size_t(rows) * size_t(outW));
    std::vector<double> row(size_t(C) * size_t(w));
    for (int y = rowLo; y < rowLo + rows; ++y) {
        const uchar *line = rgb.constScanLine(y);
        for (int x = 0; x < w; ++x) {
            if (C == 1)
                row[size_t(x)] = luma(line + 3 * x);
            else
                for (int c = 0; c < 3; ++c)
                    row[size_t(c) * size_t(w) + size_t(x)] = line[3 * x + c];
        }
        for (int c = 0; c < C; ++c) {
            const double *src = row.data() + size_t(c) * size_t(w);
            double *dst = across.data() + (size_t(c) * size_t(rows) + size_t(y - rowLo)) * size_t(outW);
            for (int x = 0; x < outW; ++x) {
                const Taps &t = tx[size_t(x)];
                double v = 0;
                for (size_t k = 0; k < t.weights.size(); ++k)
                    v += t.weights[k] * src[size_t(t.first) + k];
                dst[x] = v;
            }
        }
    }

    // Vertical pass, normalisation, placement.
    prepared.chw.assign(size_t(spec.inputWidth()), 0.0f);
    for (int c = 0; c < C; ++c) {
        const double mean = spec.mean[size_t(c)], sd = spec.std[size_t(c)];
        float *plane = prepared.chw.data() + size_t(c) * size_t(W) * size_t(H);
        std::fill(plane, plane + size_t(W) * size_t(H), float((0.0 / 255.0 - mean) / sd));
        const double *src = across.data() + size_t(c) * size_t(rows) * size_t(outW);
        for (int y = 0; y < outH; ++y) {
            const Taps &t = ty[size_t(y)];
            float *dst = plane + size_t(y + offY) * size_t(W) + size_t(offX);
            for (int x = 0; x < outW; ++x) {
                double v = 0;
                for (size_t k = 0; k < t.weights.size(); ++k)
                    v += t.weights[k] * src[(size_t(t.first - rowLo) + k) * size_t(outW) + size_t(x)];
                dst[x] = float((v / 255.0 - mean) / sd);
            }
        }
    }
    return prepared;
}

Result<PreparedImage> prepareImage(const QByteArray &encoded, const ImageSpec &spec)
{
    if (const Status valid = spec.validate(); !valid)
        return valid.error();
    auto image = decodeImage(encoded);
    if (!image)
        return image.error();
    return prepareDecodedImage(image.value(), spec);
}

ImageStats imageStatsOf(const QImage &image)
{
    return statsOfRgb(asRgb888(image));
}

Result<ImageStats> imageStats(const QByteArray &encoded)
{
    auto image = decodeImage(encoded);
    if (!image)
        return image.error();
    return imageStatsOf(image.value());
}

} // namespace mldeck
