#include "core/services/SentinelStatus.h"

#include "core/store/redis/Sentinel.h"

namespace mldeck {

SentinelStatus probeSentinelStatus(const RedisEndpoint &endpoint)
{
    const sentinel::Overview o = sentinel::probe(endpoint);
    SentinelStatus s;
    s.master = o.master;
    s.sentinelsReached = o.sentinelsReached;
    s.sentinelsGiven = o.sentinelsGiven;
    s.sentinelsKnown = o.sentinelsKnown;
    s.problems = o.problems;
    if (o.replication) {
        s.replicationKnown = true;
        s.masterOffset = o.replication->masterOffset;
        for (const sentinel::Replica &r : o.replication->replicas)
            s.replicas.append(SentinelReplicaStatus{r.address, r.state, r.offset, r.lagBytes});
    }
    return s;
}

} // namespace mldeck
