#include "core/demo/HistoryEvents.h"

#include "core/demo/RideDelayGenerator.h"
#include "core/domain/DriftScore.h"
#include "core/domain/Figure.h"
#include "core/rollout/StagedPlan.h"
#include "core/stats/Metrics.h"
#include "core/store/pg/DriftData.h"

#include <QJsonArray>
#include <QUuid>

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

constexpr qint64 kHourMs = 3'600'000;
constexpr qint64 kDayMs = 24 * kHourMs;
// The drift checks compare the last day with the same hours of the same weekday in the first week
// ("same day last week"): the daily and weekly rhythm of the rides is in both, so what remains is weather,
// fleet and driver supply.
constexpr qint64 kDriftWindowSeconds = 86400;
constexpr qint64 kDriftEveryMs = 3 * 3'600'000;
constexpr qint64 kWeekMs = 7 * 24 * 3'600'000LL;
constexpr qint64 kReferenceMs = kWeekMs + 24 * 3'600'000LL; // every day-long window of the first week
constexpr qint64 kReferenceRows = 20'000;
constexpr std::size_t kHoldoutRides = 3000;
// The time features themselves are left out, as a deployment's drift settings ("ignore") leave them out.
const QStringList kDriftIgnored{QStringLiteral("hour"), QStringLiteral("weekday")};

QDateTime at(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

Actor actor(const QString &osUser, const QString &host, const QString &name = {})
{
    return Actor{name.isEmpty() ? osUser + QLatin1Char('@') + host : name, osUser, host};
}

QJsonObject modelJson(qint64 id, const NewModelVersion &m, const QString &alias = {})
{
    QJsonObject o{{QStringLiteral("model_id"), id},
                  {QStringLiteral("name"), m.name},
                  {QStringLiteral("version"), m.version},
                  {QStringLiteral("sha256"), m.sha256}};
    if (!alias.isEmpty())
        o.insert(QStringLiteral("alias"), alias);
    return o;
}

QJsonObject metricsJson(const stats::RegressionMetrics &m)
{
    return QJsonObject{{QStringLiteral("rows"), double(m.rows)},
                       {QStringLiteral("mae"), m.mae},
                       {QStringLiteral("rmse"), m.rmse},
                       {QStringLiteral("r2"), m.r2}};
}

drift::Dataset emptyDataset(const FeatureSchema &schema)
{
    drift::Dataset d;
    for (const FeatureSpec &f : schema.features) {
        if (kDriftIgnored.contains(f.name))
            continue;
        drift::Column c;
        c.name = f.name;
        c.kind = f.kind == FeatureSpec::Kind::Numeric ? drift::FeatureKind::Numeric : drift::FeatureKind::Categorical;
        d.columns.push_back(c);
    }
    return d;
}

void append(drift::Dataset &d, const FeatureSchema &schema, const FeatureRow &row)
{
    std::size_t column = 0;
    int numeric = 0, categorical = 0;
    for (const FeatureSpec &f : schema.features) {
        const bool isNumeric = f.kind == FeatureSpec::Kind::Numeric;
        const int index = isNumeric ? numeric++ : categorical++;
        if (kDriftIgnored.contains(f.name))
            continue;
        drift::Column &c = d.columns[column++];
        if (isNumeric)
            c.numeric.push_back(double(row.numeric[std::size_t(index)]));
        else
            c.categorical << row.categorical.value(index);
    }
}

} // namespace

