#pragma once

#include "core/domain/ImageAugmentation.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

// When a deployment is due for retraining (per deployment in mldeck.retrain_settings; defaults from
// the team's procedure). Due when all three feedback conditions hold, or an enabled extra trigger does.
struct RetrainSettings
{
    int windowDays = 30;
    qint64 minFeedback = 100;        // feedback items in the window, at least
    qint64 minNegative = 20;         // negative items, at least
    double satisfactionBelow = 0.70; // positive share, strictly below
    bool onDriftAlert = false;       // a drift alert firing
    bool onMaeAboveTarget = false;   // MAE of the window above the deployment's target
    bool autoRetrain = false;        // the guard starts a run when due
    bool autoPromote = false;        // ... and promotes it when the decision rule says so
    int checkIntervalMinutes = 60;   // how often the guard checks
    // Decision rule: the candidate beats the champion on the holdout by at least minImprovement: MAE (a
    // regression model) or log-loss 2 % lower (relative), accuracy 2 points higher (absolute) ...
    double minImprovement = 0.02;
    QString classificationMetric = QStringLiteral("accuracy"); // a classifier's metric: accuracy or log_loss
    int feedbackRetentionDays = 180;                           // privacy: feedback older than this is purged
    // An image deployment's training images: the start of every run (guard, wizard, mldeckctl); a run may
    // override it. JSON "image_augmentation": {"horizontal_flip", "max_crop"}.
    ImageAugmentation imageAugmentation;

    QJsonObject toJson() const;
    static RetrainSettings fromJson(const QJsonObject &o, QString *error = nullptr);
    // The same keys one level deep, a nested object's keys as "object.key"
    // ("image_augmentation.horizontal_flip"): what the settings editor and "mldeckctl retrain settings set"
    // edit field by field. nested() turns such an object back into toJson()'s shape.
    QJsonObject toFlatJson() const;
    static QJsonObject nested(const QJsonObject &flat);
};

// One condition of the check, with its value and threshold, for people and for --json.
struct TriggerCondition
{
    QString key;   // "feedback_count", "negative_count", "satisfaction", "drift_alert", "mae_above_target"
    QString label; // translated
    // Absent when there is nothing to compute it from (no feedback for the satisfaction, no outcomes for
    // the MAE): shown as "no data", null in --json, and never met.
    std::optional<double> value;
    std::optional<double> threshold;
    QString comparison; // ">=", "<", ">", "firing"
    bool met = false;
    bool enabled = true; // extra triggers that are switched off are listed, not counted
};

struct TriggerCheck
{
    QString deployment;
    QList<TriggerCondition> conditions;
    bool due = false;
    QString reason; // one line: why due / why not
};

// One row of mldeck.retrain_runs.
struct RetrainRun
{
    qint64 id = 0;
    QString deployment;
    QString trigger; // manual, feedback, drift, performance, schedule
    QString state;   // queued, running, succeeded, failed, cancelled
    bool dryRun = false;
    QString requestedBy;
    QDateTime requestedAt;
    QDateTime startedAt;
    QDateTime finishedAt;
    QJsonObject params;    // data window, training parameters
    QString baseVersion;   // the champion it started from
    QString resultVersion; // the version it registered (empty: none)
    QJsonObject metrics;   // candidate and champion on the holdout, the interval
    QString decision;      // promoted, challenger, rejected, none
    QString decisionReason;
    QString error;
    QJsonObject checks; // the model checks of the registered candidate (checks::CheckReport); empty: none ran

    std::optional<double> durationSeconds() const; // none until it started
    QJsonObject toJson() const;
};

} // namespace mldeck
