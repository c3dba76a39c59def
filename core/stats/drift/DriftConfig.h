#pragma once

#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace mldeck::drift {

// Where the reference window comes from.
struct ReferenceSpec
{
    enum class Kind
    {
        Auto,     // snapshot "baseline" if stored, else the champion's training window, else first:1h
        Model,    // the champion model's training window (mldeck.models train_from / train_to)
        Period,   // a chosen period [from, to)
        Snapshot, // a stored snapshot (mldeck.drift_snapshots) by name
        First,    // the first `seconds` of the deployment's log
        Previous, // the `seconds` just before the current window
    };
    Kind kind = Kind::Auto;
    QDateTime from, to;
    QString snapshot;
    qint64 seconds = 0;

    // "auto", "model", "period:2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", "snapshot:NAME",
    // "first:1h", "previous:30m".
    static Result<ReferenceSpec> parse(const QString &text);
    QString toString() const;
};

// A deployment's drift settings: mldeck.deployments.settings -> 'drift' (contract: drift.md).
struct DriftConfig
{
    qint64 windowSeconds = 600;  // current window: the last 10 minutes
    qint64 intervalSeconds = 60; // the guard checks every minute
    int consecutiveWindows = 3;  // K: windows in a row before an alert fires / resolves
    qint64 maxRows = 1'000'000;  // per window (newest rows first)
    ReferenceSpec reference;
    QStringList ignore; // features left out (e.g. time-of-day features)
    DriftOptions options;

    static Result<DriftConfig> fromJson(const QJsonObject &json); // missing keys keep the defaults
    QJsonObject toJson() const;
};

// "90s", "10m", "1h", "2d" -> seconds.
Result<qint64> parseSeconds(const QString &text);

} // namespace mldeck::drift