HistoryEvents::HistoryEvents(PgConnection &conn, HistoryStore &store, const HistoryScript &script, QString deployment,
                             FeatureSchema schema, bool classifier, quint64 seed, double rate, HistoryModel &first,
                             HistoryModel *second)
    : m_conn(conn), m_store(store), m_script(script), m_deployment(std::move(deployment)), m_seed(seed), m_first(first),
      m_second(second), m_schema(std::move(schema)), m_classifier(classifier),
      m_ops(actor(QStringLiteral("maria"), QStringLiteral("ops-laptop"))),
      m_scientist(actor(QStringLiteral("sam"), QStringLiteral("ds-workstation"))),
      m_guard(actor(QStringLiteral("mldeck-guard"), QStringLiteral("ops-server"), QStringLiteral("guard@ops-server")))
{
    const qint64 from = script.from.toMSecsSinceEpoch();
    const qint64 to = script.to.toMSecsSinceEpoch();
    m_referenceEveryN = std::max<qint64>(1, qint64(rate * double(kDriftWindowSeconds)) / kReferenceRows);
    m_currentEveryN = std::max<qint64>(1, qint64(rate * double(kDriftWindowSeconds)) / kReferenceRows);
    m_flags.deployment = m_deployment;
    m_flags.exists = true;
    m_flags.fallbackOnError = true;

    const auto add = [this](const QDateTime &t, std::function<Status()> fire) {
        m_events.push_back(Event{t.toMSecsSinceEpoch(), std::move(fire)});
    };
    add(script.from, [this] { return savePlan(); });
    for (int i = 0; i < script.stepAt.size(); ++i)
        add(script.stepAt.at(i), [this, i] { return advance(i); });
    add(script.rollbackAt, [this] { return rollback(); });
    add(script.rearmAt, [this] { return rearm(); });
    add(script.reenableAt, [this] { return reenable(); });
    if (m_second) {
        add(script.retrainFinishedAt, [this] { return finishRetrain(); });
        add(script.promotedAt, [this] { return promote(); });
    }
    // Drift: a check every three hours once the reference week is over.
    for (qint64 t = ((from + kReferenceMs) / kDriftEveryMs + 1) * kDriftEveryMs; t < to; t += kDriftEveryMs)
        m_events.push_back(Event{t, [this, t] { return checkDrift(t); }});
    std::stable_sort(m_events.begin(), m_events.end(), [](const Event &a, const Event &b) { return a.ms < b.ms; });
    for (const Event &e : m_events)
        m_boundaries.push_back(e.ms);
    for (const QDateTime &t : {script.errorsFrom, script.errorsTo, script.driftFrom, script.driftTo})
        m_boundaries.push_back(t.toMSecsSinceEpoch());
    std::sort(m_boundaries.begin(), m_boundaries.end());
}

qint64 HistoryEvents::nextBoundaryAfter(qint64 ms) const
{
    const auto it = std::upper_bound(m_boundaries.begin(), m_boundaries.end(), ms);
    return it == m_boundaries.end() ? std::numeric_limits<qint64>::max() : *it;
}

Status HistoryEvents::fireUpTo(qint64 ms)
{
    QElapsedTimer timer;
    timer.start();
    while (m_next < m_events.size() && m_events[m_next].ms <= ms) {
        if (Status s = m_events[m_next].fire(); !s)
            return s;
        ++m_next;
    }
    m_elapsedNs += timer.nsecsElapsed();
    return {};
}

void HistoryEvents::observe(const FeatureRow &features, double actual, const PredictionRow &row, qint64 outcomeKnownMs)
{
    const qint64 ms = row.tsMicros / 1000;
    if (row.path != PredictionPath::Heuristic) {
        m_ml.push_back(MlSample{ms, outcomeKnownMs, row.latencyMs, row.failed || !row.predicted,
                                row.predicted.value_or(0), actual});
        while (!m_ml.empty() && m_ml.front().ms < ms - kDayMs)
            m_ml.pop_front();
    }
    if (m_currentSeen++ % m_currentEveryN == 0)
        m_recentFeatures.emplace_back(ms, features);
    while (!m_recentFeatures.empty() && m_recentFeatures.front().first < ms - kDriftWindowSeconds * 1000)
        m_recentFeatures.pop_front();
    if (ms < m_script.from.toMSecsSinceEpoch() + kReferenceMs && m_referenceSeen++ % m_referenceEveryN == 0)
        m_reference.emplace_back(ms, features);
    if (m_second)
        m_holdout.emplace_back(features, actual);
    if (m_holdout.size() > kHoldoutRides)
        m_holdout.pop_front();
}

void HistoryEvents::countFeedback(qint64 ms, bool positive)
{
    if (ms >= m_script.retrainRequestedAt.toMSecsSinceEpoch())
        return;
    ++m_feedbackTotal;
    m_feedbackPositive += positive ? 1 : 0;
}

