#include "core/store/pg/DeploymentStore.h"
#include "core/Text.h"
#include "core/domain/Deployment.h"
#include "core/domain/Kpi.h"
#include "core/rollout/AuditRecord.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace mldeck {

namespace {

QJsonArray toJson(const FeatureSchema &schema)
{
    QJsonArray features;
    for (const FeatureSpec &f : schema.features) {
        QJsonObject o{{QStringLiteral("name"), f.name},
                      {QStringLiteral("kind"), f.kind == FeatureSpec::Kind::Numeric ? QStringLiteral("numeric")
                                                                                    : QStringLiteral("categorical")}};
        if (f.kind == FeatureSpec::Kind::Categorical)
            o.insert(QStringLiteral("categories"), QJsonArray::fromStringList(f.categories));
        features.append(o);
    }
    return features;
}

QString validateSchema(const FeatureSchema &schema)
{
    QStringList seen;
    for (const FeatureSpec &f : schema.features) {
        if (f.name.trimmed().isEmpty())
            return StoreText::tr("a feature has no name");
        if (seen.contains(f.name))
            return StoreText::tr("feature \"%1\" appears twice").arg(f.name);
        seen << f.name;
    }
    return {};
}

FeatureSchema schemaFromJson(const QJsonArray &arr, int id)
{
    FeatureSchema schema;
    schema.id = id;
    for (const QJsonValue &v : arr) {
        const QJsonObject o = v.toObject();
        FeatureSpec f;
        f.name = o.value(QStringLiteral("name")).toString();
        f.kind = o.value(QStringLiteral("kind")).toString() == QLatin1String("categorical")
                     ? FeatureSpec::Kind::Categorical
                     : FeatureSpec::Kind::Numeric;
        for (const QJsonValue &c : o.value(QStringLiteral("categories")).toArray())
            f.categories << c.toString();
        schema.features.push_back(f);
    }
    return schema;
}

std::string compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// The default targets of a new deployment: serving targets for every task, the regression error
// targets (MAE, R²) only for a regression; a classification reads the defaults until it sets its own.
QJsonObject defaultTargets(const QString &task)
{
    QJsonObject t = KpiTargets{}.toJson();
    if (task != QLatin1String("regression"))
        for (const char *key : {"mae_max", "r2_min", "stretch_mae", "stretch_r2"})
            t.remove(QLatin1String(key));
    return t;
}

constexpr char kSelectInfo[] = R"SQL(
SELECT d.name, d.task, d.description, d.target_name, d.target_unit,
       (extract(epoch FROM d.created_at) * 1000)::bigint, d.created_by,
       (extract(epoch FROM d.archived_at) * 1000)::bigint, d.archived_by, s.id, s.features::text,
       d.classes, d.decision_threshold, d.settings -> 'images'
FROM mldeck.deployments d
LEFT JOIN LATERAL (SELECT id, features FROM mldeck.feature_schemas f WHERE f.deployment = d.name
                   ORDER BY id DESC LIMIT 1) s ON true
)SQL";

DeploymentInfo infoOf(const pqxx::row &r)
{
    DeploymentInfo d;
    d.name = pg::text(r[0]);
    d.task = pg::text(r[1]);
    d.description = pg::text(r[2]);
    d.targetName = pg::text(r[3]);
    d.targetUnit = pg::text(r[4]);
    d.createdAt = pg::msecs(r[5]);
    d.createdBy = pg::text(r[6]);
    if (!r[7].is_null())
        d.archivedAt = pg::msecs(r[7]);
    d.archivedBy = pg::text(r[8]);
    if (!r[9].is_null()) {
        d.featureSchemaId = r[9].as<int>();
        d.schema = schemaFromJson(QJsonDocument::fromJson(QByteArray(r[10].c_str())).array(), d.featureSchemaId);
    }
    if (!r[11].is_null())
        if (auto classes = pgtext::parseTextArray(pg::text(r[11])))
            d.classSpec.classes = *classes;
    d.classSpec.decisionThreshold = r[12].as<double>();
    if (!r[13].is_null()) {
        if (auto images = ImageDeployment::fromJson(pg::jsonObject(r[13])))
            d.images = std::move(images).value();
        else
            d.imagesError = images.errorMessage();
    }
    return d;
}

QString validateText(const QString &field, const QString &value, int maxLength)
{
    if (value.length() > maxLength)
        return StoreText::tr("%1 is longer than %2 characters").arg(field).arg(maxLength);
    if (value.contains(QLatin1Char('\n')) || value.contains(QLatin1Char('\r')))
        return StoreText::tr("%1 must fit on one line").arg(field);
    return {};
}

