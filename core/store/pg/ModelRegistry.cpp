#include "core/store/pg/ModelRegistry.h"
#include "core/Text.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace mldeck {

namespace {

const QString kChampion = QStringLiteral("champion");
const QString kChallenger = QStringLiteral("challenger");

// Columns read for a ModelVersion, in the order rowToModel() expects.
constexpr char kSelect[] = R"SQL(
SELECT m.id, m.deployment, m.name, m.version, m.sha256, m.file_path, m.task, m.feature_schema,
       array_to_json(m.feature_names)::text, m.scaler::text, m.target_unit, m.created_by,
       (extract(epoch FROM m.created_at) * 1000)::bigint, m.parent_id, p.version,
       (extract(epoch FROM m.train_from) * 1000)::bigint, (extract(epoch FROM m.train_to) * 1000)::bigint,
       m.metrics::text, m.archived,
       coalesce((SELECT json_agg(a.alias ORDER BY a.alias)::text FROM mldeck.model_aliases a
                 WHERE a.model_id = m.id AND a.deployment = m.deployment), '[]')
FROM mldeck.models m LEFT JOIN mldeck.models p ON p.id = m.parent_id
)SQL";

using pg::jsonObject;
using pg::msecs;
using pg::text;

ModelVersion rowToModel(const pqxx::row &r)
{
    ModelVersion m;
    m.id = r[0].as<qint64>();
    m.deployment = text(r[1]);
    m.name = text(r[2]);
    m.version = text(r[3]);
    m.sha256 = text(r[4]);
    m.filePath = text(r[5]);
    m.task = text(r[6]);
    if (!r[7].is_null())
        m.featureSchemaId = r[7].as<int>();
    for (const QJsonValue &v : QJsonDocument::fromJson(QByteArray(r[8].c_str())).array())
        m.featureNames << v.toString();
    m.scaler = jsonObject(r[9]);
    m.targetUnit = text(r[10]);
    m.createdBy = text(r[11]);
    m.createdAt = msecs(r[12]);
    if (!r[13].is_null())
        m.parentId = r[13].as<qint64>();
    m.parentVersion = text(r[14]);
    m.trainFrom = msecs(r[15]);
    m.trainTo = msecs(r[16]);
    m.metrics = jsonObject(r[17]);
    m.archived = r[18].as<bool>();
    for (const QJsonValue &v : QJsonDocument::fromJson(QByteArray(r[19].c_str())).array())
        m.aliases << v.toString();
    return m;
}

std::string select(const char *where)
{
    return std::string(kSelect) + where;
}

std::optional<ModelVersion> fetchById(pqxx::transaction_base &tx, qint64 id)
{
    const pqxx::result r = tx.exec_params(select(" WHERE m.id = $1"), id);
    if (r.empty())
        return std::nullopt;
    return rowToModel(r[0]);
}

std::optional<ModelVersion> fetchByVersion(pqxx::transaction_base &tx, const QString &deployment,
                                           const QString &version)
{
    const pqxx::result r =
        tx.exec_params(select(" WHERE m.deployment = $1 AND m.version = $2"), pg::utf8(deployment), pg::utf8(version));
    if (r.empty())
        return std::nullopt;
    return rowToModel(r[0]);
}

std::optional<qint64> aliasTarget(pqxx::transaction_base &tx, const QString &deployment, const QString &alias)
{
    const pqxx::result r =
        tx.exec_params("SELECT model_id FROM mldeck.model_aliases WHERE deployment = $1 AND alias = $2",
                       pg::utf8(deployment), pg::utf8(alias));
    if (r.empty())
        return std::nullopt;
    return r[0][0].as<qint64>();
}

// Serialises every registry change of one deployment (alias moves, archive, register): a row lock on
// the deployment. Refuses an unknown or archived deployment with DeploymentStore's one line.
Status lockDeployment(pqxx::transaction_base &tx, const QString &deployment)
{
    const pqxx::result r = tx.exec_params(
        "SELECT archived_at IS NOT NULL FROM mldeck.deployments WHERE name = $1 FOR UPDATE", pg::utf8(deployment));
    if (r.empty())
        return Error{DeploymentStore::unknownText(deployment)};
    if (r[0][0].as<bool>())
        return Error{DeploymentStore::archivedText(deployment)};
    return {};
}

