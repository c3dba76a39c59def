#pragma once

#include "core/domain/Alert.h"
#include "core/domain/Result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace mldeck {

class PgConnection;

// The shared alert core: raise (deduplicated), resolve, list, acknowledge and silence. Every
// acknowledgement and silence writes an append-only audit_log row (before/after, actor) in the
// same transaction.
class AlertStore final
{
public:
    explicit AlertStore(PgConnection &conn);

    struct Raised
    {
        qint64 id = 0;
        bool created = false; // false: an open alert with the same key was refreshed
    };
    // Opens an alert, or refreshes last_seen_at/details of the open one with the same
    // (deployment, kind, dedupKey).
    Result<Raised> raise(const QString &deployment, const QString &kind, const QString &severity,
                         const QString &dedupKey, const QString &title, const QJsonObject &details);
    // Resolves the open alert with this key; returns whether there was one.
    Result<bool> resolve(const QString &deployment, const QString &kind, const QString &dedupKey,
                         const AlertActor &actor);
    // Newest first. An empty deployment lists every deployment.
    Result<QList<Alert>> list(const QString &deployment, bool includeResolved, int limit = 200);
    Result<Alert> get(qint64 id);
    // Alerts of the deployment active at some time in [fromMs, toMs) (raised before its end, not resolved
    // before its start), oldest first, at most `limit`.
    Result<QList<Alert>> activeDuring(const QString &deployment, qint64 fromMs, qint64 toMs, int limit);
    // How many alerts of this kind are open (not resolved) for the deployment.
    Result<qint64> openCount(const QString &deployment, const QString &kind);

    Status acknowledge(qint64 id, const AlertActor &actor, const QString &reason = {});
    // Until `until` (must be in the future); an invalid `until` lifts the silence.
    Status silence(qint64 id, const QDateTime &until, const AlertActor &actor, const QString &reason = {});

private:
    PgConnection &m_conn;
};

} // namespace mldeck
