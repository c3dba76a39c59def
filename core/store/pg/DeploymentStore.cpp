#include "core/store/pg/DeploymentStore.h"
#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

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

} // namespace

DeploymentStore::DeploymentStore(PgConnection &conn) : m_conn(conn) {}

bool DeploymentStore::isValidName(const QString &deployment)
{
    // Same rule as the CHECK on mldeck.deployments.name.
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    return re.match(deployment).hasMatch();
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
        tx.exec_params("SELECT 1 FROM mldeck.deployments WHERE name = $1 FOR UPDATE", pg::utf8(deployment));
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
        for (const auto &row : tx.exec("SELECT name FROM mldeck.deployments ORDER BY name"))
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
        const QJsonArray arr = QJsonDocument::fromJson(QByteArray::fromStdString(r[0][0].as<std::string>())).array();
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
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading a feature schema of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