QString validateEdit(const DeploymentEdit &e)
{
    if (e.description)
        if (QString why = validateText(StoreText::tr("the description"), *e.description, 2000); !why.isEmpty())
            return why;
    if (e.targetName)
        if (QString why = validateText(StoreText::tr("the target name"), *e.targetName, 200); !why.isEmpty())
            return why;
    if (e.targetUnit)
        if (QString why = validateText(StoreText::tr("the target unit"), *e.targetUnit, 50); !why.isEmpty())
            return why;
    if (e.decisionThreshold && !(*e.decisionThreshold > 0 && *e.decisionThreshold < 1))
        return StoreText::tr("the decision threshold must lie strictly between 0 and 1 (%1 given)")
            .arg(*e.decisionThreshold);
    return {};
}

QJsonObject editJson(const DeploymentInfo &d)
{
    QJsonObject o{{QStringLiteral("description"), d.description},
                  {QStringLiteral("target_name"), d.targetName},
                  {QStringLiteral("target_unit"), d.targetUnit}};
    if (d.classSpec.isBinary())
        o.insert(QStringLiteral("decision_threshold"), d.classSpec.decisionThreshold);
    return o;
}

// The classes of a classifier as a text[] parameter; NULL for a regression.
const char *classesParam(const NewDeployment &spec, std::string &storage)
{
    if (spec.task != QLatin1String("classification"))
        return nullptr;
    storage = pgtext::textArray(spec.classSpec.classes);
    return storage.c_str();
}

void audit(pqxx::work &tx, const char *action, const QString &deployment, const Actor &actor,
           const std::optional<QJsonObject> &before, const std::optional<QJsonObject> &after, const QString &reason)
{
    AuditRecord r = AuditRecord::make(QString::fromLatin1(action), deployment, actor, reason);
    r.before = before;
    r.after = after;
    pg::writeAudit(tx, r);
}

// A refused write says which role lacks the right instead of the server's grant text.
Error writeError(const std::exception &e, PgConnection &conn, const QString &doing)
{
    // By type: libpqxx 6 throws insufficient_privilege without its SQLSTATE.
    if (dynamic_cast<const pqxx::insufficient_privilege *>(&e))
        return Error{StoreText::tr("The PostgreSQL role %1 may not change deployments (%2): that takes the "
                                   "mldeck_scientist role.")
                         .arg(conn.currentUser(), doing)};
    return pg::toError(e, conn.endpoint(), doing);
}

} // namespace

DeploymentStore::DeploymentStore(PgConnection &conn) : m_conn(conn) {}

QJsonObject DeploymentInfo::toJson() const
{
    const auto time = [](const QDateTime &t) {
        return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
    };
    QJsonObject o{
        {QStringLiteral("name"), name},
        {QStringLiteral("task"), task},
        {QStringLiteral("description"), description},
        {QStringLiteral("target_name"), targetName},
        {QStringLiteral("target_unit"), targetUnit},
        {QStringLiteral("created_at"), time(createdAt)},
        {QStringLiteral("created_by"), createdBy},
        {QStringLiteral("archived"), archived()},
        {QStringLiteral("archived_at"), time(archivedAt.value_or(QDateTime()))},
        {QStringLiteral("archived_by"), archived() ? QJsonValue(archivedBy) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("feature_schema"), featureSchemaId > 0 ? QJsonValue(featureSchemaId) : QJsonValue()},
        {QStringLiteral("features"), mldeck::toJson(schema)},
    };
    if (task == QLatin1String("classification")) {
        o.insert(QStringLiteral("classes"), QJsonArray::fromStringList(classSpec.classes));
        o.insert(QStringLiteral("decision_threshold"),
                 classSpec.isBinary() ? QJsonValue(classSpec.decisionThreshold) : QJsonValue());
    }
    if (images)
        o.insert(QStringLiteral("images"), images->toJson());
    else if (!imagesError.isEmpty())
        o.insert(QStringLiteral("images_error"), imagesError);
    return o;
}

bool DeploymentStore::isValidName(const QString &deployment)
{
    // Same rule as the CHECK on mldeck.deployments.name.
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    return re.match(deployment).hasMatch();
}

bool DeploymentStore::isValidTask(const QString &task)
{
    return task == QLatin1String("regression") || task == QLatin1String("classification");
}

