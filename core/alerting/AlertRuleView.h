#pragma once

#include "core/alerting/AlertRuleMachine.h"
#include "core/domain/AlertRule.h"

#include <QDateTime>
#include <QString>
#include <QUuid>

namespace mldeck {

// One attempt to deliver a webhook notification (mldeck.webhook_deliveries).
struct WebhookDelivery
{
    QUuid deliveryId; // shared by the attempts of one notification
    QString deployment;
    qint64 alertId = 0; // 0: none (a test)
    QString ruleId;
    QString event; // firing, resolved, test
    int attempt = 1;
    int httpStatus = 0; // 0: no HTTP answer
    bool delivered = false;
    QString error;
    int elapsedMs = 0;
    QDateTime sentAt;
};

// A rule with where it stands, for `mldeckctl alerts rules` and the GUI's Rules view.
struct AlertRuleView
{
    AlertRule rule;
    bool customised = false; // stored for this deployment (else a built-in default)
    AlertRuleStatus status;
    qint64 alertId = 0; // the open (or last) kpi alert of this rule
};

} // namespace mldeck
