#include "core/services/AlertsService.h"

#include "core/rollout/AuditRecord.h"
#include "core/services/KeptPgConnection.h"

#include <QCoreApplication>

namespace mldeck {

// Worker-thread state: touched only inside posted jobs.
struct AlertsService::Worker
{
    PgEndpoint endpoint;
    bool endpointSet = false;
    KeptPgConnection conn{QStringLiteral("mldeck-alerts")};

    Result<PgConnection *> connection()
    {
        if (!endpointSet)
            return Error{QCoreApplication::translate("mldeck::AlertsService", "No PostgreSQL connection is configured.")};
        return conn.get(endpoint);
    }
};

AlertsService::AlertsService(QObject *parent)
    : QObject(parent), m_worker(std::make_shared<Worker>()), m_jobs(QStringLiteral("mldeck-alerts")), m_actor(currentUser())
{
}

AlertsService::~AlertsService() = default;

AlertActor AlertsService::currentUser()
{
    const Actor actor = Actor::current(); // the same OS user and host the flag audit records
    return AlertActor{actor.osUser, actor.host};
}

void AlertsService::setEndpoint(const PgEndpoint &pg)
{
    m_jobs.post([w = m_worker, pg] {
        w->endpoint = pg;
        w->endpointSet = true;
        w->conn.reset();
    });
}

void AlertsService::setActor(const AlertActor &actor) { m_actor = actor; }

void AlertsService::refresh(const QString &deployment, bool includeResolved)
{
    m_jobs.post(
        this,
        [w = m_worker, deployment, includeResolved]() -> Result<QList<Alert>> {
            auto c = w->connection();
            if (!c)
                return c.error();
            return AlertStore(**c).list(deployment, includeResolved);
        },
        [this](Result<QList<Alert>> r) {
            Q_EMIT alertsListed(r ? r.value() : QList<Alert>{}, r.errorMessage());
        });
}

void AlertsService::acknowledge(qint64 alertId, const QString &reason)
{
    m_jobs.post(
        this,
        [w = m_worker, alertId, reason, actor = m_actor]() -> Status {
            auto c = w->connection();
            if (!c)
                return c.error();
            return AlertStore(**c).acknowledge(alertId, actor, reason);
        },
        [this, alertId](Status s) {
            Q_EMIT actionFinished(alertId, s.ok(), s.ok() ? tr("Alert %1 acknowledged.").arg(alertId) : s.errorMessage());
        });
}

void AlertsService::silence(qint64 alertId, const QDateTime &until, const QString &reason)
{
    m_jobs.post(
        this,
        [w = m_worker, alertId, until, reason, actor = m_actor]() -> Status {
            auto c = w->connection();
            if (!c)
                return c.error();
            return AlertStore(**c).silence(alertId, until, actor, reason);
        },
        [this, alertId, until](Status s) {
            Q_EMIT actionFinished(alertId, s.ok(),
                                  s.ok() ? tr("Alert %1 silenced until %2.")
                                               .arg(alertId)
                                               .arg(until.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")))
                                         : s.errorMessage());
        });
}

} // namespace mldeck
