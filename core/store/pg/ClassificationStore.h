#pragma once

#include "core/domain/Result.h"

#include <QString>

#include <vector>

namespace mldeck {

class PgConnection;

// Labelled rows of a classification deployment read from the prediction log: what the calibration
// map of the estimate before labels is fitted on (stats::fitCalibration) and checked against.
class ClassificationStore final
{
public:
    explicit ClassificationStore(PgConnection &conn);

    // One row per labelled prediction, in time order: its calibration score (ClassificationSums.h:
    // P(positive) on a binary deployment, the probability of the served class on a multi-class one,
    // computed as the SQL fold does) and its outcome (binary: the true class is the positive one;
    // multi-class: the served class is the true one). A label is the request's applied outcome
    // (kpi_outcome_state) when it is a class index.
    struct LabelledRows
    {
        std::vector<double> score;
        std::vector<int> outcome;
        QString description; // which rows: "the first 5000 logged predictions", "period (... to ...)"
        // Set, with no rows, when retention removed raw rows they would be read from: why, by name (the
        // rows left would be another set than the one described).
        QString gone;
    };

    static constexpr qint64 kMaxRows = 1'000'000;

    // The labelled predictions of [fromMicros, toMicros), oldest first, at most maxRows; `path`
    // empty: every path.
    Result<LabelledRows> labelledRows(const QString &deployment, qint64 fromMicros, qint64 toMicros,
                                      const QString &path = {}, qint64 maxRows = kMaxRows);
    // The labelled predictions among the first `rows` logged ones.
    Result<LabelledRows> firstLabelledRows(const QString &deployment, qint64 rows, const QString &path = {});

    // The labelled predictions of the deployment's drift reference (settings.drift.reference), resolved
    // as the drift check resolves it ("previous" ends where the current drift window starts, at
    // nowMicros minus the window); a snapshot reference uses the period its rows were copied from (its own
    // copy of those rows once retention removed them from the log), and the default first rows when it has
    // none (a data set: no class probabilities). The ML path by default: the map calibrates the model.
    Result<LabelledRows> referenceRows(const QString &deployment, qint64 nowMicros,
                                       const QString &path = QStringLiteral("ml"));

private:
    // The labelled rows a snapshot copied out of the log (their path kept), for when the log's are gone.
    Result<LabelledRows> snapshotRows(qint64 snapshotId, const QString &deployment, const QString &path,
                                      const QString &description);

    PgConnection &m_conn;
};

} // namespace mldeck
