#pragma once

#include "app/mldeckctl/Cli.h"

namespace mldeck::cli {

// mldeckctl audit verify [--deployment D] [--json]: recomputes the audit log's hash chain and names
// the first row changed, removed or inserted out of order. Exit 0 intact, 1 broken, 2 error.
// Dispatched by verbs/Audit.cpp; defined in verbs/AuditVerify.cpp.
int runAuditVerify(Context &ctx);

} // namespace mldeck::cli
