#include "core/services/WebhookNotifier.h"
#include "core/Text.h"
#include "core/domain/Figure.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>
#include <QUrl>

namespace mldeck {

namespace {

bool retryable(int status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

} // namespace

QJsonObject webhookPayload(const WebhookEvent &e)
{
    const QString valueText = figureText(e.value, [&e](double v) { return e.rule.formatValue(v); });
    const QString at = e.at.toUTC().toString(Qt::ISODate);
    QString headline;
    QString color;
    if (e.event == QLatin1String("firing")) {
        headline =
            ServiceText::tr("[FIRING] %1 on %2: %3 (%4)").arg(e.title, e.deployment, valueText, e.rule.describe());
        color = e.rule.severity == QLatin1String("critical") ? QStringLiteral("#d00000") : QStringLiteral("#f2a900");
    } else if (e.event == QLatin1String("resolved")) {
        headline = ServiceText::tr("[RESOLVED] %1 on %2: now %3").arg(e.title, e.deployment, valueText);
        color = QStringLiteral("#2eb67d");
    } else {
        headline = ServiceText::tr("[TEST] MLDeck webhook of %1 works.").arg(e.deployment);
        color = QStringLiteral("#439fe0");
    }
    const QJsonArray fields{
        QJsonObject{{QStringLiteral("title"), ServiceText::tr("Deployment")},
                    {QStringLiteral("value"), e.deployment},
                    {QStringLiteral("short"), true}},
        QJsonObject{{QStringLiteral("title"), ServiceText::tr("Value")},
                    {QStringLiteral("value"), valueText},
                    {QStringLiteral("short"), true}},
        QJsonObject{{QStringLiteral("title"), ServiceText::tr("Rule")},
                    {QStringLiteral("value"), e.rule.describe()},
                    {QStringLiteral("short"), false}},
    };
    const QJsonObject attachment{{QStringLiteral("color"), color},
                                 {QStringLiteral("title"), e.title},
                                 {QStringLiteral("fallback"), headline},
                                 {QStringLiteral("fields"), fields},
                                 {QStringLiteral("ts"), e.at.toSecsSinceEpoch()}};
    const QJsonObject mldeck{{QStringLiteral("version"), 1},
                             {QStringLiteral("event"), e.event},
                             {QStringLiteral("deployment"), e.deployment},
                             {QStringLiteral("alert_id"), e.alertId > 0 ? QJsonValue(e.alertId) : QJsonValue()},
                             {QStringLiteral("kind"), QStringLiteral("kpi")},
                             {QStringLiteral("rule_id"), e.rule.id},
                             {QStringLiteral("metric"), AlertRule::metricName(e.rule.metric)},
                             {QStringLiteral("comparison"), AlertRule::comparisonName(e.rule.comparison)},
                             {QStringLiteral("threshold"), e.rule.threshold},
                             // the effective resolving threshold (the firing one when none is set)
                             {QStringLiteral("resolve_threshold"), e.rule.resolveThreshold.value_or(e.rule.threshold)},
                             {QStringLiteral("keep_firing_seconds"), e.rule.keepFiringSeconds},
                             {QStringLiteral("window_seconds"), e.rule.windowSeconds},
                             {QStringLiteral("for_seconds"), e.rule.pendingSeconds},
                             {QStringLiteral("severity"), e.rule.severity},
                             {QStringLiteral("value"), e.value ? QJsonValue(*e.value) : QJsonValue()},
                             {QStringLiteral("title"), e.title},
                             {QStringLiteral("at"), at}};
    return {{QStringLiteral("text"), headline},
            {QStringLiteral("attachments"), QJsonArray{attachment}},
            {QStringLiteral("mldeck"), mldeck}};
}

WebhookNotifier::WebhookNotifier() : WebhookNotifier(Options{}) {}
WebhookNotifier::WebhookNotifier(Options options) : m_options(std::move(options)) {}

WebhookAttempt WebhookNotifier::postOnce(const QString &url, const QByteArray &body, int attempt) const
{
    WebhookAttempt a;
    a.attempt = attempt;
    QElapsedTimer clock;
    clock.start();
    // A manager per attempt on the calling thread: the guard's thread has no event loop of its own.
    QNetworkAccessManager manager;
    QNetworkRequest request{QUrl(url)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("MLDeck-alerts/1"));
    request.setTransferTimeout(m_options.timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    QNetworkReply *reply = manager.post(request, body);
    QEventLoop loop;
    QTimer guard; // belt and braces next to the transfer timeout (e.g. a stalled connect)
    guard.setSingleShot(true);
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
    guard.start(m_options.timeoutMs + 500);
    if (!reply->isFinished())
        loop.exec();
    if (!reply->isFinished()) {
        reply->abort();
        a.error = ServiceText::tr("no answer within %1 ms").arg(m_options.timeoutMs);
    } else {
        a.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (a.httpStatus >= 200 && a.httpStatus < 300) {
            a.delivered = true;
        } else if (a.httpStatus > 0) {
            a.error = ServiceText::tr("HTTP %1 %2: %3")
                          .arg(a.httpStatus)
                          .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString(),
                               QString::fromUtf8(reply->readAll().left(200)).trimmed());
        } else {
            a.error = reply->error() == QNetworkReply::OperationCanceledError
                          ? ServiceText::tr("no answer within %1 ms").arg(m_options.timeoutMs)
                          : reply->errorString();
        }
    }
    delete reply;
    a.elapsedMs = static_cast<int>(clock.elapsed());
    return a;
}

WebhookOutcome WebhookNotifier::post(const QString &url, const QJsonObject &payload, const AttemptSink &sink) const
{
    WebhookOutcome out;
    out.deliveryId = QUuid::createUuid();
    if (auto s = WebhookSettings::validateUrl(url); !s) {
        WebhookAttempt a;
        a.error = s.errorMessage();
        out.attempts << a;
        if (sink)
            sink(out.deliveryId, a);
        return out;
    }
    const QByteArray body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
    const int attempts = std::max(1, m_options.maxAttempts);
    for (int n = 1; n <= attempts; ++n) {
        if (n > 1 && !m_options.backoffMs.isEmpty())
            QThread::msleep(
                static_cast<unsigned long>(m_options.backoffMs.value(n - 2, m_options.backoffMs.constLast())));
        const WebhookAttempt a = postOnce(url, body, n);
        out.attempts << a;
        if (sink)
            sink(out.deliveryId, a);
        if (a.delivered) {
            out.delivered = true;
            break;
        }
        if (!retryable(a.httpStatus))
            break;
    }
    return out;
}

} // namespace mldeck
