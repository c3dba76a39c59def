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

} // namespace

QJsonObject grafanaDashboard(const QString &deployment, const KpiTargets &t)
{
    const QString sel = QStringLiteral("deployment=\"$deployment\"");
    const QString w5 = QStringLiteral("window=\"5m\"");
    QJsonArray panels;
    int id = 1;
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("MAE, ML vs heuristic (5 min)"), 0, 0, 12, 8,
        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_mae{%1,%2,path=~\"ml|heuristic\"}").arg(sel, w5),
                          QStringLiteral("{{path}}"))},
        fieldConfig(QStringLiteral("none"), steps(QStringLiteral("green"), t.maeMax, QStringLiteral("red"))),
        QStringLiteral("Target: MAE below %1 (stretch %2).").arg(t.maeMax).arg(t.stretchMae)));
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("R², ML vs heuristic (5 min)"), 12, 0, 12, 8,
        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_r2{%1,%2,path=~\"ml|heuristic\"}").arg(sel, w5),
                          QStringLiteral("{{path}}"))},
        fieldConfig(QStringLiteral("none"), steps(QStringLiteral("red"), t.r2Min, QStringLiteral("green"))),
        QStringLiteral("Target: R² above %1 (stretch %2).").arg(t.r2Min).arg(t.stretchR2)));
    panels.append(panel(
        id++, QStringLiteral("timeseries"), QStringLiteral("Latency p50 / p95 / p99"), 0, 8, 12, 8,
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
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Failure ratio (5 min)"), 12, 8, 12, 8,
              QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_failure_ratio{%1,%2}").arg(sel, w5),
                                QStringLiteral("{{path}}")),
                         target(QStringLiteral("B"), QStringLiteral("mldeck_fallback_ratio{%1,%2}").arg(sel, w5),
                                QStringLiteral("fallback"))},
              fieldConfig(QStringLiteral("percentunit"),
                          steps(QStringLiteral("green"), t.errorRateMax, QStringLiteral("red"))),
              QStringLiteral("Target: failure ratio below %1.").arg(t.errorRateMax)));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("Throughput by path"), 0, 16, 12, 8,
              QJsonArray{target(
                  QStringLiteral("A"),
                  QStringLiteral("sum by (path) (rate(mldeck_predictions_total{%1}[$__rate_interval]))").arg(sel),
                  QStringLiteral("{{path}}"))},
              fieldConfig(QStringLiteral("reqps")), QStringLiteral("Predictions per second.")));
    panels.append(panel(id++, QStringLiteral("timeseries"), QStringLiteral("Drift score by feature"), 12, 16, 12, 8,
                        QJsonArray{target(QStringLiteral("A"), QStringLiteral("mldeck_drift_score{%1}").arg(sel),
                                          QStringLiteral("{{feature}} ({{test}})"))},
                        fieldConfig(QStringLiteral("none")),
                        QStringLiteral("Latest drift statistic per feature; mldeck_drift_firing says which alert.")));
    panels.append(
        panel(id++, QStringLiteral("stat"), QStringLiteral("Alerts firing"), 0, 24, 8, 6,
              QJsonArray{target(QStringLiteral("A"), QStringLiteral("sum(mldeck_alert_rule_firing{%1})").arg(sel),
                                QStringLiteral("KPI rules")),
                         target(QStringLiteral("B"), QStringLiteral("sum(mldeck_drift_firing{%1})").arg(sel),
                                QStringLiteral("drift"))},
              fieldConfig(QStringLiteral("none"), steps(QStringLiteral("green"), 1, QStringLiteral("red"))),
              QStringLiteral("KPI alert rules and drift alerts that fire now.")));
    panels.append(
        panel(id++, QStringLiteral("timeseries"), QStringLiteral("ML traffic"), 8, 24, 16, 6,
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
