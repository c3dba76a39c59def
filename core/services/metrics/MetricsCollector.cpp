#include "core/services/metrics/MetricsCollector.h"

#include "core/services/KeptPgConnection.h"
#include "core/services/KeptReadConnection.h"
#include "core/services/KpiCache.h"
#include "core/services/metrics/AlertRulesExport.h"
#include "core/services/metrics/PromWriter.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

namespace mldeck {

namespace {

using Labels = PromWriter::Labels;
using stats::KpiAccumulator;
using stats::KpiFigures;

// Upper bounds of the latency histogram, in seconds (Prometheus' base unit).
constexpr std::array kLatencyBucketsSeconds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
// A model version gets its own counters while it served in the last day; older ones leave the export.
constexpr qint64 kVersionRecentSecs = 24 * 3600;

// Count of the sketch's values at most `seconds`, to the sketch's 1 % relative bound: whole bins.
qint64 countAtMost(const stats::QuantileSketch &sketch, double seconds)
{
    const int last = stats::QuantileSketch::binOf(seconds * 1000.0);
    qint64 n = 0;
    const auto &counts = sketch.counts();
    for (size_t k = 0; k < counts.size(); ++k)
        if (sketch.offset() + int(k) <= last)
            n += counts[k];
    return n;
}

void declareFamilies(PromWriter &w)
{
    w.family(QStringLiteral("mldeck_guard_leader"), QStringLiteral("gauge"),
             QStringLiteral("1 when this guard is the elected leader (only the leader exports deployment series)."));
    w.family(QStringLiteral("mldeck_build_info"), QStringLiteral("gauge"),
             QStringLiteral("MLDeck version of this guard."));
    w.family(QStringLiteral("mldeck_guard_rounds_total"), QStringLiteral("counter"),
             QStringLiteral("Guard rounds run by this process."));
    w.family(QStringLiteral("mldeck_guard_last_round_timestamp_seconds"), QStringLiteral("gauge"),
             QStringLiteral("When this guard last finished a round."));
    w.family(QStringLiteral("mldeck_exporter_errors"), QStringLiteral("gauge"),
             QStringLiteral("Sources this scrape could not read (details in the guard's log)."));
    w.family(QStringLiteral("mldeck_exporter_collect_seconds"), QStringLiteral("gauge"),
             QStringLiteral("Time this scrape spent reading and computing."));
    w.family(QStringLiteral("mldeck_read_replica_lag_seconds"), QStringLiteral("gauge"),
             QStringLiteral("Replay lag of the read replica this scrape read (0 when caught up); absent without one."));
    w.family(QStringLiteral("mldeck_read_replica_fallback"), QStringLiteral("gauge"),
             QStringLiteral("1 when the read replica could not be used and this scrape read the primary."));

    w.family(QStringLiteral("mldeck_predictions_total"), QStringLiteral("counter"),
             QStringLiteral("Predictions logged, by path and model version (versions that served in the last 24 h)."));
    w.family(QStringLiteral("mldeck_prediction_failures_total"), QStringLiteral("counter"),
             QStringLiteral("Predictions that failed, by path and model version."));
    w.family(QStringLiteral("mldeck_fallbacks_total"), QStringLiteral("counter"),
             QStringLiteral("ML-routed requests served by the fallback path."));
    w.family(QStringLiteral("mldeck_outcomes_total"), QStringLiteral("counter"),
             QStringLiteral("Predictions that have their ground truth, by path and model version."));
    w.family(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("histogram"),
             QStringLiteral("Prediction latency by path; bucket bounds exact to 1 % (MLDeck's latency sketch)."));
    w.family(QStringLiteral("mldeck_feedback_total"), QStringLiteral("counter"),
             QStringLiteral("User feedback, by sentiment."));

    w.family(QStringLiteral("mldeck_mae"), QStringLiteral("gauge"),
             QStringLiteral("Mean absolute error over the window, in the target's unit (labelled predictions)."));
    w.family(QStringLiteral("mldeck_estimated_mae"), QStringLiteral("gauge"),
             QStringLiteral("Mean absolute error the nanny model expects over the window's scored predictions, "
                            "before outcomes (regression)."));
    w.family(QStringLiteral("mldeck_rmse"), QStringLiteral("gauge"),
             QStringLiteral("Root mean squared error over the window, in the target's unit."));
    w.family(QStringLiteral("mldeck_r2"), QStringLiteral("gauge"),
             QStringLiteral("Coefficient of determination over the window."));
    w.family(QStringLiteral("mldeck_failure_ratio"), QStringLiteral("gauge"),
             QStringLiteral("Failed predictions / predictions over the window."));
    w.family(QStringLiteral("mldeck_fallback_ratio"), QStringLiteral("gauge"),
             QStringLiteral("ML-routed requests served by the fallback / ML-routed requests over the window."));
    w.family(QStringLiteral("mldeck_window_predictions"), QStringLiteral("gauge"),
             QStringLiteral("Predictions logged over the window (0 is a count: no traffic)."));
    w.family(QStringLiteral("mldeck_throughput_per_second"), QStringLiteral("gauge"),
             QStringLiteral("Predictions per second over the window."));
    w.family(QStringLiteral("mldeck_prediction_latency_percentile_seconds"), QStringLiteral("gauge"),
             QStringLiteral("Latency percentile (50, 95, 99) over the window (MLDeck's sketch: within 1 % of exact)."));
    w.family(QStringLiteral("mldeck_feedback_satisfaction_ratio"), QStringLiteral("gauge"),
             QStringLiteral("Positive feedback / feedback over the window."));

    // A classification deployment's window gauges (no series on a regression one).
    w.family(QStringLiteral("mldeck_accuracy"), QStringLiteral("gauge"),
             QStringLiteral("Share of labelled predictions served as their true class, over the window."));
    w.family(QStringLiteral("mldeck_balanced_accuracy"), QStringLiteral("gauge"),
             QStringLiteral("Mean recall over the classes that occur, over the window."));
    w.family(QStringLiteral("mldeck_precision"), QStringLiteral("gauge"),
             QStringLiteral("Precision of the positive class (binary) or macro precision (multi-class)."));
    w.family(QStringLiteral("mldeck_recall"), QStringLiteral("gauge"),
             QStringLiteral("Recall of the positive class (binary) or macro recall (multi-class)."));
    w.family(QStringLiteral("mldeck_f1"), QStringLiteral("gauge"),
             QStringLiteral("F1 of the positive class (binary) or macro F1 (multi-class)."));
    w.family(QStringLiteral("mldeck_roc_auc"), QStringLiteral("gauge"),
             QStringLiteral("ROC AUC from the score histogram (within the bound of classification.md)."));
    w.family(
        QStringLiteral("mldeck_log_loss"), QStringLiteral("gauge"),
        QStringLiteral("Mean log-loss of the labelled predictions (probabilities clipped to [1e-15, 1 - 1e-15])."));
    w.family(QStringLiteral("mldeck_brier"), QStringLiteral("gauge"),
             QStringLiteral("Mean Brier score of the labelled predictions."));
    w.family(QStringLiteral("mldeck_ece"), QStringLiteral("gauge"),
             QStringLiteral("Expected calibration error over 10 score bins of the labelled predictions."));
    w.family(QStringLiteral("mldeck_mean_confidence"), QStringLiteral("gauge"),
             QStringLiteral("Mean probability of the served class, over the window."));
    w.family(QStringLiteral("mldeck_positive_ratio"), QStringLiteral("gauge"),
             QStringLiteral("Binary: share of predictions served as the positive class."));
    w.family(QStringLiteral("mldeck_label_coverage_ratio"), QStringLiteral("gauge"),
             QStringLiteral("Share of the window's predictions that have a label yet."));
    w.family(QStringLiteral("mldeck_estimated_accuracy"), QStringLiteral("gauge"),
             QStringLiteral("Accuracy expected from the calibrated probabilities, before labels."));
    w.family(QStringLiteral("mldeck_estimated_precision"), QStringLiteral("gauge"),
             QStringLiteral("Binary: precision expected from the calibrated probabilities, before labels."));
    w.family(QStringLiteral("mldeck_estimated_recall"), QStringLiteral("gauge"),
             QStringLiteral("Binary: recall expected from the calibrated probabilities, before labels."));
    w.family(QStringLiteral("mldeck_estimated_f1"), QStringLiteral("gauge"),
             QStringLiteral("Binary: F1 expected from the calibrated probabilities, before labels."));
    w.family(QStringLiteral("mldeck_estimate_trusted"), QStringLiteral("gauge"),
             QStringLiteral("1 when the window's estimate can be trusted (calibration checked, enough rows), else 0."));
    w.family(QStringLiteral("mldeck_accuracy_gain_points"), QStringLiteral("gauge"),
             QStringLiteral("Accuracy of ML minus accuracy of the heuristic, in points, over the window."));

    w.family(QStringLiteral("mldeck_last_prediction_timestamp_seconds"), QStringLiteral("gauge"),
             QStringLiteral(
                 "End of the last minute with a logged prediction (last hour: to the minute; before: to the hour)."));
    w.family(QStringLiteral("mldeck_seconds_since_last_prediction"), QStringLiteral("gauge"),
             QStringLiteral("Now minus mldeck_last_prediction_timestamp_seconds."));
    w.family(QStringLiteral("mldeck_last_label_timestamp_seconds"), QStringLiteral("gauge"),
             QStringLiteral("When this exporter last saw the count of labelled predictions grow."));
    w.family(QStringLiteral("mldeck_seconds_since_last_label"), QStringLiteral("gauge"),
             QStringLiteral("Now minus mldeck_last_label_timestamp_seconds."));

    w.family(QStringLiteral("mldeck_ml_enabled"), QStringLiteral("gauge"),
             QStringLiteral("Rollout flag ml_enabled (0/1)."));
    w.family(QStringLiteral("mldeck_ml_traffic_ratio"), QStringLiteral("gauge"),
             QStringLiteral("Rollout flag ml_traffic_percentage as a ratio (0 to 1)."));
    w.family(QStringLiteral("mldeck_fallback_on_error"), QStringLiteral("gauge"),
             QStringLiteral("Rollout flag fallback_on_error (0/1)."));
    w.family(QStringLiteral("mldeck_flags_version"), QStringLiteral("gauge"),
             QStringLiteral("Version of the flag set."));
    w.family(QStringLiteral("mldeck_flags_valid"), QStringLiteral("gauge"),
             QStringLiteral("1 when the flag set exists and every field is valid (else backends serve no ML)."));
    w.family(QStringLiteral("mldeck_guard_armed"), QStringLiteral("gauge"),
             QStringLiteral("1 when the guard may act on the deployment (rules enabled and not latched)."));
    w.family(QStringLiteral("mldeck_guard_latched"), QStringLiteral("gauge"),
             QStringLiteral("1 when the guard acted and waits for a person to re-arm it."));
    w.family(QStringLiteral("mldeck_alert_rule_pending"), QStringLiteral("gauge"),
             QStringLiteral("1 while a KPI alert rule's condition holds but its pending period runs."));
    w.family(QStringLiteral("mldeck_alert_rule_firing"), QStringLiteral("gauge"),
             QStringLiteral("1 while a KPI alert rule fires."));
    w.family(QStringLiteral("mldeck_alerts_open"), QStringLiteral("gauge"),
             QStringLiteral("Unresolved alerts (KPI, drift, guard) by kind and severity."));
    w.family(QStringLiteral("mldeck_drift_score"), QStringLiteral("gauge"),
             QStringLiteral("Latest drift statistic of a feature (the test named in the label)."));
    w.family(QStringLiteral("mldeck_drift_threshold"), QStringLiteral("gauge"),
             QStringLiteral("Threshold the latest drift statistic was compared with."));
    w.family(QStringLiteral("mldeck_drift_detected"), QStringLiteral("gauge"),
             QStringLiteral("1 when the latest window drifted for the feature."));
    w.family(
        QStringLiteral("mldeck_dependency_up"), QStringLiteral("gauge"),
        QStringLiteral("1 when the backend reports the dependency up, 0 when down or degraded (no series: unknown)."));
    w.family(QStringLiteral("mldeck_dependency_state"), QStringLiteral("gauge"),
             QStringLiteral("1 for the dependency's reported state (up, degraded, down), as an enumeration."));
    w.family(QStringLiteral("mldeck_dependency_fallback_active"), QStringLiteral("gauge"),
             QStringLiteral("1 while the backend serves with its fallback for the dependency."));
    w.family(QStringLiteral("mldeck_dependency_fallback_seconds"), QStringLiteral("gauge"),
             QStringLiteral("How long the backend has been on its fallback for the dependency (0 when not)."));
    w.family(QStringLiteral("mldeck_drift_firing"), QStringLiteral("gauge"),
             QStringLiteral("1 while the feature's drift alert fires (after the anti-flap persistence)."));
}

struct DeploymentCache
{
    QHash<QString, KpiBucket> hours; // key: start|path|version
    QHash<qint64, stats::FeedbackAccumulator> feedbackHours;
    std::optional<quint64> watermark;
    std::map<int, KpiCache> windows; // by window length in seconds
    qint64 lastLabelled = -1;
    qint64 lastLabelSeenSecs = 0;
};

QString hourKey(const KpiBucket &b)
{
    return QString::number(b.startSecs) + QLatin1Char('|') + b.path + QLatin1Char('|') + b.modelVersion;
}

void windowFigures(PromWriter &w, const QString &deployment, const QString &window, const QString &path,
                   const KpiFigures &f)
{
    const Labels l{
        {QStringLiteral("deployment"), deployment}, {QStringLiteral("path"), path}, {QStringLiteral("window"), window}};
    const auto put = [&](const char *family, const std::optional<double> &v, double scale = 1.0) {
        if (v) // no data: no series, never a zero
            w.sample(QLatin1String(family), l, *v * scale);
    };
    if (!f.classification) { // a classifier's logged probability against a class index is no regression error
        put("mldeck_mae", f.mae);
        put("mldeck_estimated_mae", f.estimatedMae);
        put("mldeck_rmse", f.rmse);
        put("mldeck_r2", f.r2);
    }
    put("mldeck_failure_ratio", f.failureRate);
    put("mldeck_throughput_per_second", f.throughputPerSecond);
    for (const auto &[p, v] :
         {std::pair{"50", f.latencyP50Ms}, std::pair{"95", f.latencyP95Ms}, std::pair{"99", f.latencyP99Ms}}) {
        if (v)
            w.sample(QStringLiteral("mldeck_prediction_latency_percentile_seconds"),
                     l + Labels{{QStringLiteral("percentile"), QLatin1String(p)}}, *v / 1000.0);
    }
    if (!f.classification)
        return;
    const stats::ClassificationFigures &c = *f.classification;
    const bool binary = c.classes == 2;
    put("mldeck_accuracy", c.accuracy);
    put("mldeck_balanced_accuracy", c.balancedAccuracy);
    put("mldeck_precision", binary ? c.precisionPositive : c.macroPrecision);
    put("mldeck_recall", binary ? c.recallPositive : c.macroRecall);
    put("mldeck_f1", binary ? c.f1Positive : c.macroF1);
    put("mldeck_roc_auc", c.rocAuc);
    put("mldeck_log_loss", c.logLoss);
    put("mldeck_brier", c.brier);
    put("mldeck_ece", c.ece);
    put("mldeck_mean_confidence", c.meanConfidence);
    put("mldeck_positive_ratio", c.positiveRate);
    put("mldeck_label_coverage_ratio", c.labelCoverage);
    put("mldeck_estimated_accuracy", c.estimatedAccuracy);
    put("mldeck_estimated_precision", c.estimatedPrecision);
    put("mldeck_estimated_recall", c.estimatedRecall);
    put("mldeck_estimated_f1", c.estimatedF1);
    if (c.estimatedAccuracy)
        w.sample(QStringLiteral("mldeck_estimate_trusted"), l, c.estimateUntrusted.isEmpty() ? 1 : 0);
}

} // namespace

struct MetricsCollector::Impl
{
    explicit Impl(Options o)
        : options(std::move(o)), pg(QStringLiteral("mldeck-metrics")), read(QStringLiteral("mldeck-metrics-read"))
    {
    }

