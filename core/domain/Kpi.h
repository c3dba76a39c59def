#pragma once

#include "core/stats/kpi/KpiAccumulator.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

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
// The serving targets (latency, errors, uptime) hold for every task; the error targets are the task's:
// MAE and R² for a regression, accuracy, F1, ROC AUC, log-loss and ECE for a classification.
struct KpiTargets
{
    // Serving, every task.
    double latencyMaxMs = 1000; // prediction time
    double errorRateMax = 0.20;
    double uptimeMin = 0.999;
    // Regression.
    double maeMax = 2.5; // minutes
    double r2Min = 0.68;
    double stretchMae = 1.80;
    double stretchR2 = 0.75;
    int anticipationMinutes = 5; // X of "share of real delays anticipated", 1..30
    // Classification (F1: the positive class's on a binary deployment, macro F1 on a multi-class one).
    double accuracyMin = 0.90;
    double f1Min = 0.80;
    double rocAucMin = 0.85;
    double logLossMax = 0.40;
    double eceMax = 0.05;
    double stretchAccuracy = 0.95;

    // Every key (a deployment of either task reads the other task's defaults and ignores them).
    QJsonObject toJson() const;
    // Missing keys keep their defaults; a present key with a bad value is an error (message in *error).
    static KpiTargets fromJson(const QJsonObject &o, QString *error = nullptr);
    // The keys a new deployment of `task` stores: the serving ones and its task's ("regression",
    // "classification"; another task gets the serving ones only).
    static QJsonObject defaultsFor(const QString &task);
    static QStringList keysOf(const QString &task); // the error-target keys of a task
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
