#pragma once

#include "core/stats/kpi/KpiAccumulator.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace mldeck {

// One aggregate row: the sums of the predictions of one deployment, path and model version whose
// timestamp falls in [startSecs, startSecs + seconds) (UTC epoch seconds). Outcomes count in the
// bucket of their prediction, whenever they arrive.
struct KpiBucket
{
    qint64 startSecs = 0;
    int seconds = 60;     // 60 (kpi_minute) or 3600 (kpi_hour)
    QString path;         // ml, heuristic, fallback
    QString modelVersion; // empty when none was logged (heuristic)
    stats::KpiAccumulator sums;
};

struct FeedbackBucket
{
    qint64 startSecs = 0;
    int seconds = 60;
    stats::FeedbackAccumulator sums;
};

// The deployment guide's targets; per deployment in mldeck.deployments.settings -> 'kpi_targets'.
struct KpiTargets
{
    double maeMax = 2.5; // minutes
    double r2Min = 0.68;
    double latencyMaxMs = 1000; // prediction time
    double errorRateMax = 0.20;
    double uptimeMin = 0.999;
    double stretchMae = 1.80;
    double stretchR2 = 0.75;
    int anticipationMinutes = 5; // X of "share of real delays anticipated", 1..30

    QJsonObject toJson() const;
    // Missing keys keep their defaults; a present key with a bad value is an error (message in *error).
    static KpiTargets fromJson(const QJsonObject &o, QString *error = nullptr);
};

// An audit event drawn on the charts: flag changes, rollbacks, promotions.
struct AuditMarker
{
    QDateTime at;
    QString action; // e.g. "flags.apply", "flags.rollback", "guard.rollback", "models.promote"
    QString actor;
    QString summary; // one line for the tooltip
};

} // namespace mldeck