Error unknownVersion(const QString &deployment, const QString &version)
{
    return Error{StoreText::tr("Deployment \"%1\" has no model version \"%2\".").arg(deployment, version)};
}

QJsonObject auditModel(const ModelVersion &m, const QString &alias = {})
{
    QJsonObject o{{QStringLiteral("model_id"), m.id},
                  {QStringLiteral("name"), m.name},
                  {QStringLiteral("version"), m.version},
                  {QStringLiteral("sha256"), m.sha256}};
    if (!alias.isEmpty())
        o.insert(QStringLiteral("alias"), alias);
    return o;
}

std::string jsonText(const QJsonObject &o)
{
    return o.isEmpty() ? std::string("null") : QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// Appends the audit row inside the caller's transaction; returns its change id.
QString audit(pqxx::transaction_base &tx, const QString &action, const QString &deployment, const QJsonObject &before,
              const QJsonObject &after, const QString &reason, const Actor &actor)
{
    const pqxx::row r =
        tx.exec_params1("INSERT INTO mldeck.audit_log (actor_os, host, action, deployment, before, after, reason) "
                        "VALUES (NULLIF($1, ''), NULLIF($2, ''), $3, $4, $5::jsonb, $6::jsonb, NULLIF($7, '')) "
                        "RETURNING change_id::text",
                        pg::utf8(actor.osUser), pg::utf8(actor.host), pg::utf8(action), pg::utf8(deployment),
                        jsonText(before), jsonText(after), pg::utf8(reason.trimmed()));
    return QString::fromUtf8(r[0].c_str());
}

// Points alias at target (insert or move) and, for a champion, drops a challenger alias on the same model.
void moveAlias(pqxx::transaction_base &tx, const QString &deployment, const QString &alias, qint64 target)
{
    tx.exec_params("INSERT INTO mldeck.model_aliases (deployment, alias, model_id) VALUES ($1, $2, $3) "
                   "ON CONFLICT (deployment, alias) DO UPDATE SET model_id = EXCLUDED.model_id, updated_at = now(), "
                   "updated_by = session_user",
                   pg::utf8(deployment), pg::utf8(alias), target);
    if (alias == kChampion)
        tx.exec_params(
            "DELETE FROM mldeck.model_aliases WHERE deployment = $1 AND alias = 'challenger' AND model_id = $2",
            pg::utf8(deployment), target);
}

QString isoOrEmpty(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

// Points alias at target (the caller checked it may), reads back both sides and writes the audit
// row, all in the caller's transaction.
AliasChange moveAliasAudited(pqxx::transaction_base &tx, const QString &deployment, const QString &alias,
                             std::optional<qint64> current, qint64 target, const QString &action, const QString &reason,
                             const Actor &actor)
{
    AliasChange change;
    change.deployment = deployment;
    change.alias = alias;
    if (current)
        change.before = fetchById(tx, *current);
    moveAlias(tx, deployment, alias, target);
    change.after = *fetchById(tx, target);
    change.changeId = audit(tx, action, deployment, change.before ? auditModel(*change.before, alias) : QJsonObject{},
                            auditModel(change.after, alias), reason, actor);
    return change;
}

// The latest move of the champion alias: its "before" names the previous champion.
constexpr char kLastChampionMove[] =
    "SELECT before::text FROM mldeck.audit_log WHERE deployment = $1 "
    "AND action IN ('model.promote', 'model.restore_previous') AND after->>'alias' = 'champion' "
    "ORDER BY id DESC LIMIT 1";

} // namespace

ModelRegistry::ModelRegistry(PgConnection &conn) : m_conn(conn) {}

Status ModelRegistry::mergeMetrics(qint64 modelId, const QJsonObject &metrics)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("UPDATE mldeck.models SET metrics = metrics || $2::jsonb WHERE id = $1", modelId,
                       QJsonDocument(metrics).toJson(QJsonDocument::Compact).toStdString());
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("storing the metrics of model %1").arg(modelId));
    }
}

