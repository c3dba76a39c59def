#pragma once

#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"

#include <QStringList>

namespace mldeck {

class PgConnection;

// Deployments and their versioned feature schemas in mldeck.deployments / mldeck.feature_schemas.
class DeploymentStore final
{
public:
    explicit DeploymentStore(PgConnection &conn);

    // Creates the deployment row and its feature schema if missing; returns the feature-schema
    // id to log with (an identical schema is reused, a different one gets the next id).
    Result<int> ensure(const QString &deployment, const QString &description, const FeatureSchema &schema);
    Result<QStringList> names();
    // The feature schema stored under `id`, parsed back.
    Result<FeatureSchema> featureSchema(const QString &deployment, int id);

    static bool isValidName(const QString &deployment);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
