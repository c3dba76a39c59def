#pragma once

#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/services/ImageDrift.h"
#include "core/stats/drift/DriftConfig.h"

namespace mldeck {

class DriftData;
struct DeploymentInfo;
struct ReferenceSource;

// Both sides' image statistics of an image deployment (resources/contract/drift.md, Image deployments).
struct ImageSides
{
    drift::Dataset reference, current;
    ImageDriftReport report;
};

// A sample of the window's logged image keys, and of the reference's (or of the reference set folder), read
// through the deployment's store: an unreadable image is counted, never an error; PostgreSQL errors are.
Result<ImageSides> measureImageSides(DriftData &data, const QString &deployment, const FeatureSchema &schema,
                                     const DeploymentInfo &info, const ReferenceSource &source, qint64 fromMicros,
                                     qint64 toMicros, const drift::DriftConfig &cfg, ImageStatsCache *cache);

} // namespace mldeck
