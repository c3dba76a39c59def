#pragma once

#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"

#include <QJsonObject>
#include <QStringList>

namespace mldeck::drift {

// The machine-readable report of `mldeckctl drift ... --json` (resources/contract/drift.md):
// {"features": [{name, type, test, statistic, p_value?, threshold, drift, effect_size, ...}],
//  "dataset": {drift, drifted, considered, share, share_threshold}}
QJsonObject toJson(const DatasetDrift &result);
// One line per feature for people: name, test, score, threshold, verdict, effect size.
QStringList toTextLines(const DatasetDrift &result);

// Reads a CSV file (RFC 4180, through CsvReader) with a header record into columns: a column whose
// every non-empty value is a number is numeric, otherwise categorical. Empty cells are missing
// values. Unnamed columns and those named in `ignore` are left out (e.g. timestamps, identifiers).
Result<Dataset> readCsvDataset(const QString &path, const QStringList &ignore);

} // namespace mldeck::drift
