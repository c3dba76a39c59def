#pragma once

#include "core/domain/Result.h"

#include <optional>

namespace mldeck {

class PgConnection;

// How far a read server is behind its primary, as the server itself says (read on it, not on the primary).
struct StandbyStatus
{
    bool inRecovery = false; // false: not a standby (a primary, or a promoted standby)
    bool receiving = false;  // a WAL receiver runs (streaming from a primary)
    bool caughtUp = false;   // receiving, and everything received is replayed
    bool replayPaused = false;
    // now() - the commit time of the last transaction replayed; nullopt before any was replayed.
    std::optional<double> sinceLastReplaySeconds;

    // The replay lag: 0 when caught up (an idle primary writes nothing, so the time since the last
    // replayed commit grows without any real lag); else the time since the last replayed commit, an upper
    // bound of how old what we read can be; nullopt when unknown (nothing replayed yet). Not a standby: 0.
    std::optional<double> lagSeconds() const;
};

// One round trip; works on any server (on a primary the recovery functions say "not in recovery").
Result<StandbyStatus> readStandbyStatus(PgConnection &conn);

} // namespace mldeck
