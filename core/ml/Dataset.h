#pragma once

#include "core/domain/Prediction.h"
#include "core/domain/Result.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <atomic>
#include <vector>

namespace mldeck {

// Which columns of a data source an evaluation needs.
struct DatasetColumns
{
    QString target = QStringLiteral("delay_min");
    QStringList numeric;
    QStringList categorical;
    QString timestamp = QStringLiteral("ts"); // optional column: row order and hour-of-day segments
};

// A categorical column, dictionary-encoded (a million rows of a few levels stay small).
struct CategoricalColumn
{
    std::vector<int> codes;
    QStringList levels; // in order of first appearance
};

// Evaluation rows held column by column, time-ordered as the source gave them. Pure (no torch):
// built from a CSV file (readCsvDataset) or a PostgreSQL window (EvaluationData).
struct Dataset
{
    QString source;     // for people: the file, or "eta, last 24 h"
    QStringList header; // every column the source has
    std::vector<double> target;
    QHash<QString, std::vector<float>> numeric;
    QHash<QString, CategoricalColumn> categorical;
    std::vector<qint64> tsMicros; // empty when the source has no timestamp
    QStringList notes;            // what the loader left out, and why

    qint64 rowCount() const { return qint64(target.size()); }
    // Rows [begin, end) as model input, the named columns in the given order (all must exist).
    std::vector<FeatureRow> featureRows(const QStringList &numericNames, const QStringList &categoricalNames,
                                        qint64 begin, qint64 end) const;
    // Hour of day (UTC) per row, as segment codes with levels "00".."23"; empty without timestamps.
    CategoricalColumn hourOfDay() const;
};

// The header of a CSV file (its first record), to decide which columns the models need.
Result<QStringList> readCsvHeader(const QString &path);

// Reads the requested columns of a CSV file (RFC 4180, through CsvReader) whose first record is the
// header. Errors name the line where the record starts (1 = header) and the column: malformed
// quoting, a wrong number of fields, a value that is not a number, an empty or non-finite target;
// a requested column that is missing; a file without data rows.
// Returns an Error "cancelled" when *cancel becomes true.
Result<Dataset> readCsvDataset(const QString &path, const DatasetColumns &columns,
                               const std::atomic<bool> *cancel = nullptr);

// Parses "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)" (what demo-data and PostgreSQL in UTC write).
std::optional<qint64> parseIsoMicros(QByteArrayView text);

// A CSV number field: surrounding spaces and a leading '+' allowed, the whole field must be the number
// (from_chars, locale-free). Empty or malformed: nullopt. The one number parser of CSV readers.
std::optional<double> parseCsvNumber(QByteArrayView text);

} // namespace mldeck
