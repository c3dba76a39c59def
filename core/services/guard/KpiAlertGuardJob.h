#pragma once

#include "core/services/WebhookNotifier.h"
#include "core/services/guard/GuardJob.h"
#include "core/store/pg/AlertRuleStore.h"

#include <functional>

namespace mldeck {

// Knobs of the KPI alert job; tests shorten the clock and the webhook's backoff.
struct KpiAlertGuardOptions
{
    int intervalMs = 15'000;
    std::function<qint64()> nowSecs; // empty: the system clock
    WebhookNotifier::Options webhook;
};

std::unique_ptr<GuardJob> makeKpiAlertGuardJob(const KpiAlertGuardOptions &options);

// Posts `event` to the deployment's webhook and records every attempt in mldeck.webhook_deliveries
// (blocking: worker threads and the CLI only). A failure to record is logged, not fatal.
WebhookOutcome deliverWebhook(AlertRuleStore &store, const QString &url, const WebhookEvent &event,
                              const WebhookNotifier &notifier);

} // namespace mldeck