    Options options;
    KeptPgConnection pg;
    KeptReadConnection read; // the standby when one is configured, else through pg
    std::unique_ptr<RedisConnection> redis;
    std::map<QString, DeploymentCache> caches;

    RedisConnection *redisConnection(QStringList &errors);
    QStringList deployments(PgConnection *conn, RedisConnection *r, QStringList &errors);
    void exportDeployment(PromWriter &w, PgConnection &conn, RedisConnection *r, const QString &d, qint64 now,
                          QStringList &errors);
    void exportAggregates(PromWriter &w, PgConnection &conn, const QString &d, const QList<int> &windows, qint64 now,
                          QStringList &errors);
};

MetricsCollector::MetricsCollector(Options options) : d(std::make_unique<Impl>(std::move(options))) {}
MetricsCollector::~MetricsCollector() = default;

RedisConnection *MetricsCollector::Impl::redisConnection(QStringList &errors)
{
    if (redis && !redis->pingMs())
        redis.reset();
    if (!redis) {
        auto opened = RedisConnection::open(options.redis);
        if (!opened) {
            errors << opened.errorMessage();
            return nullptr;
        }
        redis = std::move(opened).value();
    }
    return redis.get();
}

QStringList MetricsCollector::Impl::deployments(PgConnection *conn, RedisConnection *r, QStringList &errors)
{
    if (!options.deployments.isEmpty())
        return options.deployments;
    QSet<QString> names;
    if (conn) {
        if (auto fromKpi = KpiStore(*conn).deployments())
            names.unite(QSet<QString>(fromKpi->begin(), fromKpi->end()));
        else
            errors << fromKpi.errorMessage();
    }
    if (r) {
        if (auto fromFlags = FlagStore(*r).deployments())
            names.unite(QSet<QString>(fromFlags->begin(), fromFlags->end()));
        else
            errors << fromFlags.errorMessage();
    }
    QStringList sorted = names.values();
    sorted.sort();
    return sorted;
}

MetricsCollector::Scrape MetricsCollector::collect(const ExporterProcessState &process, qint64 nowSecs)
{
    QElapsedTimer clock;
    clock.start();
    Scrape out;
    PromWriter w;
    declareFamilies(w);
    w.sample(QStringLiteral("mldeck_guard_leader"), {}, process.leader ? 1 : 0);
    w.sample(QStringLiteral("mldeck_build_info"), {{QStringLiteral("version"), QStringLiteral(MLDECK_VERSION)}}, 1);
    w.sample(QStringLiteral("mldeck_guard_rounds_total"), {}, double(process.rounds));
    if (process.lastRoundSecs > 0)
        w.sample(QStringLiteral("mldeck_guard_last_round_timestamp_seconds"), {}, double(process.lastRoundSecs));

    if (process.leader) {
        ReadSource source;
        auto conn = d->read.get(d->pg, d->options.pg, d->options.pgRead, source);
        if (!conn)
            out.errors << conn.errorMessage();
        if (source.replicaConfigured) {
            w.sample(QStringLiteral("mldeck_read_replica_fallback"), {}, source.fellBack() ? 1 : 0);
            if (source.server == ReadSource::Server::Standby && source.lagSeconds)
                w.sample(QStringLiteral("mldeck_read_replica_lag_seconds"), {}, *source.lagSeconds);
        }
        RedisConnection *r = d->redisConnection(out.errors);
        PgConnection *pg = conn ? conn.value() : nullptr;
        const QStringList names = d->deployments(pg, r, out.errors);
        for (const QString &name : names)
            if (pg)
                d->exportDeployment(w, *pg, r, name, nowSecs, out.errors);
        out.deployments = int(names.size());
    }
    w.sample(QStringLiteral("mldeck_exporter_errors"), {}, double(out.errors.size()));
    w.sample(QStringLiteral("mldeck_exporter_collect_seconds"), {}, double(clock.nsecsElapsed()) / 1e9);
    out.text = w.text();
    out.series = w.seriesCount();
    return out;
}

void MetricsCollector::Impl::exportDeployment(PromWriter &w, PgConnection &conn, RedisConnection *r, const QString &d,
                                              qint64 now, QStringList &errors)
{
    const Labels dl{{QStringLiteral("deployment"), d}};
    // One read of the rules: their windows decide the gauges, their states are exported below.
    const auto views = AlertRuleStore(conn).ruleViews(d);
    QList<AlertRule> alertRules;
    if (views) {
        for (const AlertRuleView &v : *views)
            alertRules << v.rule;
    } else {
        errors << views.errorMessage();
    }
    exportAggregates(w, conn, d, metricsWindows(alertRules), now, errors);

    if (r) {
        if (auto flags = FlagStore(*r).read(d); flags && flags->exists) {
            w.sample(QStringLiteral("mldeck_ml_enabled"), dl, flags->mlEnabled ? 1 : 0);
            w.sample(QStringLiteral("mldeck_ml_traffic_ratio"), dl, flags->trafficPercentage / 100.0);
            w.sample(QStringLiteral("mldeck_fallback_on_error"), dl, flags->fallbackOnError ? 1 : 0);
            w.sample(QStringLiteral("mldeck_flags_version"), dl, double(flags->version));
            w.sample(QStringLiteral("mldeck_flags_valid"), dl, flags->isValid() ? 1 : 0);
        } else if (!flags) {
            errors << flags.errorMessage();
        }
        if (auto deps = DependencyStore(*r).read(d)) {
            const QDateTime at = QDateTime::fromSecsSinceEpoch(now, Qt::UTC);
            for (const DependencyState &dep : *deps) {
                if (dep.isUnknown())
                    continue; // expired or unreadable: no series, as Prometheus expects for unknown
                const Labels l = dl + Labels{{QStringLiteral("dependency"), dep.name}};
                w.sample(QStringLiteral("mldeck_dependency_up"), l, dep.state == DependencyHealth::Up ? 1 : 0);
                for (const auto &[health, name] :
                     {std::pair{DependencyHealth::Up, "up"}, std::pair{DependencyHealth::Degraded, "degraded"},
                      std::pair{DependencyHealth::Down, "down"}})
                    w.sample(QStringLiteral("mldeck_dependency_state"),
                             l + Labels{{QStringLiteral("state"), QLatin1String(name)}}, dep.state == health ? 1 : 0);
                w.sample(QStringLiteral("mldeck_dependency_fallback_active"), l, dep.fallbackActive ? 1 : 0);
                w.sample(QStringLiteral("mldeck_dependency_fallback_seconds"), l, double(dep.fallbackSeconds(at)));
            }
        } else {
            errors << deps.errorMessage();
        }
    }

    GuardStore guard(conn);
    const auto rules = guard.rules(d);
    const auto memory = guard.memory(d);
    if (rules && memory) {
        w.sample(QStringLiteral("mldeck_guard_latched"), dl, memory->latched ? 1 : 0);
        w.sample(QStringLiteral("mldeck_guard_armed"), dl, rules->enabled && !memory->latched ? 1 : 0);
    } else {
        errors << (rules ? memory.errorMessage() : rules.errorMessage());
    }

    if (views) {
        for (const AlertRuleView &v : *views) {
            if (!v.rule.enabled)
                continue;
            const Labels l =
                dl + Labels{{QStringLiteral("rule"), v.rule.id}, {QStringLiteral("severity"), v.rule.severity}};
            w.sample(QStringLiteral("mldeck_alert_rule_pending"), l, v.status.state == AlertRuleState::Pending ? 1 : 0);
            w.sample(QStringLiteral("mldeck_alert_rule_firing"), l, v.status.state == AlertRuleState::Firing ? 1 : 0);
        }
    }
    if (auto open = AlertStore(conn).list(d, false)) {
        QMap<std::pair<QString, QString>, int> counts;
        for (const Alert &a : *open)
            ++counts[{a.kind, a.severity}];
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            w.sample(
                QStringLiteral("mldeck_alerts_open"),
                dl + Labels{{QStringLiteral("kind"), it.key().first}, {QStringLiteral("severity"), it.key().second}},
                it.value());
    } else {
        errors << open.errorMessage();
    }

    DriftData drift(conn);
    if (auto latest = drift.scoreHistory(d, 1)) {
        for (const DriftScorePoint &p : *latest) {
            const Labels fl = dl + Labels{{QStringLiteral("feature"), p.feature}};
            if (std::isfinite(p.score))
                w.sample(QStringLiteral("mldeck_drift_score"), fl + Labels{{QStringLiteral("test"), p.test}}, p.score);
            w.sample(QStringLiteral("mldeck_drift_threshold"), fl + Labels{{QStringLiteral("test"), p.test}},
                     p.threshold);
            w.sample(QStringLiteral("mldeck_drift_detected"), fl, p.drift ? 1 : 0);
        }
    } else {
        errors << latest.errorMessage();
    }
    if (auto states = drift.loadState(d)) {
        for (auto it = states->cbegin(); it != states->cend(); ++it)
            w.sample(QStringLiteral("mldeck_drift_firing"), dl + Labels{{QStringLiteral("feature"), it.key()}},
                     it.value().state.firing ? 1 : 0);
    } else {
        errors << states.errorMessage();
    }
}

void MetricsCollector::Impl::exportAggregates(PromWriter &w, PgConnection &conn, const QString &d,
                                              const QList<int> &windows, qint64 now, QStringList &errors)
{
    DeploymentCache &cache = caches[d];
    // All hour rows of the deployment, kept here; each scrape reads only the rows written since.
    auto rows = KpiStore(conn).read(d, 0, now + 7200, KpiStore::Level::Hour, cache.watermark);
    if (!rows) {
        errors << rows.errorMessage();
        return;
    }
    for (const KpiBucket &b : rows->buckets)
        cache.hours.insert(hourKey(b), b);
    for (const FeedbackBucket &f : rows->feedback)
        cache.feedbackHours.insert(f.startSecs, f.sums);
    cache.watermark = rows->nextSinceXid;

    const Labels dl{{QStringLiteral("deployment"), d}};
    struct Key
    {
        QString path, version;
        bool operator<(const Key &o) const { return std::tie(path, version) < std::tie(o.path, o.version); }
    };
    std::map<Key, KpiAccumulator> byVersion;
    std::map<QString, KpiAccumulator> byPath;
    QSet<QString> recent; // path|version that served in the last day
    qint64 lastHourWithPredictions = 0;
    for (const KpiBucket &b : std::as_const(cache.hours)) {
        byVersion[{b.path, b.modelVersion}].merge(b.sums);
        byPath[b.path].merge(b.sums);
        if (b.sums.count > 0) {
            lastHourWithPredictions = std::max(lastHourWithPredictions, b.startSecs + 3600);
            if (b.startSecs + 3600 > now - kVersionRecentSecs)
                recent.insert(b.path + QLatin1Char('|') + b.modelVersion);
        }
    }
    qint64 labelled = 0;
    for (const auto &[key, sums] : byVersion) {
        labelled += sums.labelled;
        if (!recent.contains(key.path + QLatin1Char('|') + key.version))
            continue;
        const Labels l = dl + Labels{{QStringLiteral("path"), key.path}, {QStringLiteral("version"), key.version}};
        w.sample(QStringLiteral("mldeck_predictions_total"), l, double(sums.count));
        w.sample(QStringLiteral("mldeck_prediction_failures_total"), l, double(sums.failed));
        w.sample(QStringLiteral("mldeck_outcomes_total"), l, double(sums.labelled));
    }
    if (!byPath.empty()) {
        const auto fallback = byPath.find(QStringLiteral("fallback"));
        w.sample(QStringLiteral("mldeck_fallbacks_total"), dl,
                 fallback == byPath.end() ? 0.0 : double(fallback->second.count));
    }
    for (const auto &[path, sums] : byPath) {
        const Labels l = dl + Labels{{QStringLiteral("path"), path}};
        for (double le : kLatencyBucketsSeconds)
            w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_bucket"),
                     l + Labels{{QStringLiteral("le"), QString::fromLatin1(PromWriter::formatValue(le))}},
                     double(countAtMost(sums.latency, le)));
        w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_bucket"),
                 l + Labels{{QStringLiteral("le"), QStringLiteral("+Inf")}}, double(sums.count));
        w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_sum"), l,
                 sums.latencySumMs / 1000.0);
        w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_count"), l, double(sums.count));
    }
    stats::FeedbackAccumulator feedback;
    for (const auto &f : std::as_const(cache.feedbackHours))
        feedback.merge(f);
    if (feedback.total > 0) {
        w.sample(QStringLiteral("mldeck_feedback_total"),
                 dl + Labels{{QStringLiteral("sentiment"), QStringLiteral("positive")}}, double(feedback.positive));
        w.sample(QStringLiteral("mldeck_feedback_total"),
                 dl + Labels{{QStringLiteral("sentiment"), QStringLiteral("negative")}},
                 double(feedback.total - feedback.positive));
    }
    if (cache.lastLabelled >= 0 && labelled > cache.lastLabelled)
        cache.lastLabelSeenSecs = now;
    cache.lastLabelled = labelled;
    if (cache.lastLabelSeenSecs > 0) {
        w.sample(QStringLiteral("mldeck_last_label_timestamp_seconds"), dl, double(cache.lastLabelSeenSecs));
        w.sample(QStringLiteral("mldeck_seconds_since_last_label"), dl, double(now - cache.lastLabelSeenSecs));
    }

    // The windows, computed exactly as the guard's alert rules and `mldeckctl kpi` compute them.
    qint64 lastMinuteWithPredictions = 0;
    for (auto it = cache.windows.begin(); it != cache.windows.end();) // windows no rule uses any more
        it = windows.contains(it->first) ? std::next(it) : cache.windows.erase(it);
    for (int seconds : windows) {
        const QString name = metricsWindowLabel(seconds);
        KpiQuery query;
        query.deployment = d;
        query.fromSecs = now - seconds;
        query.toSecs = now;
        query.live = true;
        KpiCache &kc = cache.windows[seconds];
        auto snap = kc.isLoaded() ? kc.refresh(conn, now) : kc.load(conn, query, now);
        if (!snap) {
            errors << snap.errorMessage();
            cache.windows.erase(seconds); // loaded afresh next time
            continue;
        }
        w.sample(QStringLiteral("mldeck_window_predictions"),
                 dl + Labels{{QStringLiteral("path"), QStringLiteral("all")}, {QStringLiteral("window"), name}},
                 double(snap->overall.predictions));
        windowFigures(w, d, name, QStringLiteral("all"), snap->overall);
        for (auto p = snap->byPath.cbegin(); p != snap->byPath.cend(); ++p)
            if (p.value().predictions > 0)
                windowFigures(w, d, name, p.key(), p.value());
        if (snap->overall.fallbackShare)
            w.sample(QStringLiteral("mldeck_fallback_ratio"), dl + Labels{{QStringLiteral("window"), name}},
                     *snap->overall.fallbackShare);
        if (snap->overall.satisfaction)
            w.sample(QStringLiteral("mldeck_feedback_satisfaction_ratio"),
                     dl + Labels{{QStringLiteral("window"), name}}, *snap->overall.satisfaction);
        if (snap->overall.accuracyGainPoints)
            w.sample(QStringLiteral("mldeck_accuracy_gain_points"), dl + Labels{{QStringLiteral("window"), name}},
                     *snap->overall.accuracyGainPoints);
        if (seconds <= 3600)
            for (const KpiPoint &p : snap->seriesByPath.value(QStringLiteral("all")))
                if (p.figures.predictions > 0)
                    lastMinuteWithPredictions = std::max(lastMinuteWithPredictions, p.startSecs + p.seconds);
    }
    const qint64 last = lastMinuteWithPredictions > 0 ? std::min(lastMinuteWithPredictions, now)
                                                      : std::min(lastHourWithPredictions, now);
    if (last > 0) {
        w.sample(QStringLiteral("mldeck_last_prediction_timestamp_seconds"), dl, double(last));
        w.sample(QStringLiteral("mldeck_seconds_since_last_prediction"), dl, double(now - last));
    }
}

} // namespace mldeck
