#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/ModelVersion.h"
#include "core/domain/Result.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/rollout/AuditRecord.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;
class RedisConnection;
struct ModelInfo;

// The registry operations the CLI (mldeckctl models) and the GUI (ModelsService) both call.
// Blocking (PostgreSQL, Redis, LibTorch): run them on a worker thread.
namespace models {

struct RegisterRequest
{
    QString file;
    QString deployment;
    QString name;          // default: the metadata's model name, else the file's base name
    QString version;       // default: the deployment's next whole number
    QString parentVersion; // optional
    QDateTime trainFrom;   // optional training window
    QDateTime trainTo;
    QString storeDirectory; // default: ModelStore::defaultDirectory()
};

struct RegisterOutcome
{
    ModelVersion model;
    bool alreadyRegistered = false; // the same file (SHA-256) was registered before: nothing changed
    bool hasMetadata = true;        // false: no mldeck.json, the features could not be checked
};

// Validates the file (exists, TorchScript, loads, metadata consistent with the deployment's feature
// schema), copies it into the model store under its SHA-256 and inserts the registry row with an audit
// row. Registering the same file again for the same deployment is idempotent: it returns the existing
// row (alreadyRegistered) unless another --version was asked for, which is an error. Any failure
// changes nothing: no copy is left behind, no row is inserted.
Result<RegisterOutcome> registerModel(PgConnection &pg, const RegisterRequest &request, const Actor &actor);
// The registry columns taken from a model's metadata (empty objects when it has none).
QJsonObject metricsOf(const ModelInfo &info);
QJsonObject scalerOf(const ModelInfo &info);

struct AliasOutcome
{
    AliasChange change;
    // The alias move is committed whatever happens here; a failed publish is reported, and
    // `mldeckctl models publish --deployment D` (or the GUI's retry) publishes again.
    bool publishAttempted = false;
    Status published;
    // A champion promotion: the model checks that let it through (configured = false: none are set up).
    std::optional<checks::CheckReport> checks;
};

// One PostgreSQL transaction (alias + audit row), then, for the champion, the Redis publish.
// The one promotion gate: before a version becomes champion (Models page, CLI, retrain wizard, the guard's
// automatic promotion) the deployment's model checks run (ModelCheckOperations) and a failing candidate is
// refused with the failed check named; nothing changes then. A challenger is not gated (the backend serves
// the champion only), nor is restorePrevious (the way back must never be blocked).
Result<AliasOutcome> promote(PgConnection &pg, const std::optional<RedisEndpoint> &redis, const QString &deployment,
                             const QString &version, const QString &alias, const QString &reason, const Actor &actor);
Result<AliasOutcome> restorePrevious(PgConnection &pg, const std::optional<RedisEndpoint> &redis,
                                     const QString &deployment, const QString &reason, const Actor &actor);

// Writes the current champion of the deployment (read from PostgreSQL) to Redis and announces it.
Result<std::optional<ModelVersion>> publishChampion(PgConnection &pg, const RedisEndpoint &redis,
                                                    const QString &deployment);
// The same with a known champion (nullopt: the deployment has none, the key is deleted).
Status publishChampion(RedisConnection &redis, const QString &deployment, const std::optional<ModelVersion> &champion);

QByteArray championKey(const QString &deployment); // "mldeck:champion:<deployment>"
QByteArray modelsChannel();                        // "mldeck:models:changed"

} // namespace models
} // namespace mldeck
