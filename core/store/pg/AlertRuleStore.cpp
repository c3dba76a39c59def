#include "core/store/pg/AlertRuleStore.h"

#include "core/Text.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QUrl>

namespace mldeck {

namespace {

std::string json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}
using pg::text;
qint64 secs(const pqxx::field &f)
{
    return f.is_null() ? 0 : f.as<qint64>();
}
// NULL for 0 (no time), else the epoch seconds as a timestamptz literal parameter.
std::optional<std::string> tsParam(qint64 s)
{
    if (s <= 0)
        return std::nullopt;
    return QDateTime::fromSecsSinceEpoch(s, Qt::UTC).toString(Qt::ISODate).toStdString();
}

void audit(pqxx::work &tx, const AlertActor &actor, const char *action, const QString &deployment,
           const std::optional<QJsonObject> &before, const std::optional<QJsonObject> &after, const QString &reason)
{
    AuditRecord r;
    r.changeId = QUuid::createUuid(); // occurredAt stays NULL: the server stamps ts
    r.actorOs = actor.name;
    r.host = actor.host;
    r.action = QString::fromLatin1(action);
    r.deployment = deployment;
    r.before = before;
    r.after = after;
    r.reason = reason;
    pg::writeAudit(tx, r);
}

Status needActor(const AlertActor &actor)
{
    if (actor.name.trimmed().isEmpty())
        return Error{StoreText::tr("Changing alert settings needs the name of who does it.")};
    return {};
}

} // namespace

AlertRuleStore::AlertRuleStore(PgConnection &conn) : m_conn(conn) {}

QString AlertRuleStore::maskedUrl(const QString &url)
{
    const QUrl u(url);
    if (!u.isValid() || u.host().isEmpty())
        return QStringLiteral("…");
    return u.scheme() + QStringLiteral("://") + u.host() +
           (u.port() > 0 ? QStringLiteral(":%1").arg(u.port()) : QString()) +
           (u.path().length() > 1 ? QStringLiteral("/…") : QString());
}

Result<bool> AlertRuleStore::classifier(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return !tx.exec_params("SELECT 1 FROM mldeck.deployments WHERE name = $1 AND task = 'classification'",
                               pg::utf8(deployment))
                    .empty();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the task of %1").arg(deployment));
    }
}

Result<QList<AlertRule>> AlertRuleStore::rules(const QString &deployment)
{
    const auto isClassifier = classifier(deployment);
    if (!isClassifier)
        return isClassifier.error();
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT rule_id, definition::text FROM mldeck.alert_rules WHERE deployment = $1 ORDER BY rule_id",
            pg::utf8(deployment));
        QList<AlertRule> out = AlertRule::defaults(*isClassifier);
        for (const auto &r : rows) {
            auto rule = AlertRule::fromJson(pg::jsonObject(r[1]));
            if (!rule)
                return Error{StoreText::tr("Stored alert rule %1 of %2 is invalid: %3")
                                 .arg(text(r[0]), deployment, rule.errorMessage())};
            auto it = std::find_if(out.begin(), out.end(), [&](const AlertRule &d) { return d.id == rule->id; });
            if (it != out.end())
                *it = *rule;
            else
                out << *rule;
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the alert rules of %1").arg(deployment));
    }
}

Result<QList<AlertRuleView>> AlertRuleStore::ruleViews(const QString &deployment)
{
    auto list = rules(deployment);
    if (!list)
        return list.error();
    QSet<QString> stored;
    QMap<QString, qint64> alertIds;
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        for (const auto &r :
             tx.exec_params("SELECT rule_id FROM mldeck.alert_rules WHERE deployment = $1", pg::utf8(deployment)))
            stored.insert(text(r[0]));
        for (const auto &r : tx.exec_params("SELECT rule_id, coalesce(alert_id, 0) FROM mldeck.alert_rule_state "
                                            "WHERE deployment = $1",
                                            pg::utf8(deployment)))
            alertIds.insert(text(r[0]), r[1].as<qint64>());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the alert rules of %1").arg(deployment));
    }
    auto st = states(deployment);
    if (!st)
        return st.error();
    QList<AlertRuleView> out;
    for (const AlertRule &rule : *list)
        out << AlertRuleView{rule, stored.contains(rule.id), st->value(rule.id), alertIds.value(rule.id)};
    return out;
}

