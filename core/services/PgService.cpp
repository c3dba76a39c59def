#include "core/services/PgService.h"

#include "core/Text.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/KeptReadConnection.h"
#include "core/store/pg/DeploymentStore.h"

namespace mldeck {

PgWorker::PgWorker(const QString &name)
    : m_jobs(QStringLiteral("mldeck-") + name),
      m_conn(std::make_shared<KeptPgConnection>(QStringLiteral("mldeck-") + name)),
      m_read(std::make_shared<KeptReadConnection>(QStringLiteral("mldeck-") + name + QStringLiteral("-read")))
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

Result<PgConnection *> PgWorker::routeRead(KeptPgConnection &conn, KeptReadConnection &read, const PgEndpoint &pg,
                                           const ReadReplica &replica, ReadSource &source)
{
    return read.get(conn, pg, replica, source);
}

std::optional<Result<PgConnection *>> PgWorker::retryOnPrimary(KeptPgConnection &conn, KeptReadConnection &read,
                                                               const PgEndpoint &pg, ReadSource &source,
                                                               const QString &error)
{
    return read.retryOnPrimary(conn, pg, source, error);
}

PgService::PgService(const QString &workerName, QObject *parent) : QObject(parent), m_worker(workerName)
{
    static const bool registered = [] {
        qRegisterMetaType<mldeck::Result<QStringList>>();
        qRegisterMetaType<mldeck::ReadSource>();
        return true;
    }();
    Q_UNUSED(registered);
}

PgService::~PgService() = default;

void PgService::setEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_pg = pg;
}

void PgService::setReadReplica(const ReadReplica &replica)
{
    m_replica = replica;
}

void PgService::noteReadSource(const ReadSource &source)
{
    m_readSource = source;
    Q_EMIT readSourceChanged(source);
}

void PgService::listDeployments()
{
    // A page's selector: read where the page reads (the standby when one is configured).
    postRead([](PgConnection &c) { return DeploymentStore(c).names(); },
             [this](Result<QStringList> r) { Q_EMIT deploymentsListed(r); });
}

} // namespace mldeck
