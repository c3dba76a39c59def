#include "core/services/metrics/GrafanaDashboard.h"

#include <QJsonArray>

namespace mldeck {

namespace {

const QString kDatasource = QStringLiteral("${DS_PROMETHEUS}");

QJsonObject datasource()
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("prometheus")}, {QStringLiteral("uid"), kDatasource}};
}

QJsonObject target(const QString &ref, const QString &expr, const QString &legend)
{
    return QJsonObject{{QStringLiteral("refId"), ref},
                       {QStringLiteral("datasource"), datasource()},
                       {QStringLiteral("expr"), expr},
                       {QStringLiteral("legendFormat"), legend}};
}

// Horizontal target lines: Grafana draws thresholds as lines when thresholdsStyle says so.
QJsonObject fieldConfig(const QString &unit, const QJsonArray &thresholdSteps = {})
{
    QJsonObject defaults{{QStringLiteral("unit"), unit}};
    if (!thresholdSteps.isEmpty()) {
        defaults.insert(QStringLiteral("thresholds"), QJsonObject{{QStringLiteral("mode"), QStringLiteral("absolute")},
                                                                  {QStringLiteral("steps"), thresholdSteps}});
        defaults.insert(QStringLiteral("custom"),
                        QJsonObject{{QStringLiteral("thresholdsStyle"),
                                     QJsonObject{{QStringLiteral("mode"), QStringLiteral("line")}}}});
    }
    return QJsonObject{{QStringLiteral("defaults"), defaults}, {QStringLiteral("overrides"), QJsonArray{}}};
}

QJsonArray steps(const QString &below, double at, const QString &above)
{
    return QJsonArray{QJsonObject{{QStringLiteral("color"), below}, {QStringLiteral("value"), QJsonValue::Null}},
                      QJsonObject{{QStringLiteral("color"), above}, {QStringLiteral("value"), at}}};
}

QJsonObject panel(int id, const QString &type, const QString &title, int x, int y, int w, int h,
                  const QJsonArray &targets, const QJsonObject &fields, const QString &description)
{
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("type"), type},
                       {QStringLiteral("title"), title},
                       {QStringLiteral("description"), description},
                       {QStringLiteral("datasource"), datasource()},
                       {QStringLiteral("gridPos"), QJsonObject{{QStringLiteral("x"), x},
                                                               {QStringLiteral("y"), y},
                                                               {QStringLiteral("w"), w},
                                                               {QStringLiteral("h"), h}}},
                       {QStringLiteral("targets"), targets},
                       {QStringLiteral("fieldConfig"), fields},
                       {QStringLiteral("options"), QJsonObject{}}};
}

// The series `legend` of a panel drawn dashed (an estimate next to the measured figure).
QJsonObject dashed(QJsonObject fields, const QString &legend)
{
    const QJsonObject dash{{QStringLiteral("fill"), QStringLiteral("dash")},
                           {QStringLiteral("dash"), QJsonArray{10, 10}}};
    fields.insert(
        QStringLiteral("overrides"),
        QJsonArray{QJsonObject{{QStringLiteral("matcher"), QJsonObject{{QStringLiteral("id"), QStringLiteral("byName")},
                                                                       {QStringLiteral("options"), legend}}},
                               {QStringLiteral("properties"),
                                QJsonArray{QJsonObject{{QStringLiteral("id"), QStringLiteral("custom.lineStyle")},
                                                       {QStringLiteral("value"), dash}}}}}});
    return fields;
}