Status AlertRuleStore::saveRule(const QString &deployment, const AlertRule &rule, const AlertActor &actor,
                                const QString &reason)
{
    if (auto s = needActor(actor); !s)
        return s;
    if (auto s = rule.validate(); !s)
        return s;
    const auto isClassifier = classifier(deployment);
    if (!isClassifier)
        return isClassifier.error();
    if (auto s = rule.checkTask(*isClassifier); !s)
        return s;
    auto current = rules(deployment);
    if (!current)
        return current.error();
    std::optional<QJsonObject> before;
    for (const AlertRule &r : *current)
        if (r.id == rule.id)
            before = r.toJson();
    try {
        pqxx::work tx(pg::raw(m_conn));
        if (tx.exec_params("SELECT 1 FROM mldeck.deployments WHERE name = $1", pg::utf8(deployment)).empty())
            return Error{StoreText::tr("There is no deployment \"%1\".").arg(deployment)};
        tx.exec_params("INSERT INTO mldeck.alert_rules (deployment, rule_id, definition) VALUES ($1, $2, $3::jsonb) "
                       "ON CONFLICT (deployment, rule_id) DO UPDATE SET definition = EXCLUDED.definition, "
                       "updated_at = now(), updated_by = session_user",
                       pg::utf8(deployment), pg::utf8(rule.id), json(rule.toJson()));
        audit(tx, actor, "alert_rule.set", deployment, before, rule.toJson(), reason);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("saving alert rule %1").arg(rule.id));
    }
}

Result<bool> AlertRuleStore::resetRule(const QString &deployment, const QString &ruleId, const AlertActor &actor)
{
    if (auto s = needActor(actor); !s)
        return s.error();
    const auto isClassifier = classifier(deployment);
    if (!isClassifier)
        return isClassifier.error();
    const auto fallback = AlertRule::defaultWithId(ruleId, *isClassifier);
    if (!fallback)
        return Error{StoreText::tr("Rule %1 is not built in, so it has no default to go back to: delete it instead.")
                         .arg(ruleId)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "DELETE FROM mldeck.alert_rules WHERE deployment = $1 AND rule_id = $2 RETURNING definition::text",
            pg::utf8(deployment), pg::utf8(ruleId));
        if (r.empty())
            return false;
        audit(tx, actor, "alert_rule.reset", deployment, pg::jsonObject(r[0][0]), fallback->toJson(), {});
        tx.commit();
        return true;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("resetting alert rule %1").arg(ruleId));
    }
}

Result<bool> AlertRuleStore::deleteRule(const QString &deployment, const QString &ruleId, const AlertActor &actor,
                                        const QString &reason)
{
    if (auto s = needActor(actor); !s)
        return s.error();
    const auto isClassifier = classifier(deployment);
    if (!isClassifier)
        return isClassifier.error();
    if (AlertRule::defaultWithId(ruleId, *isClassifier))
        return Error{StoreText::tr("Rule %1 is built in and cannot be deleted: reset it to its default or turn it off.")
                         .arg(ruleId)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "DELETE FROM mldeck.alert_rules WHERE deployment = $1 AND rule_id = $2 RETURNING definition::text",
            pg::utf8(deployment), pg::utf8(ruleId));
        if (r.empty())
            return false;
        // Nothing evaluates the rule any more: its state goes and an alert it left open resolves.
        tx.exec_params("DELETE FROM mldeck.alert_rule_state WHERE deployment = $1 AND rule_id = $2",
                       pg::utf8(deployment), pg::utf8(ruleId));
        tx.exec_params("UPDATE mldeck.alerts SET resolved_at = greatest(now(), raised_at), resolved_by = $3 "
                       "WHERE deployment = $1 AND kind = 'kpi' AND dedup_key = $2 AND resolved_at IS NULL",
                       pg::utf8(deployment), pg::utf8(ruleId), pg::utf8(actor.name));
        audit(tx, actor, "alert_rule.delete", deployment, pg::jsonObject(r[0][0]), std::nullopt, reason);
        tx.commit();
        return true;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("deleting alert rule %1").arg(ruleId));
    }
}

