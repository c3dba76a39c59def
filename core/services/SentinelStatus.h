#pragma once

#include "core/config/Endpoints.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

// Redis behind Sentinel as `mldeckctl status` and the GUI's Redis indicator show it: which node is master,
// how many of the sentinels given answered, and each replica's state (resources/contract/sentinel.md).
struct SentinelReplicaStatus
{
    HostPort address;
    QString state; // INFO replication's word: online, wait_bgsave, send_bulk…
    qint64 offset = 0;
    qint64 lagBytes = 0; // bytes behind the master
};

struct SentinelStatus
{
    std::optional<HostPort> master; // unset when no sentinel answered
    int sentinelsReached = 0;
    int sentinelsGiven = 0;
    int sentinelsKnown = 0;        // sentinels monitoring the master, as the first one reached counts them
    bool replicationKnown = false; // false: the master could not be asked (see problems)
    qint64 masterOffset = 0;
    QList<SentinelReplicaStatus> replicas;
    QStringList problems; // per unreachable sentinel, and why replication is unknown
};

// Asks every sentinel of endpoint and the master they name. Blocking (bounded by the endpoint's
// timeouts): call it on a worker thread. endpoint must be a sentinel endpoint.
SentinelStatus probeSentinelStatus(const RedisEndpoint &endpoint);

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::SentinelStatus)