Result<qint64> ModelRegistry::fileUsers(const QString &filePath, qint64 excludeModelId)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT count(*) FROM mldeck.models WHERE file_path = $1 AND id <> $2", pg::utf8(filePath),
                          excludeModelId)[0]
            .as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("looking up the models that use %1").arg(filePath));
    }
}

Result<qint64> ModelRegistry::previousChampionId(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result last = tx.exec_params(kLastChampionMove, pg::utf8(deployment));
        if (last.empty() || last[0][0].is_null())
            return qint64(0);
        return qint64(pg::jsonObject(last[0][0]).value(QStringLiteral("model_id")).toInteger());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the previous champion of \"%1\"").arg(deployment));
    }
}

bool ModelRegistry::isValidAlias(const QString &alias)
{
    return alias == kChampion || alias == kChallenger;
}

bool ModelRegistry::isValidVersion(const QString &version)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return re.match(version).hasMatch();
}

Result<ModelVersion> ModelRegistry::insert(const NewModelVersion &m, const Actor &actor)
{
    if (!m.version.isEmpty() && !isValidVersion(m.version))
        return Error{
            StoreText::tr("Invalid version \"%1\": use 1 to 64 letters, digits, '.', '_' or '-'.").arg(m.version)};
    if (m.name.trimmed().isEmpty())
        return Error{StoreText::tr("A model version needs a name.")};
    try {
        pqxx::work tx(pg::raw(m_conn));
        if (Status active = lockDeployment(tx, m.deployment); !active)
            return active.error();
        const pqxx::result same =
            tx.exec_params("SELECT version FROM mldeck.models WHERE deployment = $1 AND sha256 = $2",
                           pg::utf8(m.deployment), pg::utf8(m.sha256));
        if (!same.empty())
            return Error{
                StoreText::tr("This file (SHA-256 %1) is already registered for deployment \"%2\" as version %3.")
                    .arg(m.sha256.left(12), m.deployment, QString::fromUtf8(same[0][0].c_str()))};
        QString version = m.version;
        if (version.isEmpty()) {
            version = QString::fromUtf8(
                tx.exec_params1("SELECT (coalesce(max(version::bigint), 0) + 1)::text FROM mldeck.models "
                                "WHERE deployment = $1 AND version ~ '^[0-9]{1,18}$'",
                                pg::utf8(m.deployment))[0]
                    .c_str());
        } else if (fetchByVersion(tx, m.deployment, version)) {
            return Error{StoreText::tr("Deployment \"%1\" already has a version \"%2\"; choose another --version.")
                             .arg(m.deployment, version)};
        }
        QString parentId;
        if (!m.parentVersion.isEmpty()) {
            const auto parent = fetchByVersion(tx, m.deployment, m.parentVersion);
            if (!parent)
                return Error{StoreText::tr("Parent version \"%1\" does not exist in deployment \"%2\".")
                                 .arg(m.parentVersion, m.deployment)};
            parentId = QString::number(parent->id);
        }
        QString schemaId = m.featureSchemaId ? QString::number(*m.featureSchemaId) : QString();
        const pqxx::row r = tx.exec_params1(
            "INSERT INTO mldeck.models (deployment, name, version, sha256, file_path, task, feature_schema, "
            "feature_names, "
            "scaler, target_unit, parent_id, train_from, train_to, metrics) "
            "VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')::integer, $8::text[], $9::jsonb, $10, NULLIF($11, "
            "'')::bigint, "
            "NULLIF($12, '')::timestamptz, NULLIF($13, '')::timestamptz, $14::jsonb) RETURNING id",
            pg::utf8(m.deployment), pg::utf8(m.name.trimmed()), pg::utf8(version), pg::utf8(m.sha256),
            pg::utf8(m.filePath), pg::utf8(m.task), pg::utf8(schemaId), pgtext::textArray(m.featureNames),
            QJsonDocument(m.scaler).toJson(QJsonDocument::Compact).toStdString(), pg::utf8(m.targetUnit),
            pg::utf8(parentId), pg::utf8(isoOrEmpty(m.trainFrom)), pg::utf8(isoOrEmpty(m.trainTo)),
            QJsonDocument(m.metrics).toJson(QJsonDocument::Compact).toStdString());
        const auto inserted = fetchById(tx, r[0].as<qint64>());
        QJsonObject after = auditModel(*inserted);
        after.insert(QStringLiteral("path"), inserted->filePath);
        audit(tx, QStringLiteral("model.register"), m.deployment, {}, after, {}, actor);
        tx.commit();
        return *inserted;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("registering a model for deployment \"%1\"").arg(m.deployment));
    }
}

