#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/services/JobThread.h"

#include <QMetaType>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>
#include <type_traits>

namespace mldeck {

class KeptPgConnection;
class PgConnection;

// One worker thread and the PostgreSQL connection it keeps between its jobs (KeptPgConnection: reused
// while it answers a ping, reopened when the endpoint changed or the server dropped it).
class PgWorker final
{
    Q_DISABLE_COPY_MOVE(PgWorker)

public:
    // name: the thread's and the connection's application name ("mldeck-<name>").
    explicit PgWorker(const QString &name);

    // Runs job(PgConnection &) -> Result<T> on the worker with a connection to pg, then done(Result<T>)
    // on context's thread. Without an endpoint (or with one that names no user: no profile yet) the
    // job does not run and done gets notConfigured().
    template <typename Job, typename Done>
    void post(QObject *context, const std::optional<PgEndpoint> &pg, Job job, Done done)
    {
        using R = std::invoke_result_t<Job &, PgConnection &>;
        m_jobs.post(
            context,
            [conn = m_conn, pg, job = std::move(job)]() mutable -> R {
                auto c = connect(*conn, pg);
                if (!c)
                    return c.error();
                return job(**c);
            },
            std::move(done));
    }

    // The one place that says a service has no PostgreSQL to work on.
    static Error notConfigured();

private:
    static Result<PgConnection *> connect(KeptPgConnection &conn, const std::optional<PgEndpoint> &pg);

    JobThread m_jobs;
    std::shared_ptr<KeptPgConnection> m_conn; // used only inside jobs, on the worker thread
};

// The base of a GUI service that works on PostgreSQL: one PgWorker, the endpoint its next requests
// use, and the deployment list every page shows. Every request finishes with exactly one signal,
// whose payload is a Result<T>.
class PgService : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PgService)

public:
    ~PgService() override;

    // Used by the requests made after this call (a request already made keeps its endpoint).
    void setEndpoint(const std::optional<PgEndpoint> &pg);
    const std::optional<PgEndpoint> &endpoint() const { return m_pg; }

    void listDeployments(); // -> deploymentsListed: the names in mldeck.deployments

Q_SIGNALS:
    void deploymentsListed(const mldeck::Result<QStringList> &deployments);

protected:
    PgService(const QString &workerName, QObject *parent);

    // job(PgConnection &) -> Result<T> on the worker; done(Result<T>) back on this object's thread.
    template <typename Job, typename Done> void post(Job job, Done done)
    {
        m_worker.post(this, m_pg, std::move(job), std::move(done));
    }

private:
    std::optional<PgEndpoint> m_pg;
    PgWorker m_worker;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::Result<QStringList>)