QString DeploymentStore::unknownText(const QString &name)
{
    return StoreText::tr("Unknown deployment \"%1\": create it first (mldeckctl deployments create, or New deployment "
                         "on the Deployments page).")
        .arg(name);
}

QString DeploymentStore::archivedText(const QString &name)
{
    return StoreText::tr("Deployment \"%1\" is archived.").arg(name);
}

Status DeploymentStore::requireActive(const QString &name)
{
    if (!isValidName(name))
        return Error{unknownText(name)};
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("SELECT archived_at IS NOT NULL FROM mldeck.deployments WHERE name = $1", pg::utf8(name));
        tx.commit();
        if (r.empty())
            return Error{unknownText(name)};
        if (r[0][0].as<bool>())
            return Error{archivedText(name)};
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("looking up deployment \"%1\"").arg(name));
    }
}

Status DeploymentStore::validate(const NewDeployment &spec)
{
    if (!isValidDeploymentName(spec.name))
        return Error{StoreText::tr("\"%1\" is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ "
                                   "or -; at most 63 characters).")
                         .arg(spec.name)};
    if (!isValidTask(spec.task))
        return Error{StoreText::tr("Unknown task \"%1\": use regression or classification.").arg(spec.task)};
    const DeploymentEdit fields{spec.description, spec.targetName, spec.targetUnit, std::nullopt, std::nullopt};
    if (const QString why = validateEdit(fields); !why.isEmpty())
        return Error{StoreText::tr("Deployment \"%1\" not created: %2.").arg(spec.name, why)};
    if (const QString why = validateSchema(spec.schema); !why.isEmpty())
        return Error{StoreText::tr("Deployment \"%1\" not created: invalid feature schema: %2.").arg(spec.name, why)};
    if (spec.task == QLatin1String("classification")) {
        if (auto valid = spec.classSpec.validate(); !valid)
            return Error{StoreText::tr("Deployment \"%1\" not created: %2").arg(spec.name, valid.errorMessage())};
    } else if (!spec.classSpec.classes.isEmpty()) {
        return Error{StoreText::tr("Deployment \"%1\" not created: classes are for a classification deployment, not a "
                                   "%2 one.")
                         .arg(spec.name, spec.task)};
    }
    if (spec.images) {
        if (spec.task != QLatin1String("classification"))
            return Error{StoreText::tr("Deployment \"%1\" not created: an image deployment is a classification "
                                       "deployment, not a %2 one.")
                             .arg(spec.name, spec.task)};
        if (!spec.schema.features.empty())
            return Error{StoreText::tr("Deployment \"%1\" not created: an image deployment takes images, not a "
                                       "feature schema.")
                             .arg(spec.name)};
        if (Status s = spec.images->check(spec.classSpec.classes); !s)
            return Error{StoreText::tr("Deployment \"%1\" not created: %2").arg(spec.name, s.errorMessage())};
    }
    using drift::ReferenceSpec;
    if (spec.driftReference.isEmpty() && (spec.driftReferenceRows < ReferenceSpec::kMinReferenceRows ||
                                          spec.driftReferenceRows > ReferenceSpec::kMaxReferenceRows))
        return Error{StoreText::tr("Deployment \"%1\" not created: the drift reference needs %2 to %3 rows, not %4.")
                         .arg(spec.name)
                         .arg(ReferenceSpec::kMinReferenceRows)
                         .arg(ReferenceSpec::kMaxReferenceRows)
                         .arg(spec.driftReferenceRows)};
    if (!spec.driftReference.isEmpty())
        if (auto parsed = ReferenceSpec::parse(spec.driftReference); !parsed)
            return Error{StoreText::tr("Deployment \"%1\" not created: drift reference: %2")
                             .arg(spec.name, parsed.errorMessage())};
    return {};
}