WindowMetrics HistoryEvents::metrics(qint64 atMs, qint64 windowSeconds) const
{
    WindowMetrics m;
    std::vector<double> latencies, predicted, actual;
    qint64 failed = 0;
    for (const MlSample &s : m_ml) {
        if (s.ms < atMs - windowSeconds * 1000 || s.ms >= atMs)
            continue;
        ++m.samples;
        failed += s.failed ? 1 : 0;
        latencies.push_back(s.latencyMs);
        if (!s.failed && s.knownMs >= 0 && s.knownMs <= atMs) {
            predicted.push_back(s.predicted);
            actual.push_back(s.actual);
        }
    }
    m.labelled = qint64(predicted.size());
    if (m.samples > 0) {
        m.errorRate = double(failed) / double(m.samples);
        const auto k = std::size_t(std::ceil(0.95 * double(latencies.size()))) - 1;
        std::nth_element(latencies.begin(), latencies.begin() + std::ptrdiff_t(k), latencies.end());
        m.latencyP95Ms = latencies[k];
    }
    if (m.labelled > 1 && !m_classifier) {
        const stats::RegressionMetrics r = stats::regressionMetrics(predicted, actual);
        m.mae = r.mae;
        m.r2 = r.r2;
    }
    return m;
}

Status HistoryEvents::audit(const QDateTime &when, const QString &action, const Actor &who, const QString &reason,
                            const std::optional<QJsonObject> &before, const std::optional<QJsonObject> &after)
{
    AuditRecord r;
    // Deterministic change ids: the same seed writes the same audit trail.
    r.changeId = QUuid::createUuidV5(QUuid(QStringLiteral("{6b0f3c1e-2f3b-4c55-9d1e-4d0c2f6a9e10}")),
                                     QStringLiteral("%1/%2/%3").arg(m_seed).arg(m_deployment).arg(++m_changeCounter));
    r.occurredAt = when;
    r.actorOs = who.osUser;
    r.host = who.host;
    r.action = action;
    r.deployment = m_deployment;
    r.before = before;
    r.after = after;
    r.reason = reason;
    if (Status s = m_store.audit(when, r); !s)
        return s;
    ++m_auditRows;
    ++m_rows;
    return {};
}

Status HistoryEvents::flagsChange(const QDateTime &when, const QString &action, const Actor &who, const QString &reason,
                                  const FlagState &after, const QJsonObject &details)
{
    const FlagState before = m_flags;
    m_flags = after;
    m_flags.deployment = m_deployment;
    m_flags.exists = true;
    m_flags.version = before.version + 1;
    m_flags.updatedAt = when;
    m_flags.updatedBy = who.name;
    QJsonObject afterJson = flagStateJson(m_flags);
    if (!details.isEmpty())
        afterJson.insert(QStringLiteral("details"), details);
    return audit(when, action, who, reason,
                 before.version > 0 ? std::optional<QJsonObject>(flagStateJson(before)) : std::nullopt, afterJson);
}

Status HistoryEvents::registerFirstModel()
{
    const QDateTime registered = m_script.from.addDays(-3);
    const QDateTime promoted = m_script.from.addDays(-1);
    NewModelVersion row = m_first.row;
    row.trainFrom = m_script.from.addDays(-40);
    row.trainTo = m_script.from.addDays(-5);
    auto id = m_store.insertModel(row, std::nullopt, registered, m_scientist.osUser);
    if (!id)
        return id.error();
    m_firstModelId = *id;
    m_rows += 2;
    QJsonObject after = modelJson(*id, row);
    after.insert(QStringLiteral("path"), row.filePath);
    if (Status s = audit(registered, QStringLiteral("model.register"), m_scientist, {}, std::nullopt, after); !s)
        return s;
    if (Status s = m_store.setAlias(m_deployment, QStringLiteral("champion"), *id, promoted, m_scientist.osUser); !s)
        return s;
    return audit(promoted, QStringLiteral("model.promote"), m_scientist,
                 m_classifier ? tr("First model for ride-offer acceptance") : tr("First model for the ETA service"),
                 std::nullopt, modelJson(*id, row, QStringLiteral("champion")));
}