// The model's own panels of a regression deployment: MAE (with the nanny's estimate of the ML MAE, dashed)
// and R², ML vs heuristic, with the targets.
int regressionPanels(QJsonArray &panels, int id, const KpiTargets &t, const QString &sel, const QString &w5)
{
    const QString estimated = QStringLiteral("ml estimated");
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("MAE, ML vs heuristic (5 min)"), 0, 0, 12, 8,
        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_mae{%1,%2,path=~\"ml|heuristic\"}").arg(sel, w5),
                          QStringLiteral("{{path}}")),
                   target(QStringLiteral("B"), QStringLiteral("mldeck_estimated_mae{%1,%2,path=\"ml\"}").arg(sel, w5),
                          estimated)},
        dashed(fieldConfig(QStringLiteral("none"), steps(QStringLiteral("green"), t.maeMax, QStringLiteral("red"))),
               estimated),
        QStringLiteral("Target: MAE below %1 (stretch %2). Dashed: the ML MAE the nanny model expects before the "
                       "outcomes arrive.")
            .arg(t.maeMax)
            .arg(t.stretchMae)));
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("R², ML vs heuristic (5 min)"), 12, 0, 12, 8,
        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_r2{%1,%2,path=~\"ml|heuristic\"}").arg(sel, w5),
                          QStringLiteral("{{path}}"))},
        fieldConfig(QStringLiteral("none"), steps(QStringLiteral("red"), t.r2Min, QStringLiteral("green"))),
        QStringLiteral("Target: R² above %1 (stretch %2).").arg(t.r2Min).arg(t.stretchR2)));
    return id;
}

// The model's own panels of a classification deployment: accuracy ML vs heuristic, realised vs
// estimated before labels, calibration (log-loss, Brier, ECE), confidence and served positives, label
// coverage: three rows of panels above the serving panels (the regression's take one).
int classificationPanels(QJsonArray &panels, int id, const KpiTargets &t, const QString &sel, const QString &w5)
{
    const QString w1h = QStringLiteral("window=\"1h\"");
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("Accuracy, ML vs heuristic (5 min)"), 0, 0, 12, 8,
        QJsonArray{target(QStringLiteral("A"),
                          QStringLiteral("mldeck_accuracy{%1,%2,path=~\"ml|heuristic\"}").arg(sel, w5),
                          QStringLiteral("{{path}}")),
                   target(QStringLiteral("B"), QStringLiteral("mldeck_accuracy_gain_points{%1,%2} / 100").arg(sel, w5),
                          QStringLiteral("ML minus heuristic"))},
        fieldConfig(QStringLiteral("percentunit"),
                    steps(QStringLiteral("red"), t.accuracyMin, QStringLiteral("green"))),
        QStringLiteral("Labelled predictions served as their true class. Target: at least %1 (stretch %2).")
            .arg(t.accuracyMin)
            .arg(t.stretchAccuracy)));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Accuracy of ML: realised vs estimated (5 min)"), 12,
              0, 12, 8,
              QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_accuracy{%1,%2,path=\"ml\"}").arg(sel, w5),
                                QStringLiteral("realised")),
                         target(QStringLiteral("B"),
                                QStringLiteral("mldeck_estimated_accuracy{%1,%2,path=\"ml\"}").arg(sel, w5),
                                QStringLiteral("estimated")),
                         target(QStringLiteral("C"),
                                QStringLiteral("mldeck_estimated_accuracy{%1,%2,path=\"ml\"} unless "
                                               "mldeck_estimate_trusted{%1,%2,path=\"ml\"} == 1")
                                    .arg(sel, w5),
                                QStringLiteral("estimated, not trusted"))},
              fieldConfig(QStringLiteral("percentunit"),
                          steps(QStringLiteral("red"), t.accuracyMin, QStringLiteral("green"))),
              QStringLiteral("Expected from the calibrated probabilities before labels arrive; the gap shows when they "
                             "do. Not trusted when the calibration is off or the rows too few.")));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Log-loss and Brier score, ML (5 min)"), 0, 8, 12, 8,
              QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_log_loss{%1,%2,path=\"ml\"}").arg(sel, w5),
                                QStringLiteral("log-loss")),
                         target(QStringLiteral("B"), QStringLiteral("mldeck_brier{%1,%2,path=\"ml\"}").arg(sel, w5),
                                QStringLiteral("Brier"))},
              fieldConfig(QStringLiteral("none"), steps(QStringLiteral("green"), t.logLossMax, QStringLiteral("red"))),
              QStringLiteral("Lower is better. Target: log-loss at most %1.").arg(t.logLossMax)));
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("Calibration error (ECE) and ROC AUC, ML (1 h)"), 12, 8, 12,
        8,
        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_ece{%1,%2,path=\"ml\"}").arg(sel, w1h),
                          QStringLiteral("ECE")),
                   target(QStringLiteral("B"), QStringLiteral("mldeck_roc_auc{%1,%2,path=\"ml\"}").arg(sel, w1h),
                          QStringLiteral("ROC AUC"))},
        fieldConfig(QStringLiteral("none"), steps(QStringLiteral("green"), t.eceMax, QStringLiteral("red"))),
        QStringLiteral("Expected calibration error over 10 score bins (target: at most %1); ROC AUC from the score "
                       "histogram (target: at least %2).")
            .arg(t.eceMax)
            .arg(t.rocAucMin)));
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("Confidence and served positives (5 min)"), 0, 16, 12, 8,
        QJsonArray{target(QStringLiteral("A"),
                          QStringLiteral("mldeck_mean_confidence{%1,%2,path=\"all\"}").arg(sel, w5),
                          QStringLiteral("mean confidence")),
                   target(QStringLiteral("B"), QStringLiteral("mldeck_positive_ratio{%1,%2,path=\"all\"}").arg(sel, w5),
                          QStringLiteral("served as positive"))},
        fieldConfig(QStringLiteral("percentunit")),
        QStringLiteral("Mean probability of the served class; binary: the share served as the positive class.")));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Label coverage and F1, ML (1 h)"), 12, 16, 12, 8,
              QJsonArray{target(QStringLiteral("A"),
                                QStringLiteral("mldeck_label_coverage_ratio{%1,%2,path=\"ml\"}").arg(sel, w1h),
                                QStringLiteral("labelled")),
                         target(QStringLiteral("B"), QStringLiteral("mldeck_f1{%1,%2,path=\"ml\"}").arg(sel, w1h),
                                QStringLiteral("F1"))},
              fieldConfig(QStringLiteral("percentunit")),
              QStringLiteral("Share of the predictions that have a label yet; F1 of the positive class (macro when "
                             "multi-class).")));
    return id;
}

} // namespace

