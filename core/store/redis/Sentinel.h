#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

class RedisConnection;

// Talks to Redis Sentinel with plain commands (hiredis 0.14 knows nothing of Sentinel):
// SENTINEL get-master-addr-by-name, SENTINEL sentinels, and ROLE / INFO replication on the data nodes.
// Blocking: call from a worker thread. resources/contract/sentinel.md.
namespace sentinel {

// How long one sentinel may take to answer before the next one is asked: a dead or frozen sentinel
// costs this much, not the endpoint's whole timeout.
int perSentinelTimeoutMs(const RedisEndpoint &endpoint);

// Asks the sentinels of endpoint in order; the first that answers gives the master's address.
// problems (optional) receives one line per sentinel that did not answer.
Result<HostPort> resolveMaster(const RedisEndpoint &endpoint, QStringList *problems = nullptr);

// "master", "slave" (Redis' word), "sentinel": the first element of ROLE. NOPERM leaves it unknown.
Result<std::optional<QString>> role(RedisConnection &conn);

struct Replica
{
    HostPort address;
    QString state; // INFO replication's state: online, wait_bgsave, send_bulk…
    qint64 offset = 0;
    qint64 lagBytes = 0; // master offset - replica offset
};

struct Replication
{
    QString role;
    qint64 masterOffset = 0;
    QList<Replica> replicas;
};

// INFO replication of the node conn is connected to (a master lists its replicas).
Result<Replication> replication(RedisConnection &conn);

// What `mldeckctl status` and the status bar show for a sentinel endpoint.
struct Overview
{
    std::optional<HostPort> master; // unset when no sentinel answered
    int sentinelsReached = 0;
    int sentinelsGiven = 0;
    int sentinelsKnown = 0; // sentinels monitoring the master, as the first one reached counts them (itself included)
    QStringList problems;   // per unreachable sentinel, and why replication is unknown
    std::optional<Replication> replication;
};

// Asks every sentinel given (to count those reached) and the master for its replicas.
Overview probe(const RedisEndpoint &endpoint);

} // namespace sentinel

} // namespace mldeck
