#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/services/JobThread.h"
#include "core/services/ReadSource.h"

#include <QMetaType>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>
#include <type_traits>

namespace mldeck {

class KeptPgConnection;
class KeptReadConnection;
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

    // A read: as post(), but on the replica's hot standby when one is configured and answers (KeptReadConnection),
    // else on the primary; a standby lost during the read makes the read run again on the primary.
    // done(Result<T>, ReadSource) says where it was read and how old it may be.
    template <typename Job, typename Done>
    void postRead(QObject *context, const std::optional<PgEndpoint> &pg, const ReadReplica &replica, Job job, Done done)
    {
        using R = std::invoke_result_t<Job &, PgConnection &>;
        struct Routed
        {
            R result;
            ReadSource source;
        };
        m_jobs.post(
            context,
            [conn = m_conn, read = m_read, pg, replica, job = std::move(job)]() mutable -> Routed {
                ReadSource source;
                if (!pg || pg->user.isEmpty())
                    return Routed{R(notConfigured()), source};
                auto c = routeRead(*conn, *read, *pg, replica, source);
                if (!c)
                    return Routed{R(c.error()), source};
                R r = job(**c);
                if (!r) {
                    if (auto again = retryOnPrimary(*conn, *read, *pg, source, r.errorMessage())) {
                        if (!*again)
                            return Routed{R(again->error()), source};
                        r = job(***again);
                    }
                }
                return Routed{std::move(r), source};
            },
            [done = std::move(done)](Routed routed) mutable { done(std::move(routed.result), routed.source); });
    }

    // The one place that says a service has no PostgreSQL to work on.
    static Error notConfigured();

private:
    static Result<PgConnection *> connect(KeptPgConnection &conn, const std::optional<PgEndpoint> &pg);
    static Result<PgConnection *> routeRead(KeptPgConnection &conn, KeptReadConnection &read, const PgEndpoint &pg,
                                            const ReadReplica &replica, ReadSource &source);
    static std::optional<Result<PgConnection *>> retryOnPrimary(KeptPgConnection &conn, KeptReadConnection &read,
                                                                const PgEndpoint &pg, ReadSource &source,
                                                                const QString &error);

    JobThread m_jobs;
    std::shared_ptr<KeptPgConnection> m_conn;   // used only inside jobs, on the worker thread
    std::shared_ptr<KeptReadConnection> m_read; // likewise
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

    // Where this service's reads go (postRead): the hot standby of `replica`, else the primary. Writes and the
    // reads that decide a write always go to the primary.
    void setReadReplica(const ReadReplica &replica);
    const ReadReplica &readReplica() const { return m_replica; }
    // Where the last read was served from (readSourceChanged after every read, before its own signal).
    const ReadSource &readSource() const { return m_readSource; }

    void listDeployments(); // -> deploymentsListed: the names in mldeck.deployments

Q_SIGNALS:
    void deploymentsListed(const mldeck::Result<QStringList> &deployments);
    void readSourceChanged(const mldeck::ReadSource &source);

protected:
    PgService(const QString &workerName, QObject *parent);

    // job(PgConnection &) -> Result<T> on the worker; done(Result<T>) back on this object's thread.
    template <typename Job, typename Done> void post(Job job, Done done)
    {
        m_worker.post(this, m_pg, std::move(job), std::move(done));
    }
    // A read for the figures a page shows (PgWorker::postRead): done(Result<T>) after readSourceChanged.
    template <typename Job, typename Done> void postRead(Job job, Done done)
    {
        m_worker.postRead(this, m_pg, m_replica, std::move(job),
                          [this, done = std::move(done)](auto result, const ReadSource &source) mutable {
                              noteReadSource(source);
                              done(std::move(result));
                          });
    }

private:
    void noteReadSource(const ReadSource &source);

    std::optional<PgEndpoint> m_pg;
    ReadReplica m_replica;
    ReadSource m_readSource;
    PgWorker m_worker;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::Result<QStringList>)
