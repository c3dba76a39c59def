#include "core/store/pg/ModelCheckStore.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QJsonDocument>

namespace mldeck {

namespace {

std::string json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

std::optional<std::string> orNull(const QString &s)
{
    return s.isEmpty() ? std::nullopt : std::optional(pg::utf8(s));
}

constexpr char kGoldenColumns[] =
    "deployment, file_name, sha256, row_count, target_column, coalesce(segment_column, ''), "
    "(extract(epoch FROM updated_at) * 1000)::bigint, updated_by";

GoldenRecord goldenOf(const pqxx::row &r)
{
    GoldenRecord g;
    g.deployment = pg::text(r[0]);
    g.fileName = pg::text(r[1]);
    g.sha256 = r[2].c_str();
    g.rows = r[3].as<int>();
    g.targetColumn = pg::text(r[4]);
    g.segmentColumn = pg::text(r[5]);
    g.updatedAt = pg::msecs(r[6]);
    g.updatedBy = pg::text(r[7]);
    return g;
}

} // namespace

QJsonObject GoldenRecord::toJson() const
{
    return {{QStringLiteral("deployment"), deployment},
            {QStringLiteral("file"), fileName},
            {QStringLiteral("sha256"), QString::fromLatin1(sha256)},
            {QStringLiteral("rows"), rows},
            {QStringLiteral("target_column"), targetColumn},
            {QStringLiteral("segment_column"), segmentColumn},
            {QStringLiteral("updated_at"), updatedAt.toString(Qt::ISODateWithMs)},
            {QStringLiteral("updated_by"), updatedBy}};
}

ModelCheckStore::ModelCheckStore(PgConnection &conn) : m_conn(conn) {}

Result<std::optional<GoldenRecord>> ModelCheckStore::golden(const QString &deployment, bool withContent)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const std::string sql = std::string("SELECT ") + kGoldenColumns +
                                (withContent ? ", encode(content, 'base64')" : "") +
                                " FROM mldeck.golden_datasets WHERE deployment = $1";
        const pqxx::result r = tx.exec_params(sql, pg::utf8(deployment));
        if (r.empty())
            return std::optional<GoldenRecord>();
        GoldenRecord g = goldenOf(r[0]);
        if (withContent)
            g.content = QByteArray::fromBase64(QByteArray(r[0][8].c_str()));
        return std::optional<GoldenRecord>(std::move(g));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the golden dataset of \"%1\"").arg(deployment));
    }
}

Status ModelCheckStore::saveGolden(const GoldenRecord &g, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result old = tx.exec_params(std::string("SELECT ") + kGoldenColumns +
                                                    " FROM mldeck.golden_datasets WHERE deployment = $1 FOR UPDATE",
                                                pg::utf8(g.deployment));
        const pqxx::row now = tx.exec_params1(
            std::string("INSERT INTO mldeck.golden_datasets (deployment, file_name, content, sha256, row_count, "
                        "target_column, segment_column) VALUES ($1, $2, decode($3, 'base64'), $4, $5, $6, $7) "
                        "ON CONFLICT (deployment) DO UPDATE SET file_name = EXCLUDED.file_name, content = "
                        "EXCLUDED.content, sha256 = EXCLUDED.sha256, row_count = EXCLUDED.row_count, target_column = "
                        "EXCLUDED.target_column, segment_column = EXCLUDED.segment_column, updated_at = now(), "
                        "updated_by = session_user RETURNING ") +
                kGoldenColumns,
            pg::utf8(g.deployment), pg::utf8(g.fileName), g.content.toBase64().toStdString(), g.sha256.toStdString(),
            g.rows, pg::utf8(g.targetColumn), orNull(g.segmentColumn));
        AuditRecord a = AuditRecord::make(QStringLiteral("models.golden"), g.deployment, actor, QString());
        if (!old.empty())
            a.before = goldenOf(old[0]).toJson();
        a.after = goldenOf(now).toJson();
        pg::writeAudit(tx, a);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the golden dataset of \"%1\"").arg(g.deployment));
    }
}

Result<GoldenRecord> ModelCheckStore::removeGolden(const QString &deployment, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result old = tx.exec_params(
            std::string("DELETE FROM mldeck.golden_datasets WHERE deployment = $1 RETURNING ") + kGoldenColumns,
            pg::utf8(deployment));
        if (old.empty())
            return Error{StoreText::tr("Deployment \"%1\" has no golden dataset; nothing changed.").arg(deployment)};
        GoldenRecord removed = goldenOf(old[0]);
        AuditRecord a = AuditRecord::make(QStringLiteral("models.golden"), deployment, actor, QString());
        a.before = removed.toJson();
        pg::writeAudit(tx, a);
        tx.commit();
        return removed;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("removing the golden dataset of \"%1\"").arg(deployment));
    }
}

