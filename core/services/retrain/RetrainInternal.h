#pragma once

// Shared by the retrain/*.cpp files only (not a public header).
#include "core/services/retrain/RetrainRunner.h"

#include "core/Text.h"
#include "core/ml/Dataset.h"

#include <QCoreApplication>

#include <atomic>
#include <vector>

namespace mldeck::retrain::detail {

// The loaded data window, time-ordered, split by time:
// [0, trainEnd) training, [trainEnd, holdoutBegin) validation, [holdoutBegin, rows) holdout.
struct Window
{
    Dataset data;
    std::vector<char> negative; // per row: the request got negative feedback
    qint64 fromMicros = 0;
    qint64 toMicros = 0;
    qint64 trainEnd = 0;
    qint64 holdoutBegin = 0;
    DataSummary summary;
};
Status validateRequest(const RetrainRequest &request);
Result<Window> loadWindow(PgConnection &pg, const RetrainRequest &request, const std::atomic<bool> *cancel = nullptr);
// The rows at `rows` (in that order; an index may repeat).
Dataset subset(const Dataset &data, const std::vector<qint64> &rows);

} // namespace mldeck::retrain::detail
