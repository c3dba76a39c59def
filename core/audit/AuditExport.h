#pragma once

#include "core/audit/AuditFilter.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace mldeck {

struct AuditEntry;
class AuditQuery;

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

private:
    AuditExportFormat m_format;
    bool m_first = true;
};

// Streams every row matching `filter` (newest first, through AuditQuery::forEach) into `path`,
// through a temporary file renamed into place at the end: an error or a cancel leaves no file and
// no partial file. `progress` (optional) is called after each batch with the rows written so far;
// returning false cancels (the result is then an error saying so). Returns the rows written.
Result<qint64> writeAuditExport(AuditQuery &query, const AuditFilter &filter, AuditExportFormat format,
                                const QString &path, const std::function<bool(qint64 rows)> &progress = {});

} // namespace mldeck
