#pragma once

#include "core/alerting/AlertRuleMachine.h"
#include "core/alerting/AlertRuleView.h"
#include "core/domain/AlertRule.h"
#include "core/domain/Result.h"
#include "core/store/pg/AlertStore.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QUuid>

#include <optional>

namespace mldeck {

class PgConnection;

// KPI alert rules, their persisted state, the webhook settings and the delivery log (step 8).
// Rule and webhook changes write an audit_log row in the same transaction.
class AlertRuleStore final
{
public:
    explicit AlertRuleStore(PgConnection &conn);

    // Whether the deployment is a classifier (its rules then use the classification metrics).
    Result<bool> classifier(const QString &deployment);
    // The deployment's rules: the built-in defaults of its task, replaced or extended by its stored rules.
    Result<QList<AlertRule>> rules(const QString &deployment);
    Result<QList<AlertRuleView>> ruleViews(const QString &deployment);
    // Validates (a metric of the other task is refused), stores (insert or replace) and audits
    // ("alert_rule.set", before/after).
    Status saveRule(const QString &deployment, const AlertRule &rule, const AlertActor &actor,
                    const QString &reason = {});
    // Drops the stored version of a built-in rule (its default comes back; a rule of the deployment's own
    // is deleted instead); audited ("alert_rule.reset", before = the stored rule, after = the default).
    // false: nothing stored.
    Result<bool> resetRule(const QString &deployment, const QString &ruleId, const AlertActor &actor);
    // Deletes a rule the deployment added (a built-in one is reset or turned off instead), with its state;
    // its open alert resolves. Audited ("alert_rule.delete", before = the rule). false: no such rule.
    Result<bool> deleteRule(const QString &deployment, const QString &ruleId, const AlertActor &actor,
                            const QString &reason = {});

    Result<QMap<QString, AlertRuleStatus>> states(const QString &deployment);
    Status saveState(const QString &deployment, const QString &ruleId, const AlertRuleStatus &status,
                     qint64 alertId = 0);

    Result<std::optional<WebhookSettings>> webhook(const QString &deployment);
    // Audited ("alert_webhook.set"); the audit row keeps only the URL's scheme and host (it may hold a token).
    Status setWebhook(const QString &deployment, const WebhookSettings &settings, const AlertActor &actor);

    Status recordDelivery(const WebhookDelivery &delivery);
    Result<QList<WebhookDelivery>> deliveries(const QString &deployment, int limit = 50);

    // "https://hooks.slack.com/…" for display: the path may be a secret.
    static QString maskedUrl(const QString &url);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