Result<DeploymentInfo> DeploymentStore::create(const NewDeployment &spec, const Actor &actor)
{
    if (auto valid = validate(spec); !valid)
        return valid.error();
    const QString reference =
        spec.driftReference.isEmpty() ? drift::defaultReferenceSpec(spec.driftReferenceRows) : spec.driftReference;
    const QJsonObject targets = defaultTargets(spec.task);
    QJsonObject settings{{QStringLiteral("kpi_targets"), targets},
                         {QStringLiteral("drift"), QJsonObject{{QStringLiteral("reference"), reference}}}};
    if (spec.images)
        settings.insert(QStringLiteral("images"), spec.images->toJson());
    const QString doing = StoreText::tr("creating deployment \"%1\"").arg(spec.name);
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result existing = tx.exec_params(
            "SELECT archived_at IS NOT NULL FROM mldeck.deployments WHERE name = $1", pg::utf8(spec.name));
        if (!existing.empty())
            return Error{
                existing[0][0].as<bool>()
                    ? StoreText::tr("Deployment \"%1\" already exists (archived); nothing was changed.").arg(spec.name)
                    : StoreText::tr("Deployment \"%1\" already exists; nothing was changed.").arg(spec.name)};
        std::string classes;
        tx.exec_params("INSERT INTO mldeck.deployments (name, description, settings, task, target_name, target_unit, "
                       "classes, decision_threshold) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7::text[], $8)",
                       pg::utf8(spec.name), pg::utf8(spec.description), compact(settings), pg::utf8(spec.task),
                       pg::utf8(spec.targetName), pg::utf8(spec.targetUnit), classesParam(spec, classes),
                       pgtext::float8(spec.classSpec.decisionThreshold));
        // An image deployment's schema 1 has no feature: its models and rows refer to it (images.md).
        if (!spec.schema.features.empty() || spec.images)
            tx.exec_params("INSERT INTO mldeck.feature_schemas (deployment, id, features) VALUES ($1, 1, $2::jsonb)",
                           pg::utf8(spec.name),
                           QJsonDocument(toJson(spec.schema)).toJson(QJsonDocument::Compact).toStdString());
        QJsonObject after{{QStringLiteral("name"), spec.name},
                          {QStringLiteral("task"), spec.task},
                          {QStringLiteral("description"), spec.description},
                          {QStringLiteral("target_name"), spec.targetName},
                          {QStringLiteral("target_unit"), spec.targetUnit},
                          {QStringLiteral("features"), toJson(spec.schema)},
                          {QStringLiteral("kpi_targets"), targets},
                          {QStringLiteral("drift_reference"), reference}};
        if (spec.task == QLatin1String("classification")) {
            after.insert(QStringLiteral("classes"), QJsonArray::fromStringList(spec.classSpec.classes));
            after.insert(QStringLiteral("decision_threshold"), spec.classSpec.decisionThreshold);
        }
        if (spec.images)
            after.insert(QStringLiteral("images"), spec.images->toJson());
        audit(tx, "deployment.create", spec.name, actor, std::nullopt, after, {});
        tx.commit();
    } catch (const std::exception &e) {
        if (dynamic_cast<const pqxx::unique_violation *>(&e)) // a concurrent create of the same name won
            return Error{StoreText::tr("Deployment \"%1\" already exists; nothing was changed.").arg(spec.name)};
        return writeError(e, m_conn, doing);
    }
    return show(spec.name);
}

Result<QList<DeploymentInfo>> DeploymentStore::list(bool includeArchived)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const std::string sql =
            std::string(kSelectInfo) + (includeArchived ? "" : " WHERE d.archived_at IS NULL") + " ORDER BY d.name";
        QList<DeploymentInfo> out;
        for (const auto &row : tx.exec(sql))
            out << infoOf(row);
        tx.commit();
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing deployments"));
    }
}

Result<DeploymentInfo> DeploymentStore::show(const QString &name)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(std::string(kSelectInfo) + " WHERE d.name = $1", pg::utf8(name));
        tx.commit();
        if (r.empty())
            return Error{unknownText(name)};
        return infoOf(r[0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading deployment \"%1\"").arg(name));
    }
}

Status DeploymentStore::set(const QString &name, const DeploymentEdit &edit, const Actor &actor)
{
    return write(name, edit, actor, {});
}

