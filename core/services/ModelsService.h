#pragma once

#include "core/domain/ModelVersion.h"
#include "core/services/PgService.h"
#include "core/store/pg/ModelCheckStore.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

// The versions of one deployment.
struct ModelList
{
    QString deployment;
    QList<ModelVersion> models;
    QHash<qint64, QJsonObject> checks;  // by model id: its newest model checks (checks::CheckReport JSON)
    std::optional<GoldenRecord> golden; // the golden dataset the checks run on (without its content)
};

// What a registry action (register, promote, restore previous, archive, publish) changed. A failed
// action (nothing changed) is the Result's error.
struct ModelAction
{
    QString message;                   // what changed, for the user
    QString publishError;              // the change is committed but the Redis publish after it failed
    std::optional<ModelVersion> model; // the version acted on
    QString changeId;                  // audit change id of an alias move
};

// The registry for the GUI, on its PgService worker. Every request finishes exactly once with its
// signal; answers come in the order of the requests.
class ModelsService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelsService)

public:
    explicit ModelsService(QObject *parent = nullptr);
    ~ModelsService() override;

    // Used by the next requests (a request already posted keeps the endpoints it was made with).
    void setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis);
    void setStoreDirectory(const QString &directory); // default: ModelStore::defaultDirectory()

    void listModels(const QString &deployment); // -> modelsListed
    // Each -> actionFinished.
    void registerFile(const QString &deployment, const QString &file, const QString &name = {},
                      const QString &version = {});
    void promote(const QString &deployment, const QString &version, const QString &alias, const QString &reason = {});
    void restorePrevious(const QString &deployment, const QString &reason = {});
    void archive(const QString &deployment, const QString &version, const QString &reason = {});
    void publish(const QString &deployment);
    // Registers (or replaces) the deployment's golden dataset (models::setGolden).
    void setGolden(const QString &deployment, const QString &file, const QString &targetColumn,
                   const QString &segmentColumn);
    // Removes it (models::removeGolden): the deployment's promotions are then unchecked.
    void removeGolden(const QString &deployment);

Q_SIGNALS:
    void modelsListed(const mldeck::Result<mldeck::ModelList> &models);
    void actionFinished(const mldeck::Result<mldeck::ModelAction> &action);

private:
    template <typename Job> void postAction(Job job);

    std::optional<RedisEndpoint> m_redis;
    QString m_storeDirectory;
};

} // namespace mldeck
