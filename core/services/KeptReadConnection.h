#pragma once

#include "core/services/KeptPgConnection.h"
#include "core/services/ReadSource.h"

#include <chrono>

namespace mldeck {

// The read session of one worker, kept beside its primary one (KeptPgConnection): on the hot standby
// when a ReadReplica is configured and answers as a standby, else on the primary. A standby that fails
// (unreachable, refusing, no longer in recovery) is left alone for Backoff's delays (1, 2, 4 … 30 s) while
// reads go to the primary, then tried again. Each get() measures the standby's replay lag (one round trip).
// Not thread-safe: touch it from the worker's thread only.
class KeptReadConnection final
{
public:
    explicit KeptReadConnection(QString applicationName) : m_standby(std::move(applicationName)) {}

    // The replica's endpoint with the primary's user and password filled in when it names none (a physical
    // standby has the primary's roles and passwords).
    static PgEndpoint standbyEndpoint(const PgEndpoint &replica, const PgEndpoint &primary);

    // The session for one read, opened through `primary` when it goes there; `source` says where and the lag.
    Result<PgConnection *> get(KeptPgConnection &primary, const PgEndpoint &primaryEndpoint, const ReadReplica &replica,
                               ReadSource &source);

    // A read on the standby failed with `error`: when the standby no longer answers, it is marked failed and
    // the primary's session is returned for the read's retry (`source` updated); else nullopt (the read's own
    // error stands).
    std::optional<Result<PgConnection *>> retryOnPrimary(KeptPgConnection &primary, const PgEndpoint &primaryEndpoint,
                                                         ReadSource &source, const QString &error);

private:
    void standbyFailed(const QString &why);
    Result<PgConnection *> fallBack(KeptPgConnection &primary, const PgEndpoint &primaryEndpoint, ReadSource &source);

    KeptPgConnection m_standby;
    QString m_url;      // the standby the failures below are about: another one starts afresh
    int m_failures = 0; // in a row
    std::chrono::steady_clock::time_point m_retryAt{};
    QString m_lastError;
};

} // namespace mldeck
