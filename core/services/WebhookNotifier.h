#pragma once

#include "core/domain/AlertRule.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUuid>

#include <functional>
#include <optional>

namespace mldeck {

// What a KPI alert notification says (see resources/contract/alerts.md for the JSON).
struct WebhookEvent
{
    QString deployment;
    QString event; // firing, resolved, test
    qint64 alertId = 0;
    AlertRule rule;
    std::optional<double> value;
    QDateTime at; // when the transition happened
    QString title;
};

// Slack-compatible: {"text": ..., "attachments": [...], "mldeck": {...the alert fields...}}.
QJsonObject webhookPayload(const WebhookEvent &event);

// One POST attempt.
struct WebhookAttempt
{
    int attempt = 1;
    int httpStatus = 0; // 0: no HTTP answer (timeout, refused, DNS)
    bool delivered = false;
    QString error;
    int elapsedMs = 0;
};

struct WebhookOutcome
{
    QUuid deliveryId;
    bool delivered = false;
    QList<WebhookAttempt> attempts;
    QString lastError() const { return attempts.isEmpty() ? QString() : attempts.constLast().error; }
};

// POSTs JSON to a webhook with a timeout and retries: 2xx is delivered; 4xx other than 408/429
// is final (the request itself is wrong: retrying cannot help); anything else (5xx, 429, timeout,
// connection errors) is tried again after the next backoff step. BLOCKING: meant for a worker
// thread such as the guard's (it runs its own QNetworkAccessManager in a local event loop, so
// the calling thread needs no running event loop). Never call it on the GUI thread.
class WebhookNotifier final
{
public:
    struct Options
    {
        int timeoutMs = 5000;
        int maxAttempts = 3;
        QList<int> backoffMs{1000, 2000, 4000}; // wait before attempt 2, 3, 4, ... (the last one repeats)
    };
    // Called after each attempt (e.g. to record it in mldeck.webhook_deliveries).
    using AttemptSink = std::function<void(const QUuid &deliveryId, const WebhookAttempt &attempt)>;

    WebhookNotifier();
    explicit WebhookNotifier(Options options);

    WebhookOutcome post(const QString &url, const QJsonObject &payload, const AttemptSink &sink = {}) const;

private:
    WebhookAttempt postOnce(const QString &url, const QByteArray &body, int attempt) const;
    Options m_options;
};

} // namespace mldeck
