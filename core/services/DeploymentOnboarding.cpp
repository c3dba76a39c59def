#include "core/services/DeploymentOnboarding.h"

#include "core/Text.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

namespace mldeck {

Result<CreatedDeployment> createDeployment(PgConnection &pg, const RedisEndpoint &redis, const NewDeployment &spec,
                                           const Actor &actor)
{
    DeploymentStore store(pg);
    // Validation and the name check first: a refused create writes nothing, not even in Redis.
    if (auto valid = DeploymentStore::validate(spec); !valid)
        return valid.error();
    if (auto existing = store.show(spec.name))
        return Error{
            existing->archived()
                ? ServiceText::tr("Deployment \"%1\" already exists (archived); nothing was changed.").arg(spec.name)
                : ServiceText::tr("Deployment \"%1\" already exists; nothing was changed.").arg(spec.name)};
    else if (existing.errorMessage() != DeploymentStore::unknownText(spec.name))
        return existing.error(); // PostgreSQL unreachable
    auto conn = RedisConnection::open(redis);
    if (!conn)
        return Error{ServiceText::tr("Deployment \"%1\" not created, nothing was changed: %2")
                         .arg(spec.name, conn.errorMessage())};
    FlagStore flags(**conn);
    auto before = flags.read(spec.name);
    if (!before)
        return Error{ServiceText::tr("Deployment \"%1\" not created, nothing was changed: %2")
                         .arg(spec.name, before.errorMessage())};
    FlagChange off;
    off.mlEnabled = false;
    off.trafficPercentage = 0;
    off.actor = actor.name;
    auto state = flags.initialiseIfMissing(spec.name, off);
    if (!state)
        return Error{ServiceText::tr("Deployment \"%1\" not created, nothing was changed: %2")
                         .arg(spec.name, state.errorMessage())};
    auto created = store.create(spec, actor);
    if (!created) {
        if (before->exists)
            return created.error();
        return Error{ServiceText::tr("Deployment \"%1\" not created: %2 Its Redis flags (ML off, 0 %) were written "
                                     "and are harmless; run the same create again to finish.")
                         .arg(spec.name, created.errorMessage())};
    }
    return CreatedDeployment{std::move(created).value(), *state, before->exists};
}

} // namespace mldeck
