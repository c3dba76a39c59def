#pragma once

#include "core/domain/FlagState.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QHash>
#include <QStringView>

#include <optional>

namespace mldeck {

// The strict text forms of the flag fields stored in Redis (resources/contract/flags.md).
// Nothing is coerced: "1.0", " 1", "true", "050", "150", "-1" and "abc" are all rejected.
namespace flagfield {
inline constexpr char kMlEnabled[] = "ml_enabled";
inline constexpr char kTrafficPercentage[] = "ml_traffic_percentage";
inline constexpr char kFallbackOnError[] = "fallback_on_error";
inline constexpr char kVersion[] = "version";
inline constexpr char kUpdatedAt[] = "updated_at";
inline constexpr char kUpdatedBy[] = "updated_by";
} // namespace flagfield

std::optional<bool> parseFlagBool(QByteArrayView text);         // exactly "0" or "1"
std::optional<int> parseTrafficPercentage(QByteArrayView text); // canonical decimal 0..100
std::optional<qint64> parseFlagVersion(QByteArrayView text);    // canonical decimal >= 0

// The same rules for what a user types (CLI, dialogs), with an error that says what is allowed.
Result<bool> parseFlagBoolInput(const QString &what, const QString &text);
Result<int> parseTrafficPercentageInput(const QString &text);
bool isValidTrafficPercentage(int percentage);

// Builds the state from the fields of the Redis hash. Any required field (ml_enabled,
// ml_traffic_percentage, fallback_on_error, version) that is missing or malformed is listed in
// invalidFields and keeps its safe default, which makes the whole set route nothing to ML.
// updated_at / updated_by are informational and never make the set invalid.
FlagState flagStateFromFields(const QString &deployment, const QHash<QByteArray, QByteArray> &fields);

// The state of a key that exists but is not a hash: every required field is invalid.
FlagState flagStateOfWrongType(const QString &deployment);

} // namespace mldeck
