#pragma once

#include "core/domain/Result.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <string>
#include <vector>

// PostgreSQL text formats used on the logging path (COPY and parameters) and to read rows
// back. Pure functions: no libpqxx, so readers elsewhere can parse arrays too.
namespace mldeck::pgtext {

// "2024-05-01 12:34:56.123456+00" (UTC, microsecond precision, BC years as "... BC").
std::string timestamp(qint64 microsSinceEpoch);
// Shortest text that reads back to the same value; NaN / Infinity / -Infinity as PostgreSQL spells them.
std::string float8(double v);
std::string float4(float v);
// Array literals: {1.5,-2,NaN} and {"a","b \"quoted\"",NULL}. A null QString element is NULL.
std::string realArray(const std::vector<float> &values);
std::string textArray(const QStringList &values);

// Parses a one-dimensional array literal as PostgreSQL prints it. NULL elements -> null QString.
Result<QStringList> parseTextArray(const QString &literal);
Result<std::vector<float>> parseRealArray(const QString &literal);

} // namespace mldeck::pgtext