Result<QMap<QString, AlertRuleStatus>> AlertRuleStore::states(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT rule_id, state, extract(epoch FROM pending_since)::bigint, extract(epoch FROM "
            "firing_since)::bigint, "
            "extract(epoch FROM resolved_at)::bigint, last_value, extract(epoch FROM last_evaluated)::bigint, "
            "extract(epoch FROM clearing_since)::bigint "
            "FROM mldeck.alert_rule_state WHERE deployment = $1",
            pg::utf8(deployment));
        QMap<QString, AlertRuleStatus> out;
        for (const auto &r : rows) {
            AlertRuleStatus s;
            s.state = alertRuleStateFromName(text(r[1])).value_or(AlertRuleState::Inactive);
            s.pendingSinceSecs = secs(r[2]);
            s.firingSinceSecs = secs(r[3]);
            s.resolvedAtSecs = secs(r[4]);
            if (!r[5].is_null())
                s.lastValue = r[5].as<double>();
            s.lastEvaluatedSecs = secs(r[6]);
            s.clearingSinceSecs = secs(r[7]);
            out.insert(text(r[0]), s);
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the alert rule state of %1").arg(deployment));
    }
}

Status AlertRuleStore::saveState(const QString &deployment, const QString &ruleId, const AlertRuleStatus &s,
                                 qint64 alertId)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params(
            "INSERT INTO mldeck.alert_rule_state (deployment, rule_id, state, pending_since, firing_since, "
            "resolved_at, "
            "last_value, last_evaluated, alert_id, clearing_since, updated_at) "
            "VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::timestamptz, $7, $8::timestamptz, nullif($9, "
            "0), $10::timestamptz, now()) "
            "ON CONFLICT (deployment, rule_id) DO UPDATE SET state = EXCLUDED.state, pending_since = "
            "EXCLUDED.pending_since, "
            "firing_since = EXCLUDED.firing_since, resolved_at = EXCLUDED.resolved_at, last_value = "
            "EXCLUDED.last_value, "
            "last_evaluated = EXCLUDED.last_evaluated, clearing_since = EXCLUDED.clearing_since, "
            "alert_id = coalesce(EXCLUDED.alert_id, mldeck.alert_rule_state.alert_id), updated_at = now()",
            pg::utf8(deployment), pg::utf8(ruleId), pg::utf8(alertRuleStateName(s.state)),
            tsParam(s.state == AlertRuleState::Pending || s.state == AlertRuleState::Firing ? s.pendingSinceSecs : 0),
            tsParam(s.state == AlertRuleState::Firing ? s.firingSinceSecs : 0), tsParam(s.resolvedAtSecs), s.lastValue,
            tsParam(s.lastEvaluatedSecs), alertId,
            tsParam(s.state == AlertRuleState::Firing ? s.clearingSinceSecs : 0));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("saving the state of alert rule %1").arg(ruleId));
    }
}

Result<std::optional<WebhookSettings>> AlertRuleStore::webhook(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params("SELECT url, enabled FROM mldeck.alert_webhooks WHERE deployment = $1",
                                                 pg::utf8(deployment));
        if (rows.empty())
            return std::optional<WebhookSettings>();
        return std::optional<WebhookSettings>(WebhookSettings{text(rows[0][0]), rows[0][1].as<bool>()});
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the webhook of %1").arg(deployment));
    }
}