Result<std::optional<QJsonObject>> ModelCheckStore::loadSettings(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT settings::text FROM mldeck.model_check_settings WHERE deployment = $1", pg::utf8(deployment));
        if (r.empty())
            return std::optional<QJsonObject>();
        return std::optional<QJsonObject>(pg::jsonObject(r[0][0]));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the model checks of \"%1\"").arg(deployment));
    }
}

Status ModelCheckStore::saveSettings(const QString &deployment, const QJsonObject &settings, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result old =
            tx.exec_params("SELECT settings::text FROM mldeck.model_check_settings WHERE deployment = $1 FOR UPDATE",
                           pg::utf8(deployment));
        tx.exec_params("INSERT INTO mldeck.model_check_settings (deployment, settings) VALUES ($1, $2::jsonb) "
                       "ON CONFLICT (deployment) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now(), "
                       "updated_by = session_user",
                       pg::utf8(deployment), json(settings));
        AuditRecord a = AuditRecord::make(QStringLiteral("models.checks"), deployment, actor, QString());
        if (!old.empty())
            a.before = pg::jsonObject(old[0][0]);
        a.after = settings;
        pg::writeAudit(tx, a);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("storing the model checks of \"%1\"").arg(deployment));
    }
}

Result<qint64> ModelCheckStore::insertRun(const QString &deployment, qint64 modelId,
                                          std::optional<qint64> championModelId, const QByteArray &goldenSha256,
                                          const QByteArray &settingsSha256, const QString &purpose, bool passed,
                                          const QJsonObject &report)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1(
            "INSERT INTO mldeck.model_check_runs (deployment, model_id, champion_model_id, golden_sha256, "
            "settings_sha256, purpose, passed, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING id",
            pg::utf8(deployment), modelId, championModelId, goldenSha256.toStdString(), settingsSha256.toStdString(),
            pg::utf8(purpose), passed, json(report));
        tx.commit();
        return r[0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the model checks' results of \"%1\"").arg(deployment));
    }
}

namespace {

constexpr char kRunColumns[] =
    "id, model_id, purpose, passed, report::text, (extract(epoch FROM ran_at) * 1000)::bigint, "
    "ran_by";

CheckRunRecord runOf(const pqxx::row &r)
{
    CheckRunRecord c;
    c.id = r[0].as<qint64>();
    c.modelId = r[1].as<qint64>();
    c.purpose = pg::text(r[2]);
    c.passed = r[3].as<bool>();
    c.report = pg::jsonObject(r[4]);
    c.ranAt = pg::msecs(r[5]);
    c.ranBy = pg::text(r[6]);
    return c;
}

} // namespace

Result<std::optional<CheckRunRecord>> ModelCheckStore::reusableRun(const QString &deployment, qint64 modelId,
                                                                   std::optional<qint64> championModelId,
                                                                   const QByteArray &goldenSha256,
                                                                   const QByteArray &settingsSha256)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            std::string("SELECT ") + kRunColumns +
                " FROM mldeck.model_check_runs WHERE deployment = $1 AND model_id = $2 AND champion_model_id IS NOT "
                "DISTINCT FROM $3 AND golden_sha256 = $4 AND settings_sha256 = $5 ORDER BY id DESC LIMIT 1",
            pg::utf8(deployment), modelId, championModelId, goldenSha256.toStdString(), settingsSha256.toStdString());
        if (r.empty())
            return std::optional<CheckRunRecord>();
        return std::optional<CheckRunRecord>(runOf(r[0]));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the model checks' results of \"%1\"").arg(deployment));
    }
}

Result<bool> ModelCheckStore::mayRecordRuns()
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx.exec1("SELECT has_table_privilege('mldeck.model_check_runs', 'INSERT')")[0].as<bool>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the privileges of the session"));
    }
}

Result<QHash<qint64, CheckRunRecord>> ModelCheckStore::latestByModel(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows =
            tx.exec_params(std::string("SELECT DISTINCT ON (model_id) ") + kRunColumns +
                               " FROM mldeck.model_check_runs WHERE deployment = $1 ORDER BY model_id, id DESC",
                           pg::utf8(deployment));
        QHash<qint64, CheckRunRecord> out;
        for (const auto &r : rows) {
            CheckRunRecord c = runOf(r);
            out.insert(c.modelId, c);
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the model checks' results of \"%1\"").arg(deployment));
    }
}

Status ModelCheckStore::setRetrainChecks(qint64 runId, const QJsonObject &report)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("UPDATE mldeck.retrain_runs SET checks = $2::jsonb WHERE id = $1", runId, json(report));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the model checks of retrain run %1").arg(runId));
    }
}

} // namespace mldeck
