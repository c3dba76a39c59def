#include "core/store/pg/StandbyStatus.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

namespace mldeck {

std::optional<double> StandbyStatus::lagSeconds() const
{
    if (!inRecovery || caughtUp)
        return 0.0;
    return sinceLastReplaySeconds;
}

Result<StandbyStatus> readStandbyStatus(PgConnection &conn)
{
    try {
        pqxx::nontransaction tx(pg::raw(conn));
        // pg_stat_wal_receiver shows its pid to every role (the other columns need pg_read_all_stats); the
        // recovery functions raise on a primary, hence the CASEs.
        const pqxx::row r = tx.exec1("SELECT pg_is_in_recovery(), "
                                     "EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL), "
                                     "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() IS NOT NULL AND "
                                     "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() ELSE true END, "
                                     "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END, "
                                     "extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8");
        StandbyStatus s;
        s.inRecovery = r[0].as<bool>();
        s.receiving = r[1].as<bool>();
        s.caughtUp = s.receiving && r[2].as<bool>();
        s.replayPaused = r[3].as<bool>();
        if (!r[4].is_null())
            s.sinceLastReplaySeconds = std::max(0.0, r[4].as<double>());
        return s;
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), StoreText::tr("reading the replay lag of the read server"));
    }
}

} // namespace mldeck
