#pragma once

#include "core/domain/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace mldeck {

struct AuditEntry;

enum class AuditExportFormat
{
    Csv,  // RFC 4180, a header record, CRLF line ends, UTF-8
    Json, // one JSON array, one object per row, before/after as objects (null when absent)
};

// Writes audit rows as CSV or JSON piece by piece (header, rows, footer) so that an export of any
// size streams: the caller writes header() once, row() per entry, footer() at the end.
class AuditExport final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::AuditExport)

public:
    explicit AuditExport(AuditExportFormat format);

    QByteArray header() const;
    QByteArray row(const AuditEntry &entry); // remembers whether a JSON separator is due
    QByteArray footer() const;

    AuditExportFormat format() const { return m_format; }

    // "csv" or "json" (case-insensitive); nullopt otherwise.
    static std::optional<AuditExportFormat> parseFormat(const QString &name);
    // The CSV columns, which are also the JSON keys:
    // id, at, occurred_at, actor, actor_db, actor_os, host, action, deployment, reason, before, after,
    // change_id, spooled, chain_seq
    static QStringList columns();
    // One row as the JSON export writes it (also `mldeckctl audit list --json`).
    static QJsonObject json(const AuditEntry &entry);
    // The text forms of a time and a before/after side in every export and report (empty when absent):
    // ISO 8601 UTC with milliseconds, compact JSON.
    static QString timeText(const QDateTime &t);
    static QString jsonText(const std::optional<QJsonObject> &o);

private:
    AuditExportFormat m_format;
    bool m_first = true;
};

// Where an export's rows come from: a function that hands every row over in batches to `sink`
// (which returns false to stop) and says whether reading failed. With the database:
//   [&](const auto &sink) { return AuditQuery(conn).forEach(filter, sink); }
// (mldeck_core stays free of libpqxx: the query lives in mldeck_store_pg.)
using AuditBatchSink = std::function<bool(const QList<AuditEntry> &)>;
using AuditBatchSource = std::function<Status(const AuditBatchSink &sink)>;

// Streams the rows of `source` into `path` through a temporary file renamed into place at the
// end: an error or a cancel leaves no file and no partial file. `progress` (optional) is called
// after each batch with the rows written so far; returning false cancels (the result is then an
// error saying so). Returns the rows written.
Result<qint64> writeAuditExport(const AuditBatchSource &source, AuditExportFormat format, const QString &path,
                                const std::function<bool(qint64 rows)> &progress = {});

} // namespace mldeck
