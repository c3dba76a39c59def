#pragma once

#include "core/config/Endpoints.h"
#include "core/config/ReadReplica.h"
#include "core/domain/Result.h"

#include <QString>

namespace mldeck {

// A named pair of servers the user can switch between. The endpoints' password fields are
// never persisted (Settings drops them); passwords live in the system keychain only, under
// the account names below.
struct ConnectionProfile
{
    QString name;
    RedisEndpoint redis;
    PgEndpoint pg;
    // Optional hot standby for the heavy reads. It keeps no password of its own: it uses the primary's
    // (same role on a physical standby), so it has no keychain account.
    ReadReplica pgRead;

    // Checks name, hosts, ports, database, sslmode and that a CA file is a full path; the error says which field
    // is wrong. Files are not read here (PgEndpoint::checkTlsFiles does, before connecting).
    Status validate() const;

    // Keychain account names for this profile's passwords (see SecretStore).
    QString redisSecretAccount() const;
    QString pgSecretAccount() const;
};

} // namespace mldeck
