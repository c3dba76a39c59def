#pragma once

#include "core/domain/Result.h"
#include "core/rollout/GuardStateMachine.h"

#include <QJsonObject>

namespace mldeck {

class PgConnection;
struct Actor;

// The guard's rules (mldeck.guard_rules), its memory (mldeck.guard_state) and its alerts.
class GuardStore final
{
public:
    explicit GuardStore(PgConnection &conn);

    Result<GuardRules> rules(const QString &deployment); // defaults when no row
    // Stores the rules and one audit row ("guard.rules", the rules before and after) in one
    // transaction: both or neither. Invalid rules are refused before the database is asked.
    Status saveRules(const QString &deployment, const GuardRules &rules, const Actor &actor, const QString &reason);

    Result<GuardMemory> memory(const QString &deployment); // empty memory when no row
    Status saveMemory(const QString &deployment, const GuardMemory &memory, const QString &summary);

    // Clears the latch and the streaks; returns the memory as it was (to audit the re-arm).
    Result<GuardMemory> rearm(const QString &deployment);

    // A critical guardrail alert through AlertStore::raise (an open alert with the same dedup key is
    // refreshed, not duplicated). The deployment row is created if missing (alerts reference it).
    Status raiseAlert(const QString &deployment, const QString &dedupKey, const QString &title,
                      const QJsonObject &details);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
