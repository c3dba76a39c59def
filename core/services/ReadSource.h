#pragma once

#include "core/config/ReadReplica.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <optional>

namespace mldeck {

// Where one read was served from, and how old its data may be: what the dashboard header, the
// status line and `mldeckctl kpi` show next to the figures.
struct ReadSource
{
    enum class Server
    {
        Primary, // no replica configured, or the fallback
        Standby
    };

    Server server = Server::Primary;
    bool replicaConfigured = false;
    // A replica is configured but this read went to the primary: why (connection error, not a standby).
    QString fallbackReason;
    int nextRetrySeconds = 0;         // fallback: when the replica is tried again
    std::optional<double> lagSeconds; // standby: replay lag measured just before the read; nullopt: unknown
    int maxLagSeconds = ReadReplica::kDefaultMaxLagSeconds;
    QString where; // host:port of the server read
    QDateTime measuredAt;

    bool fellBack() const { return replicaConfigured && server == Server::Primary; }
    // Read on the standby, and its lag is unknown or above maxLagSeconds: the figures are not live.
    bool stale() const;
    // One line for a status bar or a CLI: "read from the standby 127.0.0.1:5433, lag 0.4 s", "… STALE", the
    // fallback notice, or "" without a replica.
    QString describe() const;
    // The fallback notice, "" when not fallen back.
    QString notice() const;
    // {server: "standby"|"primary", where, lag_seconds (null: unknown), max_lag_seconds, stale, fell_back, notice}
    QJsonObject toJson() const;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::ReadSource)
