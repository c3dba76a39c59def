#pragma once

#include "core/domain/Result.h"
#include "core/ml/image/ImageSpec.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/LabelledImages.h"
#include "core/simulator/ModelBatch.h"

#include <QImage>
#include <QString>
#include <QStringList>

#include <random>
#include <vector>

namespace mldeck {

// The demo's image traffic (the deployment `digits`, resources/models/make_digits_cnn.py): each request is
// an image picked at random from the live pool, the labelled folder "live/<class>/" inside the deployment's
// image store, whose subfolder is the true class. The "image-drift" scenario serves instead a darker,
// noisier copy of the picked image, written once into the store under "image-drift/<class>/", so that its
// key resolves like any other and drift is measured from the store as for real traffic.
struct ImageRequest
{
    qint64 tsMicros = 0;
    QString requestKey;
    QString imageKey; // in the store, e.g. "live/3/d0042.png"
    int label = -1;   // the true class
};

// The images of the requests routed to ML, through the pipeline, back to back for
// ModelRunner::predictImageProbabilities; a request whose image cannot be read or decoded is not in it.
struct PreparedImages
{
    std::vector<float> chw;
    ModelBatcher::Batch batch;   // target[i]: request i's image in chw, or kNone; mlCount: the images in chw
    std::vector<QString> errors; // per request: why its image could not be used, or empty
};

class ImageTraffic final
{
public:
    static constexpr const char *kLivePool = "live";
    static constexpr const char *kDriftFolder = "image-drift";
    // The scenario's change, in 0-255 levels: v' = kDriftGain * v + N(0, kDriftNoise), clamped. The paper
    // of a digit goes from 255 to about 166: brightness falls by about a third; the noise adds grain.
    static constexpr double kDriftGain = 0.65;
    static constexpr double kDriftNoise = 18.0;

    // The live pool of the folder store at storeRoot, for these classes; seed: which images are picked.
    // Errors: no live pool, an empty one, a file whose name is not a valid image key (named).
    static Result<ImageTraffic> open(const QString &storeRoot, const QStringList &classes, quint64 seed);
    // Writes into the store the drifted copies of the pool that are not there yet (a copy there is the
    // same; one is written whole or not at all), reading the pool through store (the store at storeRoot).
    // Errors: an image not read, decoded or written.
    Status writeDriftCopies(const ImageStore &store) const;

    // The next request at tsMicros; drifted: the image-drift scenario is on.
    ImageRequest next(qint64 tsMicros, bool drifted);
    std::size_t poolSize() const { return m_pool.size(); }

    // Reads and prepares the images of the requests on ML (onMl[i]) for a model taking spec.
    static PreparedImages prepare(const ImageStore &store, const std::vector<ImageRequest> &requests,
                                  const std::vector<bool> &onMl, const ImageSpec &spec);

    // The scenario's change of one image (as grayscale), the same for the same seed (a copy's seed is
    // derived from its key, so the copies are the same on every run).
    static QImage drift(const QImage &image, quint64 seed);
    // The key of the drifted copy of a live pool key ("live/3/d0042.png" → "image-drift/3/d0042.png").
    static QString driftKey(const QString &liveKey);

private:
    ImageTraffic(QString storeRoot, std::vector<ImageItem> pool, quint64 seed);

    QString m_storeRoot;
    std::vector<ImageItem> m_pool; // keys relative to the store root
    std::mt19937_64 m_rng;
    qint64 m_served = 0;
};

} // namespace mldeck