Status HistoryEvents::savePlan()
{
    const StagedPlan plan;
    if (Status s =
            m_store.savePlan(m_deployment, plan, m_script.steps.size() - 1, m_script.stepAt.last(), m_ops.osUser);
        !s)
        return s;
    ++m_rows;
    return audit(m_script.from, QStringLiteral("plan.save"), m_ops, tr("Rollout per the deployment guide"),
                 std::nullopt, plan::toAuditJson(plan, -1));
}

Status HistoryEvents::advance(int step)
{
    const QDateTime when = m_script.stepAt.at(step);
    const qint64 ms = when.toMSecsSinceEpoch();
    const StagedPlan plan;
    PlanStatus status;
    if (step > 0) {
        const QDateTime since = m_script.stepAt.at(step - 1);
        const qint64 window = std::clamp<qint64>(since.secsTo(when), 60, 86400);
        status = plan::status(plan, step - 1, since, metrics(ms, window), when);
    }
    const QJsonArray gates = plan::toAuditJson(status.gates);
    QStringList failing;
    for (const GateStatus &g : status.gates)
        if (!g.pass)
            failing << g.name;
    const bool override = !failing.isEmpty();
    const int from = step > 0 ? m_script.steps.at(step - 1) : 0;
    const int to = m_script.steps.at(step);
    const QString reason =
        override ? tr("Reviewed by the team: %1 acceptable at this step").arg(failing.join(QStringLiteral(", ")))
                 : tr("staged plan: step %1 (%2 %) -> step %3 (%4 %), all gates passed")
                       .arg(step)
                       .arg(from)
                       .arg(step + 1)
                       .arg(to);
    FlagState after = m_flags;
    after.mlEnabled = true;
    after.trafficPercentage = to;
    const QJsonObject details{{QStringLiteral("plan_step_from"), step - 1},
                              {QStringLiteral("plan_step_to"), step},
                              {QStringLiteral("gates"), gates},
                              {QStringLiteral("override"), override}};
    return flagsChange(when, override ? QStringLiteral("plan.advance.override") : QStringLiteral("plan.advance"), m_ops,
                       reason, after, details);
}

Status HistoryEvents::rollback()
{
    GuardRules rules;
    rules.windowSeconds = m_script.guardWindowSeconds;
    const qint64 ms = m_script.rollbackAt.toMSecsSinceEpoch();
    const WindowMetrics m = metrics(ms, rules.windowSeconds);
    GuardDecision decision;
    // The guard evaluates every few seconds; the K-th breaching round acts.
    for (int round = 0; round < rules.consecutiveBreaches; ++round)
        decision = GuardStateMachine::evaluate(rules, m_guardMemory, m, true,
                                               m_script.rollbackAt.addSecs(qint64(round) * rules.intervalSeconds));
    if (decision.action != GuardDecision::Action::Rollback)
        return Error{tr("The history's incident did not reach the guard's rollback rule (%1); use a higher rate.")
                         .arg(decision.summary)};
    GuardStateMachine::latch(m_guardMemory, decision.action, decision.summary, m_script.rollbackAt);
    const QJsonObject figures = GuardStateMachine::auditFigures(m, rules, decision);
    FlagState after = m_flags;
    after.mlEnabled = false;
    if (Status s = flagsChange(m_script.rollbackAt, QStringLiteral("guard.rollback"), m_guard, decision.summary, after,
                               figures);
        !s)
        return s;
    HistoryStore::AlertRow alert;
    alert.deployment = m_deployment;
    alert.kind = QStringLiteral("guardrail");
    alert.severity = QStringLiteral("critical");
    alert.dedupKey = QStringLiteral("guard:") + m_deployment;
    alert.title = tr("Guard turned ML off for %1").arg(m_deployment);
    alert.details = figures;
    alert.raisedAt = m_script.rollbackAt;
    alert.acknowledgedAt = m_script.rollbackAt.addSecs(11 * 60);
    alert.acknowledgedBy = m_ops.name;
    alert.resolvedAt = m_script.rearmAt;
    alert.resolvedBy = m_ops.name;
    auto id = m_store.insertAlert(alert);
    if (!id)
        return id.error();
    ++m_rows;
    return {};
}

