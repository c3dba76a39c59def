#pragma once

#include "core/config/Endpoints.h"

#include <optional>

namespace mldeck {

// A hot standby of the primary PostgreSQL that heavy reads (dashboard, drift page, reports, /metrics) go to,
// and how far behind it may be before what it shows is stale (resources/contract/read-replica.md).
struct ReadReplica
{
    static constexpr int kDefaultMaxLagSeconds = 30;

    // nullopt: every read goes to the primary, as without a replica. Its user and password are the primary's
    // when it names no user (a physical standby has the primary's roles and passwords).
    std::optional<PgEndpoint> endpoint;
    int maxLagSeconds = kDefaultMaxLagSeconds;

    // MLDECK_PG_READ_URL (empty: no replica) and MLDECK_PG_READ_MAX_LAG (seconds; empty: the default).
    static Result<ReadReplica> fromEnvironment();
    // url "" = no replica; an error names what is wrong and changes nothing.
    static Result<ReadReplica> fromUrl(const QString &url, int maxLagSeconds = kDefaultMaxLagSeconds);
};

} // namespace mldeck
