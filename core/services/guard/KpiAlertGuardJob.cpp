#include "core/services/guard/KpiAlertGuardJob.h"

#include "core/Text.h"
#include "core/alerting/AlertRuleMachine.h"
#include "core/alerting/DependencyFallbackObservation.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/KpiCache.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QMap>

#include <memory>

namespace mldeck {

namespace {

Q_LOGGING_CATEGORY(lcKpiAlerts, "mldeck.guard.kpialerts")

const QString kKind = QStringLiteral("kpi");

// A classifier's figure on the ML path; empty on a regression deployment. An estimate the
// calibration check does not trust is no value: the rule waits rather than act on it.
std::optional<double> classificationValue(AlertRule::Metric metric, const stats::KpiFigures &ml)
{
    if (!ml.classification)
        return std::nullopt;
    const stats::ClassificationFigures &c = *ml.classification;
    switch (metric) {
    case AlertRule::Metric::Accuracy:
        return c.accuracy;
    case AlertRule::Metric::F1:
        return c.classes == 2 ? c.f1Positive : c.macroF1;
    case AlertRule::Metric::LogLoss:
        return c.logLoss;
    case AlertRule::Metric::Ece:
        return c.ece;
    case AlertRule::Metric::EstimatedAccuracy:
        return c.estimateUntrusted.isEmpty() ? c.estimatedAccuracy : std::nullopt;
    default:
        return std::nullopt;
    }
}

// The rule's figure from the window's snapshot: failure rate over every path; the model's own
// quality and speed (MAE, its estimate, R², a classifier's figures, latency p95) on the ML path only; no_data
// from the prediction count.
RuleObservation observe(const AlertRule &rule, const KpiSnapshot &snapshot)
{
    RuleObservation o;
    o.predictions = snapshot.overall.predictions;
    const stats::KpiFigures ml = snapshot.byPath.value(QStringLiteral("ml"));
    switch (rule.metric) {
    case AlertRule::Metric::FailureRate:
        o.value = snapshot.overall.failureRate;
        break;
    case AlertRule::Metric::LatencyP95Ms:
        o.value = ml.latencyP95Ms;
        break;
    case AlertRule::Metric::Mae:
        o.value = ml.mae;
        break;
    case AlertRule::Metric::R2:
        o.value = ml.r2;
        break;
    case AlertRule::Metric::EstimatedMae: // the nanny's estimate over the window's scored ML predictions
        o.value = ml.estimatedMae;
        break;
    case AlertRule::Metric::Accuracy:
    case AlertRule::Metric::F1:
    case AlertRule::Metric::LogLoss:
    case AlertRule::Metric::Ece:
    case AlertRule::Metric::EstimatedAccuracy:
        o.value = classificationValue(rule.metric, ml);
        break;
    case AlertRule::Metric::NoData:
    case AlertRule::Metric::DependencyFallback:
        break; // not a KPI: see observeDependencies()
    }
    return o;
}

QString alertTitle(const AlertRule &rule)
{
    switch (rule.metric) {
    case AlertRule::Metric::FailureRate:
        return ServiceText::tr("Failure rate %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::LatencyP95Ms:
        return ServiceText::tr("ML latency p95 %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::Mae:
        return ServiceText::tr("ML MAE %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::R2:
        return ServiceText::tr("ML R² %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::EstimatedMae:
        return ServiceText::tr("ML estimated MAE %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::Accuracy:
        return ServiceText::tr("ML accuracy %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::F1:
        return ServiceText::tr("ML F1 %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::LogLoss:
        return ServiceText::tr("ML log-loss %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::Ece:
        return ServiceText::tr("ML calibration error (ECE) %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::EstimatedAccuracy:
        return ServiceText::tr("ML estimated accuracy %1 %2")
            .arg(AlertRule::comparisonName(rule.comparison), rule.formatValue(rule.threshold));
    case AlertRule::Metric::NoData:
        return ServiceText::tr("No predictions for %1 min").arg(rule.windowSeconds / 60.0, 0, 'g', 3);
    case AlertRule::Metric::DependencyFallback:
        return ServiceText::tr("Backend dependency in fallback for more than %1").arg(rule.formatValue(rule.threshold));
    }
    return rule.id;
}

// The backend's dependencies from Redis. A Redis that cannot be read gives no value (the rule
// waits) rather than failing the job: the KPI rules must keep working without Redis.
DependencyFallbackObservation observeDependencies(const GuardContext &context, qint64 nowSecs)
{
    auto conn = RedisConnection::open(context.redis);
    auto deps = conn ? DependencyStore(*conn.value()).read(context.deployment)
                     : Result<std::vector<DependencyState>>(conn.error());
    if (!deps) {
        qCWarning(lcKpiAlerts).noquote() << "dependencies of" << context.deployment
                                         << "unreadable:" << deps.errorMessage();
        return {};
    }
    return observeDependencyFallback(*deps, QDateTime::fromSecsSinceEpoch(nowSecs, Qt::UTC));
}

// Every run reads rules, state and figures from PostgreSQL and writes the new state back, so a
// restarted guard (or another instance that wins the leader lock) keeps the pending timers.
class KpiAlertGuardJob final : public GuardJob
{
public:
    explicit KpiAlertGuardJob(KpiAlertGuardOptions options)
        : m_options(std::move(options)), m_notifier(m_options.webhook)
    {
    }

    QString name() const override { return QStringLiteral("kpi-alerts"); }
    int intervalMs() const override { return m_options.intervalMs; }
    QString lastSummary() const override { return m_summary; }

    Status runOnce(const GuardContext &context) override
    {
        auto conn = m_pg.get(context.pg);
        if (!conn) {
            m_summary = ServiceText::tr("kpi alerts: PostgreSQL unavailable: %1").arg(conn.errorMessage());
            return conn.error();
        }
        PgConnection &db = **conn;
        const qint64 now = m_options.nowSecs ? m_options.nowSecs() : QDateTime::currentSecsSinceEpoch();
        const Actor who = guardActor(context);
        const AlertActor actor{who.name, who.host};
        AlertRuleStore rules(db);
        AlertStore alerts(db);
        const auto list = rules.rules(context.deployment);
        if (!list)
            return fail(list.error());
        const auto states = rules.states(context.deployment);
        if (!states)
            return fail(states.error());
        const auto webhook = rules.webhook(context.deployment);
        if (!webhook)
            return fail(webhook.error());

        QMap<int, KpiSnapshot> byWindow;                           // one KPI read per distinct window
        std::optional<DependencyFallbackObservation> dependencies; // one Redis read per run, when needed
        QStringList firing, pending;
        for (const AlertRule &rule : *list) {
            const bool onDependencies = rule.metric == AlertRule::Metric::DependencyFallback;
            if (rule.enabled && onDependencies && !dependencies)
                dependencies = observeDependencies(context, now);
            if (rule.enabled && !onDependencies && !byWindow.contains(rule.windowSeconds)) {
                KpiQuery query;
                query.deployment = context.deployment;
                query.toSecs = now;
                query.fromSecs = now - rule.windowSeconds;
                query.live = true;
                KpiCache cache;
                auto snapshot = cache.load(db, query, now);
                if (!snapshot)
                    return fail(snapshot.error());
                byWindow.insert(rule.windowSeconds, *snapshot);
            }
            const RuleObservation observation = !rule.enabled    ? RuleObservation{}
                                                : onDependencies ? dependencies->observation
                                                                 : observe(rule, byWindow.value(rule.windowSeconds));
            const AlertRuleStatus previous = states->value(rule.id);
            const AlertRuleEvaluation e = evaluateAlertRule(rule, previous, observation, now);
            qint64 alertId = 0;
            const QStringList names = onDependencies && dependencies ? dependencies->inFallback : QStringList();
            if (auto s = act(alerts, rules, rule, e, context.deployment, actor, *webhook, names, &alertId); !s)
                return fail(s.error());
            // Written every run: the GUI shows the last value and when it was evaluated.
            if (auto s = rules.saveState(context.deployment, rule.id, e.status, alertId); !s)
                return fail(s.error());
            if (e.status.state == AlertRuleState::Firing)
                firing << rule.id;
            else if (e.status.state == AlertRuleState::Pending)
                pending << rule.id;
        }
        m_summary = ServiceText::tr("kpi alerts: firing: %1; pending: %2")
                        .arg(firing.isEmpty() ? ServiceText::tr("none") : firing.join(QStringLiteral(", ")),
                             pending.isEmpty() ? ServiceText::tr("none") : pending.join(QStringLiteral(", ")));
        return {};
    }

private:
    Status fail(const Error &error)
    {
        m_summary = ServiceText::tr("kpi alerts: %1").arg(error.message);
        return error;
    }

    Status act(AlertStore &alerts, AlertRuleStore &rules, const AlertRule &rule, const AlertRuleEvaluation &e,
               const QString &deployment, const AlertActor &actor, const std::optional<WebhookSettings> &webhook,
               const QStringList &dependencies, qint64 *alertId)
    {
        const bool raiseNow = e.transition == AlertTransition::Fired ||
                              (e.transition == AlertTransition::None && e.status.state == AlertRuleState::Firing);
        WebhookEvent event{deployment,
                           QString(),
                           0,
                           rule,
                           e.status.lastValue,
                           QDateTime::fromSecsSinceEpoch(e.status.lastEvaluatedSecs, Qt::UTC),
                           alertTitle(rule)};
        if (!dependencies.isEmpty())
            event.title = ServiceText::tr("%1 in fallback for more than %2")
                              .arg(dependencies.join(QStringLiteral(", ")), rule.formatValue(rule.threshold));
        if (raiseNow) {
            QJsonObject details = toJson(e.status);
            details.insert(QStringLiteral("rule"), rule.toJson());
            details.insert(QStringLiteral("value_text"),
                           e.status.lastValue ? rule.formatValue(*e.status.lastValue) : QString());
            if (!dependencies.isEmpty())
                details.insert(QStringLiteral("dependencies"), QJsonArray::fromStringList(dependencies));
            const auto raised = alerts.raise(deployment, kKind, rule.severity, rule.id, event.title, details);
            if (!raised)
                return raised.error();
            *alertId = raised->id;
            if (e.transition == AlertTransition::Fired) {
                event.event = QStringLiteral("firing");
                event.alertId = raised->id;
                // An alert left open (state lost, rule re-fired) may already be silenced.
                const auto row = raised->created ? Result<Alert>(Alert{}) : alerts.get(raised->id);
                if (!row || !row->silencedAt(event.at))
                    notify(rules, webhook, event);
            }
            return {};
        }
        if (e.transition == AlertTransition::Resolved) {
            // The open alert (to learn its id and whether it is silenced) before resolving it.
            const auto open = alerts.list(deployment, false, 500);
            if (!open)
                return open.error();
            const Alert *found = nullptr;
            for (const Alert &a : *open)
                if (a.kind == kKind && a.dedupKey == rule.id)
                    found = &a;
            const auto resolved = alerts.resolve(deployment, kKind, rule.id, actor);
            if (!resolved)
                return resolved.error();
            if (found) {
                *alertId = found->id;
                event.event = QStringLiteral("resolved");
                event.alertId = found->id;
                if (!found->silencedAt(event.at))
                    notify(rules, webhook, event);
            }
        }
        return {};
    }

    void notify(AlertRuleStore &rules, const std::optional<WebhookSettings> &webhook, const WebhookEvent &event)
    {
        if (!webhook || !webhook->enabled || webhook->url.isEmpty())
            return;
        const WebhookOutcome outcome = deliverWebhook(rules, webhook->url, event, m_notifier);
        if (!outcome.delivered)
            qCWarning(lcKpiAlerts).noquote() << "webhook for" << event.deployment << event.rule.id << event.event
                                             << "not delivered:" << outcome.lastError();
    }

    KpiAlertGuardOptions m_options;
    WebhookNotifier m_notifier;
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard-kpialerts")};
    QString m_summary;
};

} // namespace

WebhookOutcome deliverWebhook(AlertRuleStore &store, const QString &url, const WebhookEvent &event,
                              const WebhookNotifier &notifier)
{
    return notifier.post(url, webhookPayload(event), [&](const QUuid &id, const WebhookAttempt &a) {
        WebhookDelivery d;
        d.deliveryId = id;
        d.deployment = event.deployment;
        d.alertId = event.alertId;
        d.ruleId = event.rule.id;
        d.event = event.event;
        d.attempt = a.attempt;
        d.httpStatus = a.httpStatus;
        d.delivered = a.delivered;
        d.error = a.error;
        d.elapsedMs = a.elapsedMs;
        if (auto s = store.recordDelivery(d); !s)
            qCWarning(lcKpiAlerts).noquote() << "could not record a webhook delivery:" << s.errorMessage();
    });
}

std::unique_ptr<GuardJob> makeKpiAlertGuardJob(const KpiAlertGuardOptions &options)
{
    return std::make_unique<KpiAlertGuardJob>(options);
}

std::unique_ptr<GuardJob> makeKpiAlertGuardJob()
{
    return makeKpiAlertGuardJob(KpiAlertGuardOptions{});
}

} // namespace mldeck