// What may take an image configuration, then its folders: slow, so outside the transaction (the classes
// cannot change meanwhile: no role may update them).
Status DeploymentStore::checkImages(const QString &name, const ImageDeployment &images)
{
    const auto info = show(name);
    if (!info)
        return info.error();
    if (info->archived())
        return Error{archivedText(name)};
    if (!info->isImage()) {
        if (info->task != QLatin1String("classification") || info->classSpec.classes.isEmpty())
            return Error{StoreText::tr("Deployment \"%1\" not changed: only a classification deployment with its "
                                       "classes can take images.")
                             .arg(name)};
        if (!info->schema.features.empty())
            return Error{StoreText::tr("Deployment \"%1\" not changed: it takes tabular features (feature schema "
                                       "%2); an image deployment is created as one.")
                             .arg(name)
                             .arg(info->featureSchemaId)};
        // Its models and logged rows are tabular: as an image deployment its champion would not fit.
        try {
            pqxx::read_transaction tx(pg::raw(m_conn));
            const pqxx::result model = tx.exec_params(
                "SELECT name || ' ' || version FROM mldeck.models WHERE deployment = $1 ORDER BY id LIMIT 1",
                pg::utf8(name));
            const pqxx::result logged = tx.exec_params(
                "SELECT EXISTS (SELECT 1 FROM mldeck.predictions WHERE deployment = $1)", pg::utf8(name));
            tx.commit();
            if (!model.empty())
                return Error{StoreText::tr("Deployment \"%1\" not changed: it has a registered model (%2); an image "
                                           "deployment is created as one.")
                                 .arg(name, pg::text(model[0][0]))};
            if (logged[0][0].as<bool>())
                return Error{StoreText::tr("Deployment \"%1\" not changed: it has logged predictions; an image "
                                           "deployment is created as one.")
                                 .arg(name)};
        } catch (const std::exception &e) {
            return pg::toError(e, m_conn.endpoint(), StoreText::tr("looking up deployment \"%1\"").arg(name));
        }
    }
    if (Status s = images.check(info->classSpec.classes); !s)
        return Error{StoreText::tr("Deployment \"%1\" not changed: %2").arg(name, s.errorMessage())};
    return {};
}

Status DeploymentStore::write(const QString &name, const DeploymentEdit &edit, const Actor &actor,
                              const QString &reason)
{
    if (edit.isEmpty())
        return Error{StoreText::tr(
            "Nothing to change: give a description, a target name, a target unit or a decision threshold.")};
    if (const QString why = validateEdit(edit); !why.isEmpty())
        return Error{StoreText::tr("Deployment \"%1\" not changed: %2.").arg(name, why)};
    if (edit.images)
        if (Status s = checkImages(name, *edit.images); !s)
            return s;
    const bool fields = edit.description || edit.targetName || edit.targetUnit || edit.decisionThreshold;
    const QString doing = StoreText::tr("changing deployment \"%1\"").arg(name);
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params(std::string(kSelectInfo) + " WHERE d.name = $1 FOR UPDATE OF d", pg::utf8(name));
        if (r.empty())
            return Error{unknownText(name)};
        const DeploymentInfo before = infoOf(r[0]);
        if (before.archived())
            return Error{archivedText(name)};
        if (edit.decisionThreshold && !before.classSpec.isBinary())
            return Error{StoreText::tr("Deployment \"%1\" not changed: a decision threshold is for a binary "
                                       "classification deployment.")
                             .arg(name)};
        DeploymentInfo after = before;
        after.description = edit.description.value_or(before.description);
        after.targetName = edit.targetName.value_or(before.targetName);
        after.targetUnit = edit.targetUnit.value_or(before.targetUnit);
        after.classSpec.decisionThreshold = edit.decisionThreshold.value_or(before.classSpec.decisionThreshold);
        if (fields && editJson(before) != editJson(after)) { // a no-op save is not audited
            tx.exec_params("UPDATE mldeck.deployments SET description = $2, target_name = $3, target_unit = $4, "
                           "decision_threshold = $5 WHERE name = $1",
                           pg::utf8(name), pg::utf8(after.description), pg::utf8(after.targetName),
                           pg::utf8(after.targetUnit), pgtext::float8(after.classSpec.decisionThreshold));
            audit(tx, "deployment.set", name, actor, editJson(before), editJson(after), reason.trimmed());
        }
        if (edit.images && before.featureSchemaId == 0) // becomes an image deployment: schema 1, no feature
            tx.exec_params("INSERT INTO mldeck.feature_schemas (deployment, id, features) VALUES ($1, 1, '[]')",
                           pg::utf8(name));
        if (edit.images && (!before.images || !(*before.images == *edit.images))) {
            const QJsonObject images = edit.images->toJson();
            const pqxx::row previous = tx.exec_params1("SELECT mldeck.deployment_set_images($1, $2::jsonb)::text",
                                                       pg::utf8(name), compact(images));
            audit(tx, "deployment.images", name, actor,
                  previous[0].is_null() ? std::nullopt : std::optional(pg::jsonObject(previous[0])), images,
                  reason.trimmed());
        }
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return writeError(e, m_conn, doing);
    }
}

Result<ImageDeployment> DeploymentStore::images(const QString &name)
{
    auto info = show(name);
    if (!info)
        return info.error();
    if (!info->imagesError.isEmpty())
        return Error{StoreText::tr("The image configuration of deployment \"%1\" cannot be read: %2")
                         .arg(name, info->imagesError)};
    if (!info->images)
        return Error{
            StoreText::tr("Deployment \"%1\" is not an image deployment (it takes tabular features).").arg(name)};
    return *info->images;
}

