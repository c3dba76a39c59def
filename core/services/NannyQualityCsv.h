#pragma once

#include "core/services/NannyQuality.h"

#include <QByteArray>

namespace mldeck {

// The nanny's quality as CSV (core/io/CsvWriter), one record per hour that has both estimates and
// outcomes: hour (ISO 8601, UTC), scored, estimated_mae, labelled, realised_mae, abs_diff
// (|estimated - realised|; their mean is NannyQuality::meanAbsDiff).
QByteArray nannyQualityCsv(const NannyQuality &quality);

} // namespace mldeck
