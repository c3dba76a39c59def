#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace mldeck {

// The one CSV writer (KPI reports, model comparisons, audit exports), RFC 4180 as CsvReader reads it:
// a field holding a comma, a quote or a line break is quoted and its quotes doubled; UTF-8; each
// record ends with CRLF.
QByteArray csvField(const QString &text);
QByteArray csvRecord(const QStringList &fields);

} // namespace mldeck