Status HistoryEvents::rearm()
{
    const GuardMemory before = m_guardMemory;
    GuardStateMachine::rearm(m_guardMemory);
    return audit(m_script.rearmAt, QStringLiteral("guard.rearm"), m_ops,
                 tr("Model server fixed (a bad deploy of its feature service was rolled back)"),
                 QJsonObject{{QStringLiteral("latched"), before.latched},
                             {QStringLiteral("latched_action"), before.latchedAction},
                             {QStringLiteral("latched_reason"), before.latchedReason}},
                 QJsonObject{{QStringLiteral("latched"), false}});
}

Status HistoryEvents::reenable()
{
    FlagState after = m_flags;
    after.mlEnabled = true;
    return flagsChange(m_script.reenableAt, QStringLiteral("flags.apply"), m_ops,
                       tr("Incident closed: ML back on at the plan's current step"), after, {});
}

Status HistoryEvents::checkDrift(qint64 atMs)
{
    const qint64 windowMs = kDriftWindowSeconds * 1000;
    drift::Dataset current = emptyDataset(m_schema);
    for (const auto &[ms, features] : m_recentFeatures)
        if (ms >= atMs - windowMs && ms < atMs)
            append(current, m_schema, features);
    // The same window a whole number of weeks earlier, inside the first week and its next day.
    const qint64 from = m_script.from.toMSecsSinceEpoch();
    const qint64 shift = (atMs - windowMs - from) / kWeekMs * kWeekMs;
    drift::Dataset reference = emptyDataset(m_schema);
    for (const auto &[ms, features] : m_reference)
        if (ms >= atMs - windowMs - shift && ms < atMs - shift)
            append(reference, m_schema, features);
    const drift::DriftOptions options;
    const drift::DatasetDrift result = drift::compareDatasets(reference, current, options);
    if (Status s = DriftData(m_conn).recordScores(m_deployment, atMs * 1000, kDriftWindowSeconds, result); !s)
        return s;
    m_rows += qint64(result.features.size()) + 1;

    const QDateTime when = at(atMs);
    const drift::DriftDebouncer debouncer(3, [when] { return when; });
    const auto observe = [&](const QString &feature, bool drifted, bool enough, const QString &severity,
                             const QString &title, const QJsonObject &details) -> Status {
        const drift::DebounceEvent event = debouncer.observe(m_driftState[feature], drifted, enough);
        if (event == drift::DebounceEvent::Fire) {
            OpenAlert &open = m_openAlerts[feature];
            open.row = HistoryStore::AlertRow{};
            open.row.deployment = m_deployment;
            open.row.kind = QStringLiteral("drift");
            open.row.severity = severity;
            open.row.dedupKey = QStringLiteral("drift:") + feature;
            open.row.title = title;
            open.row.details = details;
            open.row.raisedAt = when;
            // A person acknowledges the first alert of the drift episode.
            const bool episode = atMs >= m_script.driftFrom.toMSecsSinceEpoch() &&
                                 atMs < m_script.driftTo.toMSecsSinceEpoch() + kDriftWindowSeconds * 1000;
            open.acknowledge = episode && !m_driftAcknowledged;
            m_driftAcknowledged = m_driftAcknowledged || open.acknowledge;
        } else if (event == drift::DebounceEvent::Resolve) {
            return closeAlert(feature, when);
        }
        if (m_openAlerts.contains(feature))
            m_openAlerts[feature].row.lastSeenAt = when;
        return {};
    };
    for (const drift::FeatureDrift &f : result.features) {
        const QJsonObject details{{QStringLiteral("feature"), f.name},
                                  {QStringLiteral("test"), drift::testKey(f.test)},
                                  {QStringLiteral("score"), std::isfinite(f.statistic) ? f.statistic : 0.0},
                                  {QStringLiteral("threshold"), f.threshold},
                                  {QStringLiteral("effect_size"), std::isfinite(f.effectSize) ? f.effectSize : 0.0},
                                  {QStringLiteral("effect_size_kind"), f.effectSizeName},
                                  {QStringLiteral("window_seconds"), kDriftWindowSeconds}};
        const QString title = tr("Drift on %1: %2 = %3 (threshold %4)")
                                  .arg(f.name, drift::testKey(f.test))
                                  .arg(f.statistic, 0, 'g', 3)
                                  .arg(f.threshold, 0, 'g', 3);
        if (Status s = observe(f.name, f.drift, f.enoughSamples, QStringLiteral("warning"), title, details); !s)
            return s;
    }
    const QJsonObject datasetDetails{{QStringLiteral("drifted"), result.drifted},
                                     {QStringLiteral("considered"), result.considered},
                                     {QStringLiteral("share"), result.share},
                                     {QStringLiteral("share_threshold"), result.shareThreshold}};
    return observe(kDriftDatasetFeature, result.datasetDrift, result.considered > 0, QStringLiteral("critical"),
                   tr("Dataset drift: %1 of %2 features drift").arg(result.drifted).arg(result.considered),
                   datasetDetails);
}

