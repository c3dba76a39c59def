#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/FlagState.h"
#include "core/store/pg/DeploymentStore.h"

namespace mldeck {

struct Actor;

// A deployment created with everything it needs before any traffic: its PostgreSQL row, feature
// schema, default targets and drift reference (DeploymentStore::create, one audited transaction) and
// its Redis flags (ML off, 0 %).
struct CreatedDeployment
{
    DeploymentInfo deployment;
    FlagState flags;
    bool flagsExisted = false; // flags of that name were already in Redis: left as they were
};

// The one way to create a deployment (the CLI and the Deployments page). Blocking: call it on a worker.
// Order, chosen so that a failure never leaves a half-made deployment behind:
//  1. an existing name (PostgreSQL) is refused: nothing is written anywhere;
//  2. the Redis flags are created if missing (ML off, 0 %: the safe state; existing flags are never
//     changed). Redis unreachable: nothing is written anywhere;
//  3. the PostgreSQL transaction. Should it fail now, the only trace is a harmless "ML off" flag set,
//     and the error says so: running the same create again finishes the job.
Result<CreatedDeployment> createDeployment(PgConnection &pg, const RedisEndpoint &redis, const NewDeployment &spec,
                                           const Actor &actor);

} // namespace mldeck
