#pragma once

#include "core/domain/Result.h"
#include "core/ml/checks/ModelChecks.h"

#include <atomic>

namespace mldeck {
class ModelRunner;
}

namespace mldeck::checks {

// Runs the declared checks on the golden rows: the candidate (and the champion, when there is one)
// scored through their model worker processes, the invariance variants through the candidate's.
// Blocking: call it on a worker thread. A candidate failing on the golden rows is the input check's
// failure (the report says why), not an Error. A champion that cannot be compared with (championUnavailable
// given, or it fails on the golden rows) leaves the comparative checks without data, the report says why
// (CheckReport::championUnavailable), and the candidate's own checks still run. Error: cancelled.
Result<CheckReport> runChecks(const ModelCheckSettings &settings, const GoldenSet &golden, const FeatureSchema &schema,
                              ModelRunner &candidate, ModelRunner *champion, const std::atomic<bool> *cancel = nullptr,
                              const QString &championUnavailable = {});

} // namespace mldeck::checks
