#pragma once

#include "core/domain/Alert.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/services/ImageDrift.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/MultivariateDrift.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace mldeck {

class PgConnection;

// One drift check of a deployment: the reference window against the current sliding window.
// Shared by `mldeckctl drift check`, the guard's DriftGuardJob and the GUI (DriftService).
struct DriftCheckRequest
{
    QString deployment;
    std::optional<qint64> windowSeconds; // overrides the deployment's setting
    QString reference;                   // overrides the deployment's setting (ReferenceSpec text)
    std::optional<double> datasetShare;
    QDateTime now; // end of the current window; invalid: the current time
    // Persist: record scores, advance the anti-flap state, raise/resolve alerts (the guard does;
    // `drift check` only reads).
    bool persist = false;
    AlertActor actor;
    // An image deployment: image statistics already measured (the guard keeps one across checks); may be null.
    ImageStatsCache *imageCache = nullptr;
    // Auto: a window longer than kSketchWindowSeconds is read from the per-hour feature sketches (bounded
    // figures), a shorter one from the raw rows; Never: raw rows whatever the window (`drift check --exact`);
    // Always: sketches whatever the window.
    enum class Sketches
    {
        Auto,
        Never,
        Always
    };
    Sketches sketches = Sketches::Auto;
};

// The default reference, the first N logged predictions, while fewer than N are logged: a state
// (no drift figures yet), not an error.
struct ReferenceFilling
{
    qint64 rows = 0;   // logged so far
    qint64 needed = 0; // N
};

struct DriftCheckReport
{
    // Set while the reference fills: then nothing below `referenceDescription` is filled in, and a
    // persisting check records nothing.
    std::optional<ReferenceFilling> filling;
    drift::DatasetDrift result;
    // The multivariate line (PCA reconstruction error of the features, outputs left out); unset when the
    // deployment's settings turn it off.
    std::optional<drift::MultivariateDrift> multivariate;
    std::optional<ImageDriftReport> images; // set for an image deployment
    drift::DriftConfig config;
    QDateTime windowFrom, windowTo;
    QString referenceDescription;
    QStringList fired;    // features (or "__dataset__") whose alert fired in this check
    QStringList resolved; // ... resolved in this check
    QStringList firing;   // every feature whose alert is open after this check
    bool skipped = false; // persist: the same window was already counted
    // Read from the per-hour feature sketches: every feature's figures carry their bound (FeatureDrift::sketch).
    bool fromSketches = false;
    qint64 sketchedHours = 0; // of the window, read from sketches
    qint64 rawRows = 0;       // of the window, read from the log (its partial hours, hours not sketched yet)
};

Result<DriftCheckReport> runDriftCheck(PgConnection &conn, const DriftCheckRequest &request,
                                       const std::function<QDateTime()> &clock = {});

// The reference rows of a deployment (features, __prediction__, __target__) as its drift settings name them,
// read by the same code as the drift check; "previous"/"first" references are relative to windowFromMicros.
// The nanny model trains on them.
struct DriftReferenceRows
{
    drift::Dataset data;
    QString description;
};
Result<DriftReferenceRows> loadDriftReference(PgConnection &conn, const QString &deployment,
                                              const FeatureSchema &schema, qint64 windowFromMicros);

// "reference filling: 120 of 5000": the one text of that state (CLI, guard log, GUI).
QString referenceFillingText(const ReferenceFilling &filling);
// What a reference spec names, for people: "the first 5000 logged predictions", "snapshot training".
QString describeReference(const drift::ReferenceSpec &spec);

// "rain_mm" -> "rain_mm"; "__prediction__" -> "prediction" etc., for titles.
QString driftFeatureLabel(const QString &feature);

} // namespace mldeck
