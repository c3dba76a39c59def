#pragma once

#include "core/domain/Result.h"
#include "core/ml/image/ImageSpec.h"

#include <QByteArray>
#include <QImage>

#include <vector>

namespace mldeck {

// The one preprocessing pipeline of image models (resources/contract/images.md, step by step):
// decode with Qt's image readers (format sniffed from the content, EXIF orientation applied) →
// 8-bit RGB (1 channel: luma 0.299 R + 0.587 G + 0.114 B) → resize (our own antialiased bilinear
// filter, in double) → (v/255 - mean)/std as float, laid out channel-major (CHW).
// clients/python/mldeck_backend/image_pipeline.py is its twin: the same floats, bit for bit.

// The most pixels a decoded image may have: a larger one is refused before decoding.
inline constexpr qint64 kMaxImagePixels = 50'000'000;

// Of the decoded image, before resizing: mean and standard deviation of its luma scaled to [0, 1],
// and its size (after EXIF orientation). What image drift compares.
struct ImageStats
{
    double brightness = 0;
    double contrast = 0;
    int width = 0;
    int height = 0;
};

struct PreparedImage
{
    std::vector<float> chw; // spec.inputWidth() floats: channel c, row y, column x at (c*H + y)*W + x
    ImageStats stats;
};

// Decodes encoded bytes with QImageReader (auto-transform on). Errors: empty, not an image or an
// unsupported format, larger than kMaxImagePixels, truncated or corrupt.
Result<QImage> decodeImage(const QByteArray &encoded);

// decodeImage then the pipeline. Any input size is accepted (it is resized); its size is in stats.
Result<PreparedImage> prepareImage(const QByteArray &encoded, const ImageSpec &spec);
// The pipeline on an already decoded image (any QImage format; converted as described).
PreparedImage prepareDecodedImage(const QImage &image, const ImageSpec &spec);

// decodeImage then the statistics only (no resize): for drift.
Result<ImageStats> imageStats(const QByteArray &encoded);
ImageStats imageStatsOf(const QImage &image);

} // namespace mldeck
