#include "core/services/SettingsService.h"

#include "core/Text.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/AlertsService.h"
#include "core/services/WebhookNotifier.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/RetentionStore.h"

namespace mldeck {

SettingsService::SettingsService(QObject *parent) : PgService(QStringLiteral("settings"), parent) {}

SettingsService::~SettingsService() = default;

void SettingsService::readPermissions()
{
    post([](PgConnection &c) { return RolePermissions::read(c); },
         [this](Result<RolePermissions> r) { Q_EMIT permissionsRead(r); });
}

void SettingsService::loadKpiTargets(const QString &deployment)
{
    post([deployment](PgConnection &c) { return KpiStore(c).targets(deployment); },
         [this, deployment](Result<KpiTargets> r) { Q_EMIT kpiTargetsLoaded(deployment, r); });
}

void SettingsService::saveKpiTargets(const QString &deployment, const KpiTargets &targets)
{
    post(
        [deployment, targets](PgConnection &c) -> Result<KpiTargets> {
            if (Status s = KpiStore(c).setTargets(deployment, targets); !s) // audited ("kpi.targets")
                return s.error();
            return targets;
        },
        [this](Result<KpiTargets> r) { Q_EMIT kpiTargetsSaved(r); });
}

void SettingsService::loadClassifier(const QString &deployment)
{
    post([deployment](PgConnection &c) { return AlertRuleStore(c).classifier(deployment); },
         [this, deployment](Result<bool> r) { Q_EMIT classifierLoaded(deployment, r); });
}

void SettingsService::loadGuardRules(const QString &deployment)
{
    post([deployment](PgConnection &c) { return GuardStore(c).rules(deployment); },
         [this, deployment](Result<GuardRules> r) { Q_EMIT guardRulesLoaded(deployment, r); });
}

void SettingsService::saveGuardRules(const QString &deployment, const GuardRules &rules)
{
    post(
        [deployment, rules](PgConnection &c) -> Result<GuardRules> {
            const Status s = GuardStore(c).saveRules(deployment, rules, Actor::current(),
                                                     ServiceText::tr("Changed in the settings editor"));
            if (!s)
                return s.error();
            return rules;
        },
        [this](Result<GuardRules> r) { Q_EMIT guardRulesSaved(r); });
}

void SettingsService::loadWebhook(const QString &deployment)
{
    post(
        [deployment](PgConnection &c) -> Result<std::optional<WebhookSettings>> {
            auto hook = AlertRuleStore(c).webhook(deployment);
            if (hook)
                return hook;
            // Viewers may not read the URL (it often carries a token): say so rather than the server's words.
            auto permissions = RolePermissions::read(c);
            if (permissions && !permissions->mayChange(SettingsArea::Webhook))
                return Error{ServiceText::tr("Your role may not read the webhook's URL (it may hold a token).")};
            return hook;
        },
        [this, deployment](Result<std::optional<WebhookSettings>> r) { Q_EMIT webhookLoaded(deployment, r); });
}

void SettingsService::saveWebhook(const QString &deployment, const WebhookSettings &settings)
{
    post(
        [deployment, settings](PgConnection &c) -> Result<WebhookSettings> {
            // audited ("alert_webhook.set")
            if (Status s = AlertRuleStore(c).setWebhook(deployment, settings, AlertsService::currentUser()); !s)
                return s.error();
            return settings;
        },
        [this](Result<WebhookSettings> r) { Q_EMIT webhookSaved(r); });
}

void SettingsService::sendTestWebhook(const QString &deployment)
{
    post(
        [deployment](PgConnection &c) -> Result<QString> {
            AlertRuleStore store(c);
            const auto hook = store.webhook(deployment);
            if (!hook)
                return hook.error();
            if (!*hook)
                return Error{ServiceText::tr("\"%1\" has no webhook yet: save one first.").arg(deployment)};
            const WebhookEvent event{deployment,
                                     QStringLiteral("test"),
                                     0,
                                     AlertRule::defaultFor(AlertRule::Metric::FailureRate),
                                     std::nullopt,
                                     QDateTime::currentDateTimeUtc(),
                                     ServiceText::tr("Webhook test")};
            // One attempt: the user is waiting for the answer (the guard retries real alerts).
            WebhookNotifier::Options once;
            once.maxAttempts = 1;
            const WebhookOutcome outcome = deliverWebhook(store, (*hook)->url, event, WebhookNotifier(once));
            if (!outcome.delivered)
                return Error{ServiceText::tr("The test was not delivered: %1").arg(outcome.lastError())};
            return ServiceText::tr("Test delivered (HTTP %1).").arg(outcome.attempts.constLast().httpStatus);
        },
        [this](Result<QString> r) { Q_EMIT webhookTested(r); });
}

static_assert(SettingsService::kDefaultRetentionDays == RetentionStore::kDefaultDays);

QString SettingsService::retentionProblem(qint64 days)
{
    return RetentionStore::validateDays(days);
}

void SettingsService::loadRetention(const QString &deployment)
{
    post([deployment](PgConnection &c) { return RetentionStore(c).setting(deployment); },
         [this, deployment](Result<std::optional<int>> r) { Q_EMIT retentionLoaded(deployment, r); });
}

void SettingsService::saveRetention(const QString &deployment, std::optional<int> days)
{
    post(
        [deployment, days](PgConnection &c) -> Result<std::optional<int>> {
            // audited ("deployment.retention"), as mldeckctl deployments retention
            const Status s = RetentionStore(c).setDays(deployment, days, Actor::current(),
                                                       ServiceText::tr("Changed in the settings editor"));
            if (!s)
                return s.error();
            return RetentionStore(c).setting(deployment);
        },
        [this](Result<std::optional<int>> r) { Q_EMIT retentionSaved(r); });
}

} // namespace mldeck
