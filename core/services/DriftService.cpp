#include "core/services/DriftService.h"

#include "core/services/KeptPgConnection.h"
#include "core/store/pg/DeploymentStore.h"

#include <QCoreApplication>

namespace mldeck {

struct DriftService::Worker
{
    PgEndpoint endpoint;
    bool endpointSet = false;
    KeptPgConnection conn{QStringLiteral("mldeck-drift")};

    Result<PgConnection *> connection()
    {
        if (!endpointSet)
            return Error{QCoreApplication::translate("mldeck::DriftService", "No PostgreSQL connection is configured.")};
        return conn.get(endpoint);
    }
};

DriftService::DriftService(QObject *parent)
    : QObject(parent), m_worker(std::make_shared<Worker>()), m_jobs(QStringLiteral("mldeck-drift"))
{
}

DriftService::~DriftService() = default;

void DriftService::setEndpoint(const PgEndpoint &pg)
{
    m_jobs.post([w = m_worker, pg] {
        w->endpoint = pg;
        w->endpointSet = true;
        w->conn.reset();
    });
}

void DriftService::listDeployments()
{
    m_jobs.post(
        this,
        [w = m_worker]() -> Result<QStringList> {
            auto c = w->connection();
            if (!c)
                return c.error();
            return DeploymentStore(**c).names();
        },
        [this](Result<QStringList> r) { Q_EMIT deploymentsListed(r ? r.value() : QStringList{}, r.errorMessage()); });
}

void DriftService::refresh(const QString &deployment)
{
    m_jobs.post(
        this,
        [w = m_worker, deployment]() -> Result<DriftView> {
            auto c = w->connection();
            if (!c)
                return c.error();
            DriftCheckRequest request;
            request.deployment = deployment;
            auto report = runDriftCheck(**c, request);
            if (!report)
                return report.error();
            auto history = DriftData(**c).scoreHistory(deployment);
            if (!history)
                return history.error();
            return DriftView{deployment, std::move(report).value(), std::move(history).value()};
        },
        [this, deployment](Result<DriftView> r) {
            DriftView empty;
            empty.deployment = deployment;
            Q_EMIT refreshed(r ? r.value() : empty, r.errorMessage());
        });
}

} // namespace mldeck
