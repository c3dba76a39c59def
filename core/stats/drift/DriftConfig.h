#pragma once

#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/MultivariateDrift.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace mldeck::drift {

// Where the reference window comes from.
struct ReferenceSpec
{
    enum class Kind
    {
        FirstRows, // the first `rows` logged predictions (the default: drift starts without any setup)
        Auto,      // snapshot "baseline" if stored, else the champion's training window, else first:1h
        Model,     // the champion model's training window (mldeck.models train_from / train_to)
        Period,    // a chosen period [from, to)
        Snapshot,  // a stored snapshot (mldeck.drift_snapshots) by name
        First,     // the first `seconds` of the deployment's log
        Previous,  // the `seconds` just before the current window
    };
    Kind kind = Kind::FirstRows;
    QDateTime from, to;
    QString snapshot;
    qint64 seconds = 0;
    qint64 rows = kDefaultReferenceRows;

    // "first_rows:5000", "auto", "model", "period:2024-05-01T00:00:00Z/2024-05-02T00:00:00Z",
    // "snapshot:NAME", "first:1h", "previous:30m". Empty: the default, first_rows:5000.
    static Result<ReferenceSpec> parse(const QString &text);
    static ReferenceSpec firstRows(qint64 rows);
    QString toString() const;

    static constexpr qint64 kDefaultReferenceRows = 5000;
    static constexpr qint64 kMinReferenceRows = 100;
    static constexpr qint64 kMaxReferenceRows = 10'000'000;
};

// The reference of a new deployment and of one with none set: the first `rows` logged predictions
// ("first_rows:5000"). `deployments create` and the New deployment dialog store this text.
QString defaultReferenceSpec(qint64 rows = ReferenceSpec::kDefaultReferenceRows);

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
    bool multivariate = true; // also the PCA reconstruction-error line ("multivariate")
    MultivariateOptions pca;  // "pca_variance", "pca_chunk_rows" (its minSamples: "min_samples")
    // An image deployment: how many images of each side (window, reference) its image statistics are
    // computed from, a sample ("image_sample").
    qint64 imageSample = kDefaultImageSample;

    static constexpr qint64 kDefaultImageSample = 2000;

    // Missing keys keep the defaults; any bad value is an error naming the key. The one check of
    // drift settings: the guard, the CLI and the GUI's editor (one key at a time) all call it.
    static Result<DriftConfig> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
};

// "90s", "10m", "1h", "2d" -> seconds.
Result<qint64> parseSeconds(const QString &text);

} // namespace mldeck::drift