Status AlertRuleStore::setWebhook(const QString &deployment, const WebhookSettings &settings, const AlertActor &actor)
{
    if (auto s = needActor(actor); !s)
        return s;
    auto before = webhook(deployment);
    if (!before)
        return before.error();
    if (settings.enabled || !settings.url.isEmpty())
        if (auto s = WebhookSettings::validateUrl(settings.url); !s)
            return s;
    if (settings.url.isEmpty() && !*before)
        return Error{StoreText::tr("Deployment %1 has no webhook to turn off.").arg(deployment)};
    const QString url = settings.url.isEmpty() ? (*before)->url : settings.url;
    auto describe = [](const WebhookSettings &w) {
        return QJsonObject{{QStringLiteral("url"), maskedUrl(w.url)}, {QStringLiteral("enabled"), w.enabled}};
    };
    try {
        pqxx::work tx(pg::raw(m_conn));
        if (tx.exec_params("SELECT 1 FROM mldeck.deployments WHERE name = $1", pg::utf8(deployment)).empty())
            return Error{StoreText::tr("There is no deployment \"%1\".").arg(deployment)};
        tx.exec_params("INSERT INTO mldeck.alert_webhooks (deployment, url, enabled) VALUES ($1, $2, $3) "
                       "ON CONFLICT (deployment) DO UPDATE SET url = EXCLUDED.url, enabled = EXCLUDED.enabled, "
                       "updated_at = now(), updated_by = session_user",
                       pg::utf8(deployment), pg::utf8(url), settings.enabled);
        audit(tx, actor, "alert_webhook.set", deployment,
              *before ? std::optional<QJsonObject>(describe(**before)) : std::nullopt,
              describe(WebhookSettings{url, settings.enabled}), {});
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("saving the webhook of %1").arg(deployment));
    }
}

Status AlertRuleStore::recordDelivery(const WebhookDelivery &d)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params(
            "INSERT INTO mldeck.webhook_deliveries (delivery_id, deployment, alert_id, rule_id, event, attempt, "
            "http_status, delivered, error, elapsed_ms) "
            "VALUES ($1::uuid, $2, nullif($3, 0), nullif($4, ''), $5, $6, nullif($7, 0), $8, nullif($9, ''), $10)",
            d.deliveryId.toString(QUuid::WithoutBraces).toStdString(), pg::utf8(d.deployment), d.alertId,
            pg::utf8(d.ruleId), pg::utf8(d.event), d.attempt, d.httpStatus, d.delivered, pg::utf8(d.error),
            d.elapsedMs);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("recording a webhook delivery"));
    }
}

Result<QList<WebhookDelivery>> AlertRuleStore::deliveries(const QString &deployment, int limit)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT delivery_id::text, deployment, coalesce(alert_id, 0), coalesce(rule_id, ''), event, attempt, "
            "coalesce(http_status, 0), delivered, coalesce(error, ''), elapsed_ms, (extract(epoch FROM sent_at) * "
            "1000)::bigint "
            "FROM mldeck.webhook_deliveries WHERE deployment = $1 ORDER BY id DESC LIMIT $2",
            pg::utf8(deployment), std::max(1, limit));
        QList<WebhookDelivery> out;
        for (const auto &r : rows) {
            WebhookDelivery d;
            d.deliveryId = QUuid::fromString(text(r[0]));
            d.deployment = text(r[1]);
            d.alertId = r[2].as<qint64>();
            d.ruleId = text(r[3]);
            d.event = text(r[4]);
            d.attempt = r[5].as<int>();
            d.httpStatus = r[6].as<int>();
            d.delivered = r[7].as<bool>();
            d.error = text(r[8]);
            d.elapsedMs = r[9].as<int>();
            d.sentAt = QDateTime::fromMSecsSinceEpoch(r[10].as<qint64>(), Qt::UTC);
            out << d;
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading webhook deliveries of %1").arg(deployment));
    }
}

} // namespace mldeck