QJsonObject grafanaDashboard(const QString &deployment, const KpiTargets &t, const QString &task)
{
    const QString sel = QStringLiteral("deployment=\"$deployment\"");
    const QString w5 = QStringLiteral("window=\"5m\"");
    QJsonArray panels;
    const bool classifier = task == QLatin1String("classification");
    int id = classifier ? classificationPanels(panels, 1, t, sel, w5) : regressionPanels(panels, 1, t, sel, w5);
    // The serving panels below the model's own.
    const int y = classifier ? 24 : 8;
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("Latency p50 / p95 / p99"), 0, y, 12, 8,
        QJsonArray{target(QStringLiteral("A"),
                          QStringLiteral("histogram_quantile(0.5, sum by (le) "
                                         "(rate(mldeck_prediction_latency_seconds_bucket{%1}[$__rate_interval])))")
                              .arg(sel),
                          QStringLiteral("p50")),
                   target(QStringLiteral("B"),
                          QStringLiteral("histogram_quantile(0.95, sum by (le) "
                                         "(rate(mldeck_prediction_latency_seconds_bucket{%1}[$__rate_interval])))")
                              .arg(sel),
                          QStringLiteral("p95")),
                   target(QStringLiteral("C"),
                          QStringLiteral("histogram_quantile(0.99, sum by (le) "
                                         "(rate(mldeck_prediction_latency_seconds_bucket{%1}[$__rate_interval])))")
                              .arg(sel),
                          QStringLiteral("p99"))},
        fieldConfig(QStringLiteral("s"),
                    steps(QStringLiteral("green"), t.latencyMaxMs / 1000.0, QStringLiteral("red"))),
        QStringLiteral("Target: prediction time below %1 ms.").arg(t.latencyMaxMs)));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Failure ratio (5 min)"), 12, y, 12, 8,
              QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_failure_ratio{%1,%2}").arg(sel, w5),
                                QStringLiteral("{{path}}")),
                         target(QStringLiteral("B"), QStringLiteral("mldeck_fallback_ratio{%1,%2}").arg(sel, w5),
                                QStringLiteral("fallback"))},
              fieldConfig(QStringLiteral("percentunit"),
                          steps(QStringLiteral("green"), t.errorRateMax, QStringLiteral("red"))),
              QStringLiteral("Target: failure ratio below %1.").arg(t.errorRateMax)));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Throughput by path"), 0, y + 8, 12, 8,
              QJsonArray{target(
                  QStringLiteral("A"),
                  QStringLiteral("sum by (path) (rate(mldeck_predictions_total{%1}[$__rate_interval]))").arg(sel),
                  QStringLiteral("{{path}}"))},
              fieldConfig(QStringLiteral("reqps")), QStringLiteral("Predictions per second.")));
    panels.append(panel(id++, QStringLiteral("timeseries"), QStringLiteral("Drift score by feature"), 12, y + 8, 12, 8,
                        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_drift_score{%1}").arg(sel),
                                          QStringLiteral("{{feature}} ({{test}})"))},
                        fieldConfig(QStringLiteral("none")),
                        QStringLiteral("Latest drift statistic per feature; mldeck_drift_firing says which alert.")));
    panels.append(
        panel(id++, QStringLiteral("stat"), QStringLiteral("Alerts firing"), 0, y + 16, 8, 6,
              QJsonArray{target(QStringLiteral("A"), QStringLiteral("sum(mldeck_alert_rule_firing{%1})").arg(sel),
                                QStringLiteral("KPI rules")),
                         target(QStringLiteral("B"), QStringLiteral("sum(mldeck_drift_firing{%1})").arg(sel),
                                QStringLiteral("drift"))},
              fieldConfig(QStringLiteral("none"), steps(QStringLiteral("green"), 1, QStringLiteral("red"))),
              QStringLiteral("KPI alert rules and drift alerts that fire now.")));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("ML traffic"), 8, y + 16, 16, 6,
              QJsonArray{target(QStringLiteral("A"),
                                QStringLiteral("mldeck_ml_traffic_ratio{%1} * mldeck_ml_enabled{%1}").arg(sel),
                                QStringLiteral("ML share"))},
              fieldConfig(QStringLiteral("percentunit")),
              QStringLiteral("Share of requests the rollout flags send to the model.")));

    const QJsonObject variable{
        {QStringLiteral("name"), QStringLiteral("deployment")},
        {QStringLiteral("type"), QStringLiteral("custom")},
        {QStringLiteral("query"), deployment},
        {QStringLiteral("current"),
         QJsonObject{{QStringLiteral("text"), deployment}, {QStringLiteral("value"), deployment}}},
        {QStringLiteral("options"), QJsonArray{QJsonObject{{QStringLiteral("text"), deployment},
                                                           {QStringLiteral("value"), deployment},
                                                           {QStringLiteral("selected"), true}}}}};
    return QJsonObject{{QStringLiteral("__inputs"),
                        QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("DS_PROMETHEUS")},
                                               {QStringLiteral("label"), QStringLiteral("Prometheus")},
                                               {QStringLiteral("type"), QStringLiteral("datasource")},
                                               {QStringLiteral("pluginId"), QStringLiteral("prometheus")}}}},
                       {QStringLiteral("title"), QStringLiteral("MLDeck: %1").arg(deployment)},
                       {QStringLiteral("uid"), QStringLiteral("mldeck-%1").arg(deployment)},
                       {QStringLiteral("tags"), QJsonArray{QStringLiteral("mldeck")}},
                       {QStringLiteral("timezone"), QStringLiteral("utc")},
                       {QStringLiteral("schemaVersion"), 36},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("refresh"), QStringLiteral("10s")},
                       {QStringLiteral("time"), QJsonObject{{QStringLiteral("from"), QStringLiteral("now-6h")},
                                                            {QStringLiteral("to"), QStringLiteral("now")}}},
                       {QStringLiteral("templating"), QJsonObject{{QStringLiteral("list"), QJsonArray{variable}}}},
                       {QStringLiteral("panels"), panels}};
}

QStringList grafanaExpressions(const QJsonObject &dashboard)
{
    QStringList out;
    for (const QJsonValue &p : dashboard.value(QStringLiteral("panels")).toArray())
        for (const QJsonValue &t : p.toObject().value(QStringLiteral("targets")).toArray())
            out << t.toObject().value(QStringLiteral("expr")).toString();
    return out;
}

} // namespace mldeck
