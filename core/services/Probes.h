#pragma once

#include "core/config/Endpoints.h"

#include <QString>
#include <QStringList>

namespace mldeck {

// One health check of one server, as a fresh client would experience it. Blocking, bounded by
// the endpoint's timeouts: call it on a worker thread. Shared by ConnectionMonitor (GUI status
// bar) and `mldeckctl status`, so both say the same thing.
struct ProbeResult
{
    bool up = false;
    QString detail;        // "0.4 ms, schema v1" or the readable error
    double latencyMs = -1; // round trip of one ping (Redis PING, PostgreSQL PgConnection::ping) on an open connection
    // PostgreSQL only:
    QString serverVersion;
    QString user;
    int schemaCurrent = -1; // -1: unknown (could not read it)
    int schemaLatest = -1;
    bool foreignSchema = false;
    bool tlsEncrypted = false;
    QString tlsProtocol;
    QString tlsVerified; // "full" (CA and host name), "ca", "none"
    QString tls;         // readable: "TLS verified (TLSv1.3)", "not encrypted"
};

// Opens a new connection each time on purpose: a long-lived session would keep answering while
// the server no longer accepts anyone (e.g. a frozen PostgreSQL postmaster), which is exactly
// what the user must be told.
ProbeResult probeRedis(const RedisEndpoint &endpoint);
ProbeResult probePg(const PgEndpoint &endpoint, const QString &applicationName = QStringLiteral("mldeck-health"));

// "schema v1", "schema not installed: run mldeckctl migrate", ...
QString describeSchema(int current, int latest, bool foreign, const QStringList &pending = {});

} // namespace mldeck
