#pragma once

#include <QString>

namespace mldeck {

// A deployment is a named ML feature such as "eta". Names are lower-case identifiers
// because they appear in Redis keys and in the bucketing input "<deployment>:<key>".
inline constexpr const char *kDefaultDeployment = "eta";

bool isValidDeploymentName(const QString &name);

} // namespace mldeck
