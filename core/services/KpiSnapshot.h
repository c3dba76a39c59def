#pragma once

#include "core/domain/ClassSpec.h"
#include "core/domain/Kpi.h"
#include "core/stats/kpi/KpiFigures.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QVector>

namespace mldeck {

// What to show: a deployment over [from, to). live: `to` follows the clock (ranges "last 1 h", ...).
struct KpiQuery
{
    QString deployment;
    qint64 fromSecs = 0;
    qint64 toSecs = 0;
    bool live = true;
    qint64 rangeSeconds() const { return toSecs - fromSecs; }
    // "15m", "1h", "24h", "7d", "30d" (or any N followed by m/h/d) ending now; nullopt for a bad range.
    static std::optional<KpiQuery> lastRange(const QString &deployment, const QString &range, qint64 nowSecs);
};

// One point of a chart series: the figures of one display bucket.
struct KpiPoint
{
    qint64 startSecs = 0;
    int seconds = 0;
    stats::KpiFigures figures;
};

// Everything the dashboard, `mldeckctl kpi` and the report show for a query.
struct KpiSnapshot
{
    KpiQuery query;
    int bucketSeconds = 60; // display bucket, chosen from the range (about 60-300 points)
    KpiTargets targets;
    stats::KpiFigures overall;                     // all paths
    stats::KpiFigures previous;                    // the same length just before `from`: the tiles' trend
    QMap<QString, stats::KpiFigures> byPath;       // "ml", "heuristic", "fallback"
    QMap<QString, stats::KpiFigures> byVersion;    // model version ("" = none)
    QMap<QString, QVector<KpiPoint>> seriesByPath; // "all", "ml", "heuristic", "fallback"; time-ordered
    QList<AuditMarker> markers;

    // The deployment's task. A classification deployment also has its classes and the calibration map
    // its estimated figures (estimatedAccuracy, ...) went through: fitted on its labelled reference rows
    // when the query was loaded. Every KpiFigures above then has `classification` set.
    QString task = QStringLiteral("regression"); // "regression" | "classification"
    ClassSpec classSpec;
    stats::Calibration calibration;
    bool isClassification() const { return task == QLatin1String("classification"); }
    // Classification: the merged sums of the range, all paths and by the keys of byPath and byVersion
    // (the confusion matrix and the reliability diagram are drawn from them; empty on a regression).
    stats::ClassificationSums classSums;
    QMap<QString, stats::ClassificationSums> classSumsByPath;
    QMap<QString, stats::ClassificationSums> classSumsByVersion;

    // Retention (resources/contract/retention.md): raw rows of the deployment before rawRowsBeforeSecs are
    // gone (0: none removed); the figures there come from the kept aggregates. Before minuteHorizonSecs
    // minute rows are folded into hours: that part is read at hour resolution.
    qint64 rawRowsBeforeSecs = 0;
    qint64 minuteHorizonSecs = 0;
    // The part of [from, to) whose raw rows are gone: what the dashboard and `mldeckctl kpi` say.
    bool rawRowsGoneInRange() const { return rawRowsBeforeSecs > query.fromSecs; }

    // Read on a hot standby: outcomes of the deployment queued for kpi_apply_pending (written outside READ
    // COMMITTED) that the figures do not count yet; only the primary can apply them. 0 on a primary.
    qint64 outcomesAwaitingPrimary = 0;

    QDateTime computedAt;
    double elapsedMs = 0;      // time spent reading and merging
    qint64 bucketRowsRead = 0; // aggregate rows read by the last load/refresh
};

// Display bucket for a range: the smallest of 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 1 d that gives
// at most 300 points.
int displayBucketSeconds(qint64 rangeSeconds);

} // namespace mldeck
