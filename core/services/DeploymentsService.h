#pragma once

#include "core/services/JobThread.h"
#include "core/services/PgService.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/RolePermissions.h"

#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

// The deployments, and what the connected role may do with them.
struct DeploymentList
{
    bool includeArchived = false;
    QList<DeploymentInfo> deployments;
    RolePermissions permissions;
};

// A feature schema read from a file for a new deployment, with what the file says about its task.
struct SchemaDraft
{
    QString source; // the file read
    FeatureSchema schema;
    QString task;            // model file only: "regression" | "classification"
    QString targetName;      // model file only
    QString targetUnit;      // model file only
    ClassSpec classSpec;     // model file of a classifier only: its classes and decision threshold
    bool imageInput = false; // model file only: an image model (its schema is empty)
};

// Deployments for the GUI (the Deployments page and the New deployment dialog), on its PgService
// worker: list, show, create (with its Redis flags), edit, archive. Reading a schema from a model
// file or a CSV header runs on a second worker (a model is loaded by a model worker process, which
// takes a moment and needs no database). Every request finishes with exactly one signal.
class DeploymentsService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeploymentsService)

public:
    explicit DeploymentsService(QObject *parent = nullptr);
    ~DeploymentsService() override;

    // Used by the next requests (a request already posted keeps the endpoints it was made with).
    void setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis);

    void list(bool includeArchived);                                   // -> listed
    void show(const QString &name);                                    // -> shown
    void create(const NewDeployment &spec);                            // -> created
    void set(const QString &name, const DeploymentEdit &edit);         // -> saved
    void archive(const QString &name, const QString &reason);          // -> archived
    void readModelSchema(const QString &modelFile);                    // -> schemaRead
    void readCsvSchema(const QString &csvFile, int rowsToRead = 1000); // -> schemaRead

    // The columns of a CSV file as features: a column whose values in the first rowsToRead rows all
    // read as numbers (or are empty) is numeric, any other is categorical with the values met as its
    // categories, sorted. Unnamed columns (pandas' index) are left out.
    static Result<FeatureSchema> schemaFromCsv(const QString &csvFile, int rowsToRead);

Q_SIGNALS:
    void listed(const mldeck::Result<mldeck::DeploymentList> &deployments);
    void shown(const mldeck::Result<mldeck::DeploymentInfo> &deployment);
    void created(const mldeck::Result<mldeck::DeploymentInfo> &deployment);
    void saved(const mldeck::Result<mldeck::DeploymentInfo> &deployment); // as stored after the edit
    void archived(const mldeck::Result<QString> &name);                   // the deployment archived
    void schemaRead(const mldeck::Result<mldeck::SchemaDraft> &draft);

private:
    std::optional<RedisEndpoint> m_redis;
    JobThread m_files{QStringLiteral("mldeck-deployment-files")};
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::Result<mldeck::DeploymentList>)
Q_DECLARE_METATYPE(mldeck::Result<mldeck::DeploymentInfo>)
Q_DECLARE_METATYPE(mldeck::Result<mldeck::SchemaDraft>)