Result<QList<ModelVersion>> ModelRegistry::list(const QString &deployment, bool includeArchived)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            select(" WHERE m.deployment = $1 AND ($2 OR NOT m.archived) ORDER BY m.created_at DESC, m.id DESC"),
            pg::utf8(deployment), includeArchived);
        QList<ModelVersion> out;
        for (const auto &row : r)
            out << rowToModel(row);
        tx.commit();
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("listing the models of deployment \"%1\"").arg(deployment));
    }
}

Result<ModelVersion> ModelRegistry::byVersion(const QString &deployment, const QString &version)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const auto m = fetchByVersion(tx, deployment, version);
        tx.commit();
        if (!m)
            return unknownVersion(deployment, version);
        return *m;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading model %1@%2").arg(deployment, version));
    }
}

Result<std::optional<ModelVersion>> ModelRegistry::bySha256(const QString &deployment, const QString &sha256)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(select(" WHERE m.deployment = $1 AND m.sha256 = $2"),
                                              pg::utf8(deployment), pg::utf8(sha256));
        tx.commit();
        if (r.empty())
            return std::optional<ModelVersion>();
        return std::optional<ModelVersion>(rowToModel(r[0]));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("looking up a model of deployment \"%1\"").arg(deployment));
    }
}

Result<std::optional<ModelVersion>> ModelRegistry::byAlias(const QString &deployment, const QString &alias)
{
    if (!isValidAlias(alias))
        return Error{StoreText::tr("Unknown alias \"%1\": use champion or challenger.").arg(alias)};
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            select(" JOIN mldeck.model_aliases al ON al.model_id = m.id AND al.deployment = m.deployment "
                   "WHERE al.deployment = $1 AND al.alias = $2"),
            pg::utf8(deployment), pg::utf8(alias));
        tx.commit();
        if (r.empty())
            return std::optional<ModelVersion>();
        return std::optional<ModelVersion>(rowToModel(r[0]));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the %1 of deployment \"%2\"").arg(alias, deployment));
    }
}

namespace {

struct Promotable
{
    ModelVersion target;
    std::optional<qint64> current; // the alias's present target
};

// The registry's preconditions of a promotion, inside tx (which holds the deployment's row lock).
Result<Promotable> promotable(pqxx::transaction_base &tx, const QString &deployment, const QString &version,
                              const QString &alias)
{
    if (Status active = lockDeployment(tx, deployment); !active)
        return active.error();
    auto target = fetchByVersion(tx, deployment, version);
    if (!target)
        return unknownVersion(deployment, version);
    if (target->archived)
        return Error{
            StoreText::tr("%1@%2 is archived; an archived version cannot become %3.").arg(deployment, version, alias)};
    const auto current = aliasTarget(tx, deployment, alias);
    if (current && *current == target->id)
        return Error{StoreText::tr("%1@%2 is already the %3; nothing changed.").arg(deployment, version, alias)};
    if (alias == kChallenger && target->isChampion())
        return Error{
            StoreText::tr("%1@%2 is the champion; it cannot also be the challenger.").arg(deployment, version)};
    return Promotable{std::move(*target), current};
}

} // namespace

Status ModelRegistry::checkPromotable(const QString &deployment, const QString &version, const QString &alias)
{
    if (!isValidAlias(alias))
        return Error{StoreText::tr("Unknown alias \"%1\": use champion or challenger.").arg(alias)};
    try {
        pqxx::work tx(pg::raw(m_conn)); // rolled back: only the lock's wait is shared with a real promotion
        if (const auto ok = promotable(tx, deployment, version, alias); !ok)
            return ok.error();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("making %1@%2 the %3").arg(deployment, version, alias));
    }
}

