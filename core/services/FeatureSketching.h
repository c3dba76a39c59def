#pragma once

#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/FeatureSketch.h"

#include <QHash>
#include <QString>

#include <variant>

namespace mldeck {

class PgConnection;
class DriftData;

// Drift over long windows reads per-hour sketches (resources/contract/drift.md, "Drift from sketches").

// Windows longer than this are checked from sketches (the guard, `drift check`, the drift page).
constexpr qint64 kSketchWindowSeconds = 24 * 3600;

struct FeatureSketchingOptions
{
    // An hour is sketched this long after it ended, so that a batch committed a little late with an older timestamp
    // is in its first sketch; a row committed later makes the hour's count move and the hour is sketched again.
    qint64 settleSeconds = 60;
    qint64 runBudgetMs = 2000;    // a run starts no new hour after this long (0: no limit)
    int hoursPerTransaction = 24; // hours stored (and the watermark moved) per transaction
    qint64 maxRowsPerHour = 100'000'000;
};

struct FeatureSketchingReport
{
    bool nothingLogged = false;
    qint64 hours = 0;           // hours sketched in this run (empty ones included)
    qint64 hoursResketched = 0; // sketched hours sketched again because rows arrived after
    qint64 rows = 0;            // predictions read
    qint64 watermarkMicros = 0;
    bool caughtUp = false; // every complete, settled hour is sketched
};

// Sketches the deployment's complete hours past its watermark (its newest feature schema's predictions, failed
// ones left out: the rows the drift check compares), moving the watermark with each batch of hours; once caught
// up, sketches again the hours below it whose prediction count in the KPI aggregates moved since (late rows).
Result<FeatureSketchingReport> sketchCompletedHours(PgConnection &conn, const QString &deployment, qint64 nowMicros,
                                                    const FeatureSketchingOptions &options = {});

// One side of a drift comparison as sketches: a column's merged sketch by name.
using ColumnSketch = std::variant<drift::NumericSketch, drift::CategorySketch>;
struct SketchedSide
{
    std::vector<std::pair<QString, ColumnSketch>> columns; // schema order, then the outputs
    qint64 sketchedHours = 0;                              // hours read from stored sketches
    qint64 rawRows = 0; // rows read from the log (the window's edges, the unsketched hours)
};

// Every column of a data set read from rows, as exact sketches (every value kept: bound 0).
SketchedSide exactSketches(const drift::Dataset &rows);

// [fromMicros, toMicros): the complete hours below the watermark from stored sketches, the rest (the partial
// hours at each end, hours not sketched yet) from the log, at most maxRows rows per part.
Result<SketchedSide> loadSketchedSide(PgConnection &conn, const QString &deployment, const FeatureSchema &schema,
                                      qint64 fromMicros, qint64 toMicros, qint64 maxRows);

// Whether any complete hour of [fromMicros, toMicros) is sketched yet: a long window with none (a new deployment, a
// guard that has not caught up) is read from its rows, exactly, rather than as "sketches" that are all raw rows.
Result<bool> anySketchedHour(PgConnection &conn, const QString &deployment, qint64 fromMicros, qint64 toMicros);

// Compares two sides column by column (columns of the same name and kind): the statistics of
// drift::compareNumericSketches / compareCategorySketches, and the dataset verdict over the features.
drift::DatasetDrift compareSketchedSides(const SketchedSide &reference, const SketchedSide &current,
                                         const drift::DriftOptions &options);

} // namespace mldeck
