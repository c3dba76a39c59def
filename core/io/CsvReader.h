#pragma once

#include "core/domain/Result.h"

#include <QByteArrayView>
#include <QCoreApplication>
#include <QStringList>

#include <atomic>
#include <functional>
#include <vector>

namespace mldeck {

// One data record of a CSV file.
struct CsvRecord
{
    qint64 line = 0;                    // the line (1 = header) where the record starts
    std::vector<QByteArrayView> fields; // unquoted values, valid only while the handler runs
};

// What a caller does with a file's header and with each of its data records. An error a handler
// returns stops the reading and is returned as is.
struct CsvHandlers
{
    std::function<Status(const QStringList &header)> header;
    std::function<Status(const CsvRecord &record)> record;
};

// The one reader of CSV files (evaluation, comparison, drift compare): RFC 4180 as pandas,
// spreadsheets and databases write it, parsed by libcsv in strict mode. Quoted fields may hold
// commas, doubled quotes and line breaks; lines end with LF or CRLF; a UTF-8 byte order mark is
// skipped; spaces around unquoted fields are dropped; blank lines are skipped.
// The first record names the columns: a name may be empty (pandas' unnamed index column, which no
// caller uses) but not repeated. Every data record has as many fields as the header.
// Errors name the source and the line where the offending record starts.
class CsvReader
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::CsvReader)

public:
    // Reads the file at path. Returns an Error "cancelled" when *cancel becomes true.
    static Status read(const QString &path, const CsvHandlers &handlers, const std::atomic<bool> *cancel = nullptr);
    // The same on bytes in memory; source names them in messages.
    static Status parse(QByteArrayView bytes, const QString &source, const CsvHandlers &handlers,
                        const std::atomic<bool> *cancel = nullptr);
    // The column names only (the file is read up to the end of its first record).
    static Result<QStringList> readHeader(const QString &path);
};

} // namespace mldeck