Result<AliasChange> ModelRegistry::promote(const QString &deployment, const QString &version, const QString &alias,
                                           const QString &reason, const Actor &actor,
                                           std::optional<qint64> expectedChampion)
{
    if (!isValidAlias(alias))
        return Error{StoreText::tr("Unknown alias \"%1\": use champion or challenger.").arg(alias)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const auto ok = promotable(tx, deployment, version, alias);
        if (!ok)
            return ok.error();
        // The model checks compared the candidate with one champion: another promotion since then is refused
        // here, under the deployment's row lock, so the candidate never replaces a champion it was not checked
        // against.
        if (alias == kChampion && expectedChampion && ok->current.value_or(0) != *expectedChampion) {
            const auto now = ok->current ? fetchById(tx, *ok->current) : std::nullopt;
            return Error{StoreText::tr("The champion of \"%1\" changed while the model checks ran (now %2); promote "
                                       "again.")
                             .arg(deployment, now ? now->version : StoreText::tr("none"))};
        }
        AliasChange change = moveAliasAudited(tx, deployment, alias, ok->current, ok->target.id,
                                              QStringLiteral("model.promote"), reason, actor);
        tx.commit();
        return change;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("making %1@%2 the %3").arg(deployment, version, alias));
    }
}

Result<AliasChange> ModelRegistry::restorePrevious(const QString &deployment, const QString &reason, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        if (Status active = lockDeployment(tx, deployment); !active)
            return active.error();
        const pqxx::result last = tx.exec_params(kLastChampionMove, pg::utf8(deployment));
        const QJsonObject before = last.empty() || last[0][0].is_null()
                                       ? QJsonObject()
                                       : QJsonDocument::fromJson(QByteArray(last[0][0].c_str())).object();
        if (!before.contains(QStringLiteral("model_id")))
            return Error{StoreText::tr("Deployment \"%1\" has no previous champion to restore.").arg(deployment)};
        const auto previous = fetchById(tx, before.value(QStringLiteral("model_id")).toInteger());
        if (!previous || previous->deployment != deployment)
            return Error{
                StoreText::tr("The previous champion of \"%1\" no longer exists in the registry.").arg(deployment)};
        if (previous->archived)
            return Error{StoreText::tr("The previous champion %1@%2 is archived; promote another version instead.")
                             .arg(deployment, previous->version)};
        const auto current = aliasTarget(tx, deployment, kChampion);
        if (current && *current == previous->id)
            return Error{
                StoreText::tr("%1@%2 is already the champion; nothing changed.").arg(deployment, previous->version)};
        AliasChange change = moveAliasAudited(tx, deployment, kChampion, current, previous->id,
                                              QStringLiteral("model.restore_previous"), reason, actor);
        tx.commit();
        return change;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("restoring the previous champion of \"%1\"").arg(deployment));
    }
}

Result<ModelVersion> ModelRegistry::archive(const QString &deployment, const QString &version, const QString &reason,
                                            const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        if (Status active = lockDeployment(tx, deployment); !active)
            return active.error();
        const auto target = fetchByVersion(tx, deployment, version);
        if (!target)
            return unknownVersion(deployment, version);
        if (target->archived)
            return Error{StoreText::tr("%1@%2 is already archived; nothing changed.").arg(deployment, version)};
        if (target->isChampion())
            return Error{StoreText::tr("%1@%2 is the champion and cannot be archived; promote another version first.")
                             .arg(deployment, version)};
        tx.exec_params("DELETE FROM mldeck.model_aliases WHERE deployment = $1 AND model_id = $2", pg::utf8(deployment),
                       target->id);
        tx.exec_params("UPDATE mldeck.models SET archived = true WHERE id = $1", target->id);
        QJsonObject before = auditModel(*target);
        before.insert(QStringLiteral("archived"), false);
        before.insert(QStringLiteral("aliases"), QJsonArray::fromStringList(target->aliases));
        QJsonObject after = auditModel(*target);
        after.insert(QStringLiteral("archived"), true);
        audit(tx, QStringLiteral("model.archive"), deployment, before, after, reason, actor);
        const auto archived = fetchById(tx, target->id);
        tx.commit();
        return *archived;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("archiving %1@%2").arg(deployment, version));
    }
}

} // namespace mldeck
