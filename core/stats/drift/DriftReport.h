#pragma once

#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/MultivariateDrift.h"

#include <QJsonObject>
#include <QStringList>

namespace mldeck::drift {

// The machine-readable report of `mldeckctl drift ... --json` (resources/contract/drift.md):
// {"features": [{name, type, test, statistic, p_value?, threshold, drift, effect_size, ...}],
//  "dataset": {drift, drifted, considered, share, share_threshold}}
QJsonObject toJson(const DatasetDrift &result);
// One line per feature for people: name, test, score, threshold, verdict, effect size; a figure computed from
// sketches is followed by a line with its bound (sketchBoundText).
// "from sketches: score in [0.08, 0.1], p-value in [...] (CDF error at most 0.39 %)".
QString sketchBoundText(const SketchBound &bound);
QStringList toTextLines(const DatasetDrift &result);

// The multivariate line: "multivariate": {value, band_low, band_high, drift, enough_samples, components,
// variance_share, explained_share, inputs, chunk_rows, reference_chunks, reference_rows, current_rows, problem?}.
QJsonObject toJson(const MultivariateDrift &result);
// "multivariate (PCA, 3 components, 65 %): mean reconstruction error 1.23, band 1.01 to 1.15: DRIFT" (or the
// reason there is no verdict).
QString toTextLine(const MultivariateDrift &result);

// Reads a CSV file (RFC 4180, through CsvReader) with a header record into columns: a column whose
// every non-empty value is a number is numeric, otherwise categorical. Empty cells are missing
// values. Unnamed columns and those named in `ignore` are left out (e.g. timestamps, identifiers).
Result<Dataset> readCsvDataset(const QString &path, const QStringList &ignore);

} // namespace mldeck::drift
