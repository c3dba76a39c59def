#pragma once

#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/stats/drift/DriftEngine.h"

#include <QString>

namespace mldeck {

class DriftData;

// Inside the drift check (DriftCheck.cpp, ImageDriftCheck.cpp): the reference's rows and its image keys are
// read from the same source.

// Where the reference rows come from, as the settings name them: the first N logged predictions, a period
// of the log, or a stored snapshot.
struct ReferenceSource
{
    enum class Kind
    {
        FirstRows,
        Period,
        Snapshot
    };
    Kind kind = Kind::FirstRows;
    qint64 rows = 0;         // FirstRows
    qint64 from = 0, to = 0; // Period, µs
    QString snapshot;        // Snapshot
    QString description;
};

// What a reference spec resolves to now ("previous" and "first" are relative to windowFromMicros).
Result<ReferenceSource> resolveReference(DriftData &data, const QString &deployment, const drift::ReferenceSpec &spec,
                                         qint64 windowFromMicros);
// Its rows (features and outputs), newest maxRows of a period.
Result<drift::Dataset> loadReferenceRows(DriftData &data, const QString &deployment, const FeatureSchema &schema,
                                         const ReferenceSource &source, qint64 maxRows);

} // namespace mldeck
