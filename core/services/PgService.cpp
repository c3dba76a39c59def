#include "core/services/PgService.h"

#include "core/Text.h"
#include "core/services/KeptPgConnection.h"
#include "core/store/pg/DeploymentStore.h"

namespace mldeck {

PgWorker::PgWorker(const QString &name)
    : m_jobs(QStringLiteral("mldeck-") + name),
      m_conn(std::make_shared<KeptPgConnection>(QStringLiteral("mldeck-") + name))
{
}

Error PgWorker::notConfigured()
{
    return Error{ServiceText::tr("No PostgreSQL connection is configured.")};
}

Result<PgConnection *> PgWorker::connect(KeptPgConnection &conn, const std::optional<PgEndpoint> &pg)
{
    if (!pg || pg->user.isEmpty())
        return notConfigured();
    return conn.get(*pg);
}

PgService::PgService(const QString &workerName, QObject *parent) : QObject(parent), m_worker(workerName)
{
    static const bool registered = [] {
        qRegisterMetaType<mldeck::Result<QStringList>>();
        return true;
    }();
    Q_UNUSED(registered);
}

PgService::~PgService() = default;

void PgService::setEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_pg = pg;
}

void PgService::listDeployments()
{
    post([](PgConnection &c) { return DeploymentStore(c).names(); },
         [this](Result<QStringList> r) { Q_EMIT deploymentsListed(r); });
}

} // namespace mldeck