Status DeploymentStore::setImages(const QString &name, const ImageDeployment &images, const Actor &actor,
                                  const QString &reason)
{
    DeploymentEdit edit;
    edit.images = images;
    return write(name, edit, actor, reason);
}

Status DeploymentStore::archive(const QString &name, const QString &reason, const Actor &actor)
{
    if (reason.trimmed().isEmpty())
        return Error{StoreText::tr("Archiving deployment \"%1\" needs a reason (it goes to the audit log).").arg(name)};
    const QString doing = StoreText::tr("archiving deployment \"%1\"").arg(name);
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT archived_at IS NOT NULL FROM mldeck.deployments WHERE name = $1 FOR UPDATE", pg::utf8(name));
        if (r.empty())
            return Error{unknownText(name)};
        if (r[0][0].as<bool>())
            return Error{archivedText(name)};
        // The trigger of step 10 stamps the server's time and role.
        const pqxx::row stamp = tx.exec_params1(
            "UPDATE mldeck.deployments SET archived_at = now(), archived_by = session_user WHERE name = $1 "
            "RETURNING archived_at::text, archived_by",
            pg::utf8(name));
        audit(tx, "deployment.archive", name, actor, QJsonObject{{QStringLiteral("archived"), false}},
              QJsonObject{{QStringLiteral("archived"), true},
                          {QStringLiteral("archived_at"), pg::text(stamp[0])},
                          {QStringLiteral("archived_by"), pg::text(stamp[1])}},
              reason.trimmed());
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return writeError(e, m_conn, doing);
    }
}

Result<int> DeploymentStore::ensure(const QString &deployment, const QString &description, const FeatureSchema &schema)
{
    if (!isValidName(deployment))
        return Error{
            StoreText::tr("invalid deployment name \"%1\": use 1 to 64 letters, digits, '_', '.' or '-', starting with "
                          "a letter or digit")
                .arg(deployment)};
    if (const QString why = validateSchema(schema); !why.isEmpty())
        return Error{StoreText::tr("invalid feature schema for deployment \"%1\": %2").arg(deployment, why)};
    const std::string features = QJsonDocument(toJson(schema)).toJson(QJsonDocument::Compact).toStdString();
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params(
            "INSERT INTO mldeck.deployments (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            pg::utf8(deployment), pg::utf8(description));
        // Row lock on the deployment: two callers cannot both pick the same next schema id.
        if (tx.exec_params1("SELECT archived_at IS NOT NULL FROM mldeck.deployments WHERE name = $1 FOR UPDATE",
                            pg::utf8(deployment))[0]
                .as<bool>())
            return Error{archivedText(deployment)};
        const pqxx::result same = tx.exec_params("SELECT id FROM mldeck.feature_schemas WHERE deployment = $1 AND "
                                                 "features = $2::jsonb ORDER BY id DESC LIMIT 1",
                                                 pg::utf8(deployment), features);
        int id = 0;
        if (!same.empty()) {
            id = same[0][0].as<int>();
        } else {
            id = tx.exec_params1("INSERT INTO mldeck.feature_schemas (deployment, id, features) "
                                 "SELECT $1, coalesce(max(id), 0) + 1, $2::jsonb FROM mldeck.feature_schemas "
                                 "WHERE deployment = $1 RETURNING id",
                                 pg::utf8(deployment), features)[0]
                     .as<int>();
        }
        tx.commit();
        return id;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("registering deployment \"%1\"").arg(deployment));
    }
}

Result<QStringList> DeploymentStore::names()
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        QStringList out;
        for (const auto &row : tx.exec("SELECT name FROM mldeck.deployments WHERE archived_at IS NULL ORDER BY name"))
            out << QString::fromStdString(row[0].as<std::string>());
        tx.commit();
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing deployments"));
    }
}

Result<FeatureSchema> DeploymentStore::featureSchema(const QString &deployment, int id)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("SELECT features::text FROM mldeck.feature_schemas WHERE deployment = $1 AND id = $2",
                           pg::utf8(deployment), id);
        tx.commit();
        if (r.empty())
            return Error{StoreText::tr("deployment \"%1\" has no feature schema %2").arg(deployment).arg(id)};
        return schemaFromJson(QJsonDocument::fromJson(QByteArray(r[0][0].c_str())).array(), id);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading a feature schema of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