Status HistoryEvents::closeAlert(const QString &feature, const QDateTime &resolvedAt)
{
    const auto it = m_openAlerts.constFind(feature);
    if (it == m_openAlerts.constEnd())
        return {};
    OpenAlert open = *it;
    m_openAlerts.remove(feature);
    open.row.resolvedAt = resolvedAt;
    open.row.resolvedBy = m_guard.name;
    QDateTime ackAt;
    if (open.acknowledge) {
        ackAt = std::min(open.row.raisedAt.addSecs(85 * 60), resolvedAt.addSecs(-60));
        open.row.acknowledgedAt = ackAt;
        open.row.acknowledgedBy = m_ops.name;
    }
    auto id = m_store.insertAlert(open.row);
    if (!id)
        return id.error();
    ++m_rows;
    if (!open.acknowledge)
        return {};
    const auto snapshot = [&](bool acknowledged) {
        return QJsonObject{{QStringLiteral("id"), *id},
                           {QStringLiteral("kind"), open.row.kind},
                           {QStringLiteral("title"), open.row.title},
                           {QStringLiteral("state"), QStringLiteral("firing")},
                           {QStringLiteral("acknowledged_at"),
                            acknowledged ? QJsonValue(ackAt.toString(Qt::ISODateWithMs)) : QJsonValue()},
                           {QStringLiteral("acknowledged_by"), acknowledged ? QJsonValue(m_ops.name) : QJsonValue()},
                           {QStringLiteral("silenced_until"), QJsonValue()},
                           {QStringLiteral("silenced_by"), QJsonValue()}};
    };
    return audit(ackAt, QStringLiteral("alert.acknowledge"), m_ops,
                 tr("Heavy rain and a driver shortage in the city today; the model copes, watching"), snapshot(false),
                 snapshot(true));
}

