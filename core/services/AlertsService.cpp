#include "core/services/AlertsService.h"

#include "core/rollout/AuditRecord.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/RolePermissions.h"

namespace mldeck {

AlertsService::AlertsService(QObject *parent) : PgService(QStringLiteral("alerts"), parent), m_actor(currentUser()) {}

AlertsService::~AlertsService() = default;

AlertActor AlertsService::currentUser()
{
    const Actor actor = Actor::current(); // the same OS user and host the flag audit records
    return AlertActor{actor.osUser, actor.host};
}

void AlertsService::setActor(const AlertActor &actor)
{
    m_actor = actor;
}

void AlertsService::refresh(const QString &deployment, bool includeResolved)
{
    post([deployment, includeResolved](PgConnection &c) { return AlertStore(c).list(deployment, includeResolved); },
         [this](Result<QList<Alert>> r) { Q_EMIT alertsListed(r); });
}

void AlertsService::acknowledge(qint64 alertId, const QString &reason)
{
    post(
        [alertId, reason, actor = m_actor](PgConnection &c) -> Result<QString> {
            if (Status s = AlertStore(c).acknowledge(alertId, actor, reason); !s)
                return s.error();
            return tr("Alert %1 acknowledged.").arg(alertId);
        },
        [this](Result<QString> r) { Q_EMIT actionFinished(r); });
}

void AlertsService::silence(qint64 alertId, const QDateTime &until, const QString &reason)
{
    post(
        [alertId, until, reason, actor = m_actor](PgConnection &c) -> Result<QString> {
            if (Status s = AlertStore(c).silence(alertId, until, actor, reason); !s)
                return s.error();
            return tr("Alert %1 silenced until %2.")
                .arg(alertId)
                .arg(until.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")));
        },
        [this](Result<QString> r) { Q_EMIT actionFinished(r); });
}

void AlertsService::listRules(const QString &deployment)
{
    post(
        [deployment](PgConnection &c) -> Result<AlertRules> {
            AlertRuleStore store(c);
            auto rules = store.ruleViews(deployment);
            if (!rules)
                return rules.error();
            const auto classifier = store.classifier(deployment);
            if (!classifier)
                return classifier.error();
            const auto permissions = RolePermissions::read(c);
            if (!permissions)
                return permissions.error();
            return AlertRules{deployment, std::move(rules).value(), permissions->refusal(SettingsArea::AlertRules),
                              *classifier};
        },
        [this](Result<AlertRules> r) { Q_EMIT rulesListed(r); });
}

void AlertsService::saveRule(const QString &deployment, const AlertRule &rule, const QString &reason)
{
    post(
        [deployment, rule, reason, actor = m_actor](PgConnection &c) -> Result<QString> {
            if (Status s = AlertRuleStore(c).saveRule(deployment, rule, actor, reason); !s)
                return s.error();
            return tr("Rule %1 of %2 saved: %3.").arg(rule.id, deployment, rule.describe());
        },
        [this](Result<QString> r) { Q_EMIT ruleChanged(r); });
}

void AlertsService::resetRule(const QString &deployment, const QString &ruleId)
{
    post(
        [deployment, ruleId, actor = m_actor](PgConnection &c) -> Result<QString> {
            const auto reset = AlertRuleStore(c).resetRule(deployment, ruleId, actor);
            if (!reset)
                return reset.error();
            return *reset ? tr("Rule %1 of %2 is back to its default.").arg(ruleId, deployment)
                          : tr("Rule %1 of %2 had no changes.").arg(ruleId, deployment);
        },
        [this](Result<QString> r) { Q_EMIT ruleChanged(r); });
}

void AlertsService::deleteRule(const QString &deployment, const QString &ruleId)
{
    post(
        [deployment, ruleId, actor = m_actor](PgConnection &c) -> Result<QString> {
            const auto deleted = AlertRuleStore(c).deleteRule(deployment, ruleId, actor);
            if (!deleted)
                return deleted.error();
            if (!*deleted)
                return Error{tr("Deployment %1 has no rule \"%2\".").arg(deployment, ruleId)};
            return tr("Rule %1 of %2 deleted.").arg(ruleId, deployment);
        },
        [this](Result<QString> r) { Q_EMIT ruleChanged(r); });
}

} // namespace mldeck
