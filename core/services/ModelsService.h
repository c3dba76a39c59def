#pragma once

#include "core/config/Endpoints.h"
#include "core/services/JobThread.h"
#include "core/store/pg/ModelRegistry.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace mldeck {

// What a registry action (register, promote, restore previous, archive, publish) ended with.
struct ModelActionResult
{
    bool ok = false;
    QString error;        // when !ok: what went wrong, nothing changed
    QString message;      // when ok: what changed, for the user
    QString publishError; // ok but the Redis publish after the commit failed
    std::optional<ModelVersion> model; // the version acted on
    QString changeId;                  // audit change id of an alias move
};

// The registry for the GUI: every request runs on one worker thread (JobThread) and finishes exactly
// once with its signal, carrying the id the call returned.
class ModelsService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelsService)

public:
    explicit ModelsService(QObject *parent = nullptr);
    ~ModelsService() override;

    // Used by the next requests (a request already posted keeps the endpoints it was made with).
    void setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis);
    void setStoreDirectory(const QString &directory); // default: ModelStore::defaultDirectory()

    quint64 listDeployments();
    quint64 listModels(const QString &deployment);
    quint64 registerFile(const QString &deployment, const QString &file, const QString &name = {},
                         const QString &version = {});
    quint64 promote(const QString &deployment, const QString &version, const QString &alias, const QString &reason = {});
    quint64 restorePrevious(const QString &deployment, const QString &reason = {});
    quint64 archive(const QString &deployment, const QString &version, const QString &reason = {});
    quint64 publish(const QString &deployment);

Q_SIGNALS:
    void deploymentsListed(quint64 requestId, const QStringList &deployments, const QString &error);
    void modelsListed(quint64 requestId, const QString &deployment, const QList<mldeck::ModelVersion> &models,
                      const QString &error);
    void actionFinished(quint64 requestId, const mldeck::ModelActionResult &result);

private:
    struct Worker;
    template <typename Job>
    quint64 postAction(Job job);

    JobThread m_jobs;
    std::shared_ptr<Worker> m_worker; // touched only inside jobs (on the worker thread)
    std::optional<PgEndpoint> m_pg;
    std::optional<RedisEndpoint> m_redis;
    QString m_storeDirectory;
    quint64 m_nextId = 1;
};

} // namespace mldeck
