#pragma once

#include "core/domain/ClassSpec.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/ImageDeployment.h"
#include "core/domain/Result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <optional>

namespace mldeck {

class PgConnection;
struct Actor;

// A deployment as mldeck.deployments holds it (step 10 adds task, target, archive columns).
struct DeploymentInfo
{
    QString name;
    QString task = QStringLiteral("regression"); // "regression" | "classification"
    QString description;
    QString targetName; // what the model predicts, e.g. "delay"
    QString targetUnit; // its unit, e.g. "min"
    QDateTime createdAt;
    QString createdBy;
    std::optional<QDateTime> archivedAt; // set: hidden from selectors and the guard, history kept
    QString archivedBy;
    int featureSchemaId = 0; // the newest feature schema; 0: none stored yet
    FeatureSchema schema;    // that schema (empty when none)
    ClassSpec classSpec;     // classification: classes and decision threshold (no classes: not known yet)
    // An image deployment's configuration (settings -> 'images'); unset: a tabular deployment. imagesError:
    // the stored object no longer reads (edited by hand); the deployment is still an image deployment.
    std::optional<ImageDeployment> images;
    QString imagesError;

    bool archived() const { return archivedAt.has_value(); }
    bool isImage() const { return images.has_value() || !imagesError.isEmpty(); }
    QJsonObject toJson() const; // the shape of `mldeckctl deployments show --json`
};

// What `deployments create` and the New deployment dialog ask for.
struct NewDeployment
{
    QString name; // isValidDeploymentName (it is used in Redis keys)
    QString task = QStringLiteral("regression");
    QString description;
    QString targetName;
    QString targetUnit;
    FeatureSchema schema; // may be empty: the first model registered or the first logged row fills it later
    ClassSpec classSpec;  // classification only: required (given, or from the model file's mldeck.json)
    // Set: an image deployment (classification, no feature schema); checked with ImageDeployment::check.
    std::optional<ImageDeployment> images;
    // The drift reference stored at settings.drift.reference (drift::ReferenceSpec text). Empty: a new
    // deployment's default, drift::defaultReferenceSpec(driftReferenceRows), its first N logged predictions.
    QString driftReference;
    int driftReferenceRows = 5000;
};

// `deployments set`: only the fields given change.
struct DeploymentEdit
{
    std::optional<QString> description;
    std::optional<QString> targetName;
    std::optional<QString> targetUnit;
    std::optional<double> decisionThreshold; // binary classification deployments only
    std::optional<ImageDeployment> images;   // image deployments (setImages' rules); audited "deployment.images"

    bool isEmpty() const { return !description && !targetName && !targetUnit && !decisionThreshold && !images; }
};

// Deployments and their versioned feature schemas in mldeck.deployments / mldeck.feature_schemas.
// create/set/archive run through SECURITY DEFINER functions of step 10 that write the audit row
// (deployment.create / deployment.set / deployment.archive) in the same transaction.
class DeploymentStore final
{
public:
    explicit DeploymentStore(PgConnection &conn);

    // Validates the spec (nothing is written when it is invalid), then in one transaction: the row,
    // its feature schema (id 1, when given), the default KPI targets of its task, the drift reference
    // and the audit row. An existing name (active or archived) is an error and changes nothing.
    // The Redis flags are not written here: see DeploymentOnboarding (core/services).
    Result<DeploymentInfo> create(const NewDeployment &spec, const Actor &actor);
    Result<QList<DeploymentInfo>> list(bool includeArchived = false);
    Result<DeploymentInfo> show(const QString &name); // unknown: the requireActive text
    // One transaction: the fields given (audited "deployment.set") and the image configuration (as setImages).
    Status set(const QString &name, const DeploymentEdit &edit, const Actor &actor);
    // The configuration of an image deployment; a tabular one (or an unreadable stored object): an Error
    // naming the deployment.
    Result<ImageDeployment> images(const QString &name);
    // Replaces it after ImageDeployment::check on this host; audited "deployment.images" (before, after) in
    // the same transaction. Only an image deployment, or a classification one with classes and no feature
    // schema (it becomes one); anything else is refused and nothing changes.
    Status setImages(const QString &name, const ImageDeployment &images, const Actor &actor,
                     const QString &reason = {});
    // Hides the deployment from names(), the selectors and the guard; keeps every row of its history.
    Status archive(const QString &name, const QString &reason, const Actor &actor);

    // THE one-line error for a deployment that does not exist or is archived; every verb, page and
    // service that takes a deployment name uses it. Connection failures keep their own text.
    Status requireActive(const QString &name);
    static QString unknownText(const QString &name);  // Unknown deployment "x". (with the hint to create it)
    static QString archivedText(const QString &name); // Deployment "x" is archived.

    // Creates the deployment row and its feature schema if missing; returns the feature-schema
    // id to log with (an identical schema is reused, a different one gets the next id).
    // Used by the log writers (simulate, demo); an archived deployment is refused.
    Result<int> ensure(const QString &deployment, const QString &description, const FeatureSchema &schema);
    // Active deployments, sorted: what selectors and the guard offer.
    Result<QStringList> names();
    // The feature schema stored under `id`, parsed back.
    Result<FeatureSchema> featureSchema(const QString &deployment, int id);

    // What create() refuses before writing anything (name, task, text fields, schema, drift reference).
    static Status validate(const NewDeployment &spec);
    static bool isValidName(const QString &deployment);
    static bool isValidTask(const QString &task);

private:
    Status checkImages(const QString &name, const ImageDeployment &images);
    Status write(const QString &name, const DeploymentEdit &edit, const Actor &actor, const QString &reason);

    PgConnection &m_conn;
};

} // namespace mldeck
