// Retraining triggers: the pure check (boundaries are unit-tested) and its inputs read from PostgreSQL.
#include "core/services/retrain/RetrainInternal.h"

#include "core/domain/Deployment.h"
#include "core/domain/Figure.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/RetentionStore.h"
#include "core/store/pg/RetrainStore.h"
#include "core/store/pg/RolloutPlanStore.h"
#include "core/store/pg/WindowMetricsQuery.h"

namespace mldeck::retrain {

TriggerCheck evaluateTriggers(const QString &deployment, const TriggerInputs &in, const RetrainSettings &s)
{
    TriggerCheck check;
    check.deployment = deployment;

    const int windowDays = s.windowDays;
    TriggerCondition count{QStringLiteral("feedback_count"),
                           ServiceText::tr("Feedback items in the last %n days", nullptr, windowDays),
                           double(in.feedbackCount),
                           double(s.minFeedback),
                           QStringLiteral(">="),
                           in.feedbackCount >= s.minFeedback,
                           true};
    TriggerCondition negative{QStringLiteral("negative_count"),
                              ServiceText::tr("Negative feedback items"),
                              double(in.negativeCount),
                              double(s.minNegative),
                              QStringLiteral(">="),
                              in.negativeCount >= s.minNegative,
                              true};
    // Without feedback there is no satisfaction: absent ("no data"), never met, never 100 %.
    const std::optional<double> satisfaction =
        ratioOf(double(in.feedbackCount - in.negativeCount), double(in.feedbackCount));
    TriggerCondition satisfied{QStringLiteral("satisfaction"),
                               ServiceText::tr("Satisfaction (positive share)"),
                               satisfaction,
                               s.satisfactionBelow,
                               QStringLiteral("<"),
                               satisfaction && *satisfaction < s.satisfactionBelow,
                               true};
    TriggerCondition drift{QStringLiteral("drift_alert"),
                           ServiceText::tr("Drift alert firing"),
                           in.driftAlertFiring ? 1.0 : 0.0,
                           1.0,
                           QStringLiteral("firing"),
                           in.driftAlertFiring,
                           s.onDriftAlert};
    // Without outcomes in the window there is no MAE (nor accuracy): absent, never 0. A classifier's
    // performance trigger is its accuracy below target, switched by the same setting.
    const TriggerCondition mae =
        in.classifier ? TriggerCondition{QStringLiteral("accuracy_below_target"),
                                         ServiceText::tr("Accuracy of the window below target"),
                                         in.accuracy,
                                         in.accuracyTarget,
                                         QStringLiteral("<"),
                                         in.accuracy && in.accuracyTarget && *in.accuracy < *in.accuracyTarget,
                                         s.onMaeAboveTarget}
                      : TriggerCondition{QStringLiteral("mae_above_target"),
                                         ServiceText::tr("MAE of the window above target"),
                                         in.mae,
                                         in.maeTarget,
                                         QStringLiteral(">"),
                                         in.mae && in.maeTarget && *in.mae > *in.maeTarget,
                                         s.onMaeAboveTarget};
    check.conditions = {count, negative, satisfied, drift, mae};

    const bool feedbackDue = count.met && negative.met && satisfied.met;
    const bool driftDue = drift.enabled && drift.met;
    const bool maeDue = mae.enabled && mae.met;
    check.due = feedbackDue || driftDue || maeDue;
    if (feedbackDue)
        check.reason = ServiceText::tr("Due: %1 feedback items, %2 negative, satisfaction %3 % (below %4 %).")
                           .arg(in.feedbackCount)
                           .arg(in.negativeCount)
                           .arg(*satisfaction * 100, 0, 'f', 1)
                           .arg(s.satisfactionBelow * 100, 0, 'f', 0);
    else if (driftDue)
        check.reason = ServiceText::tr("Due: a drift alert is firing.");
    else if (maeDue && in.classifier)
        check.reason = ServiceText::tr("Due: the accuracy of the window (%1 %) is below the target (%2 %).")
                           .arg(*in.accuracy * 100, 0, 'f', 1)
                           .arg(*in.accuracyTarget * 100, 0, 'f', 1);
    else if (maeDue)
        check.reason = ServiceText::tr("Due: the MAE of the window (%1) is above the target (%2).")
                           .arg(*in.mae, 0, 'f', 3)
                           .arg(*in.maeTarget, 0, 'f', 3);
    else {
        QStringList missing;
        if (!count.met)
            missing << ServiceText::tr("%1 of %2 feedback items").arg(in.feedbackCount).arg(s.minFeedback);
        if (!negative.met)
            missing << ServiceText::tr("%1 of %2 negative items").arg(in.negativeCount).arg(s.minNegative);
        if (!satisfaction)
            missing << ServiceText::tr("satisfaction: %1 (no feedback)").arg(noDataText());
        else if (!satisfied.met)
            missing << ServiceText::tr("satisfaction %1 % is not below %2 %")
                           .arg(*satisfaction * 100, 0, 'f', 1)
                           .arg(s.satisfactionBelow * 100, 0, 'f', 0);
        if (mae.enabled && !mae.value)
            missing << (in.classifier ? ServiceText::tr("accuracy of the window: %1 (no labels)").arg(noDataText())
                                      : ServiceText::tr("MAE of the window: %1 (no outcomes)").arg(noDataText()));
        check.reason = ServiceText::tr("Not due: %1.").arg(missing.join(QStringLiteral("; ")));
    }
    return check;
}

QString triggerFor(const TriggerCheck &check)
{
    const auto met = [&](const char *key) {
        for (const auto &c : check.conditions)
            if (c.key == QLatin1String(key))
                return c.met && c.enabled;
        return false;
    };
    if (met("feedback_count") && met("negative_count") && met("satisfaction"))
        return QStringLiteral("feedback");
    if (met("drift_alert"))
        return QStringLiteral("drift");
    if (met("mae_above_target") || met("accuracy_below_target"))
        return QStringLiteral("performance");
    return QStringLiteral("manual");
}

Result<RetrainSettings> loadSettings(PgConnection &pg, const QString &deployment)
{
    if (!isValidDeploymentName(deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(deployment)};
    const auto stored = RetrainStore(pg).loadSettings(deployment);
    if (!stored)
        return stored.error();
    if (!stored->has_value())
        return RetrainSettings{};
    QString error;
    RetrainSettings s = RetrainSettings::fromJson(**stored, &error);
    if (!error.isEmpty())
        return Error{ServiceText::tr("The stored retrain settings of \"%1\" are invalid: %2").arg(deployment, error)};
    return s;
}

Status saveSettings(PgConnection &pg, const QString &deployment, const RetrainSettings &settings, const Actor &actor)
{
    if (!isValidDeploymentName(deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(deployment)};
    QString error;
    RetrainSettings::fromJson(settings.toJson(), &error); // same range checks as reading
    if (!error.isEmpty())
        return Error{error};
    return RetrainStore(pg).saveSettings(deployment, settings.toJson(), actor);
}

Result<TriggerCheck> checkTriggers(PgConnection &pg, const QString &deployment)
{
    const auto settings = loadSettings(pg, deployment);
    if (!settings)
        return settings.error();
    const int days = settings->windowDays;
    // Every input below reads the raw rows of the window: refused when retention removed some of them.
    const auto gone = RetentionStore(pg).rawRowsGoneSince(deployment, qint64(days) * 86'400);
    if (!gone)
        return gone.error();
    if (!gone->isEmpty())
        return Error{*gone};
    TriggerInputs in;
    const auto feedback = RetrainStore(pg).feedbackCounts(deployment, days);
    if (!feedback)
        return feedback.error();
    in.feedbackCount = feedback->total;
    in.negativeCount = feedback->negative;
    const auto drift = AlertStore(pg).openCount(deployment, QStringLiteral("drift"));
    if (!drift)
        return drift.error();
    in.driftAlertFiring = *drift > 0;
    // The performance of the ML path over the window (predictions joined with their latest outcome) against
    // the gate of the deployment's rollout plan: MAE (default 2.5 min, the team's guide), or a classifier's
    // accuracy (default 90 %).
    const auto info = DeploymentStore(pg).show(deployment);
    if (!info)
        return info.error();
    const auto plan = RolloutPlanStore(pg).load(deployment);
    const PlanGates gates = plan ? plan->plan.gates : PlanGates{};
    in.classifier = info->task == QLatin1String("classification");
    if (in.classifier) {
        const auto window = WindowMetricsQuery(pg).mlWindow(deployment, days * 86'400);
        if (!window)
            return window.error();
        in.accuracy = window->accuracy;
        in.accuracyTarget = gates.minAccuracy;
    } else {
        const auto mae = WindowMetricsQuery(pg).mlMae(deployment, days);
        if (!mae)
            return mae.error();
        in.mae = *mae;
        in.maeTarget = gates.maxMae;
    }
    return evaluateTriggers(deployment, in, *settings);
}

} // namespace mldeck::retrain
