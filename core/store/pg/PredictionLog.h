#pragma once

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"

#include <QDate>

#include <vector>

namespace mldeck {

class PgConnection;

// What a serving backend (our `mldeckctl simulate`) uses to log. The batched calls send one
// COPY per table inside one transaction: a batch is stored entirely or not at all.
// Not thread-safe (like the PgConnection it uses).
class PredictionLog final
{
public:
    explicit PredictionLog(PgConnection &conn);

    Status appendPredictions(const std::vector<PredictionRow> &rows);
    Status appendOutcomes(const std::vector<OutcomeRow> &rows);
    Status appendFeedback(const std::vector<FeedbackRow> &rows);
    Status insertPredictionSingle(const PredictionRow &row); // single-row INSERT: the benchmark baseline

    // Creates the daily partitions [from, to] (UTC days) that are missing; returns how many
    // it created. Rows outside the partitions still land in the default partition.
    Result<int> ensurePartitions(QDate from, QDate to);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