Status HistoryEvents::finishRetrain()
{
    // The candidate against the champion on the last rides before the run: the same rows for both.
    std::vector<FeatureRow> rows;
    std::vector<double> actual;
    for (const auto &[features, truth] : m_holdout) {
        rows.push_back(features);
        actual.push_back(truth);
    }
    auto champion = m_first.runner->predict(rows);
    if (!champion)
        return champion.error();
    auto candidate = m_second->runner->predict(rows);
    if (!candidate)
        return candidate.error();
    const stats::RegressionMetrics c = stats::regressionMetrics(*champion, actual);
    const stats::RegressionMetrics n = stats::regressionMetrics(*candidate, actual);
    const double improvement = c.mae > 0 ? (c.mae - n.mae) / c.mae : 0;
    const bool promoted = improvement >= 0.02;
    m_championMetrics = metricsJson(c);
    m_candidateMetrics = metricsJson(n);

    const QDateTime requested = m_script.retrainRequestedAt;
    NewModelVersion row = m_second->row;
    row.parentVersion = m_first.row.version;
    row.trainFrom = requested.addDays(-7);
    row.trainTo = requested;
    row.metrics = QJsonObject{{QStringLiteral("mae"), n.mae},
                              {QStringLiteral("rmse"), n.rmse},
                              {QStringLiteral("r2"), n.r2},
                              {QStringLiteral("holdout_rows"), double(n.rows)}};
    auto id = m_store.insertModel(row, m_firstModelId, m_script.retrainFinishedAt, m_scientist.osUser);
    if (!id)
        return id.error();
    m_secondModelId = *id;
    ++m_rows;
    QJsonObject registered = modelJson(*id, row);
    registered.insert(QStringLiteral("path"), row.filePath);
    if (Status s = audit(m_script.retrainFinishedAt, QStringLiteral("model.register"), m_scientist, {}, std::nullopt,
                         registered);
        !s)
        return s;

    const double satisfaction = m_feedbackTotal > 0 ? double(m_feedbackPositive) / double(m_feedbackTotal) : 0;
    HistoryStore::RetrainRow run;
    run.deployment = m_deployment;
    run.trigger = QStringLiteral("feedback");
    run.requestedBy = m_scientist.osUser;
    run.requestedAt = requested;
    run.startedAt = m_script.retrainStartedAt;
    run.finishedAt = m_script.retrainFinishedAt;
    run.dataFrom = row.trainFrom;
    run.dataTo = row.trainTo;
    run.baseModelId = m_firstModelId;
    run.baseVersion = m_first.row.version;
    run.resultModelId = *id;
    run.resultVersion = row.version;
    run.decision = promoted ? QStringLiteral("promoted") : QStringLiteral("challenger");
    run.decisionReason = promoted ? tr("MAE %1 -> %2 on the holdout (%3 % better, rule: at least 2 %)")
                                        .arg(c.mae, 0, 'f', 3)
                                        .arg(n.mae, 0, 'f', 3)
                                        .arg(improvement * 100, 0, 'f', 1)
                                  : tr("MAE %1 -> %2 on the holdout: below the 2 % the rule asks")
                                        .arg(c.mae, 0, 'f', 3)
                                        .arg(n.mae, 0, 'f', 3);
    run.params = QJsonObject{{QStringLiteral("window_days"), 7},
                             {QStringLiteral("trigger_figures"),
                              QJsonObject{{QStringLiteral("feedback_items"), double(m_feedbackTotal)},
                                          {QStringLiteral("negative"), double(m_feedbackTotal - m_feedbackPositive)},
                                          {QStringLiteral("satisfaction"), satisfaction}}}};
    run.metrics =
        QJsonObject{{QStringLiteral("holdout_rows"), double(n.rows)},
                    {QStringLiteral("candidate"), m_candidateMetrics},
                    {QStringLiteral("champion"), m_championMetrics},
                    {QStringLiteral("mae_difference"), QJsonObject{{QStringLiteral("estimate"), n.mae - c.mae}}},
                    {QStringLiteral("decision_rule"),
                     QJsonObject{{QStringLiteral("promote"), promoted}, {QStringLiteral("min_improvement"), 0.02}}}};
    run.log = tr("Feedback over 30 days: %1 items, %2 negative, satisfaction %3 %; trained on 7 days, evaluated on "
                 "the last %4 rides.")
                  .arg(m_feedbackTotal)
                  .arg(m_feedbackTotal - m_feedbackPositive)
                  .arg(satisfaction * 100, 0, 'f', 1)
                  .arg(n.rows);
    auto runId = m_store.insertRetrainRun(run);
    if (!runId)
        return runId.error();
    ++m_rows;
    return {};
}

Status HistoryEvents::promote()
{
    if (m_secondModelId <= 0)
        return Error{tr("The retrained model was not registered before its promotion.")};
    if (Status s = m_store.setAlias(m_deployment, QStringLiteral("champion"), m_secondModelId, m_script.promotedAt,
                                    m_scientist.osUser);
        !s)
        return s;
    return audit(m_script.promotedAt, QStringLiteral("model.promote"), m_scientist,
                 tr("Retrained on the last 7 days: better MAE on the holdout"),
                 modelJson(m_firstModelId, m_first.row, QStringLiteral("champion")),
                 modelJson(m_secondModelId, m_second->row, QStringLiteral("champion")));
}

Status HistoryEvents::writeMarker(const QJsonObject &marker)
{
    // Alerts still open at the end of the month stay open (firing).
    for (auto it = m_openAlerts.cbegin(); it != m_openAlerts.cend(); ++it)
        if (auto id = m_store.insertAlert(it->row); !id)
            return id.error();
    m_openAlerts.clear();
    return audit(m_script.to, QStringLiteral("demo.history"), actor(QStringLiteral("mldeck-dev"), QString()),
                 tr("A month of demo history loaded"), std::nullopt, marker);
}

} // namespace mldeck
