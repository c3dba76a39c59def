#include "core/store/pg/EvaluationData.h"

#include "core/Text.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"
#include "core/store/pg/RawRowsCheck.h"

#include <QCoreApplication>

#include <cmath>

namespace mldeck {

EvaluationData::EvaluationData(PgConnection &conn) : m_conn(conn) {}

Result<QString> EvaluationData::soleDeployment()
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec("SELECT name FROM mldeck.deployments ORDER BY name");
        tx.commit();
        if (r.size() == 1)
            return QString::fromStdString(r[0][0].as<std::string>());
        QStringList names;
        for (const auto &row : r)
            names << QString::fromStdString(row[0].as<std::string>());
        if (names.isEmpty())
            return Error{StoreText::tr("The database has no deployment yet: nothing has been logged.")};
        return Error{StoreText::tr("Several deployments exist (%1): name one with --deployment.")
                         .arg(names.join(QStringLiteral(", ")))};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing deployments"));
    }
}

Result<Dataset> EvaluationData::load(const QString &deployment, qint64 fromMicros, qint64 toMicros)
{
    if (!DeploymentStore::isValidName(deployment))
        return Error{StoreText::tr("\"%1\" is not a deployment name.").arg(deployment)};
    if (toMicros <= fromMicros)
        return Error{StoreText::tr("The time window is empty.")};
    int schemaId = 0;
    qint64 otherSchemaRows = 0;
    Dataset ds;
    std::vector<QStringList> categoricalRows;
    std::vector<std::vector<float>> numericRows;
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::rawRowsGone(tx, deployment, fromMicros); !gone.isEmpty())
            return Error{gone};
        const std::string from = pgtext::timestamp(fromMicros), to = pgtext::timestamp(toMicros);
        const pqxx::result ids = tx.exec_params(
            "SELECT max(feature_schema) FROM mldeck.predictions WHERE deployment = $1 AND ts >= $2::timestamptz "
            "AND ts < $3::timestamptz AND NOT failed",
            pg::utf8(deployment), from, to);
        if (ids.empty() || ids[0][0].is_null())
            return Error{
                StoreText::tr("Deployment \"%1\" logged no successful prediction in the window.").arg(deployment)};
        schemaId = ids[0][0].as<int>();
        // One row per request (the first prediction logged for it), with its latest outcome.
        const pqxx::result r = tx.exec_params(
            "SELECT (extract(epoch FROM p.ts) * 1000000)::bigint, p.numeric::text, p.categorical::text, o.actual, "
            "       p.feature_schema "
            "FROM (SELECT DISTINCT ON (request_key) ts, request_key, numeric, categorical, feature_schema "
            "      FROM mldeck.predictions "
            "      WHERE deployment = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz AND NOT failed "
            "      ORDER BY request_key, ts) p "
            "JOIN mldeck.latest_outcomes o ON o.deployment = $1 AND o.request_key = p.request_key "
            "ORDER BY p.ts, p.request_key",
            pg::utf8(deployment), from, to);
        tx.commit();
        for (const auto &row : r) {
            if (row[4].as<int>() != schemaId) {
                ++otherSchemaRows;
                continue;
            }
            auto num = pgtext::parseRealArray(row[1].is_null() ? QStringLiteral("{}")
                                                               : QString::fromStdString(row[1].as<std::string>()));
            auto cat = pgtext::parseTextArray(row[2].is_null() ? QStringLiteral("{}")
                                                               : QString::fromStdString(row[2].as<std::string>()));
            if (!num || !cat)
                return Error{StoreText::tr("A logged feature array cannot be read: %1")
                                 .arg(num ? cat.errorMessage() : num.errorMessage())};
            ds.tsMicros.push_back(row[0].as<long long>());
            ds.target.push_back(row[3].as<double>());
            numericRows.push_back(std::move(num).value());
            categoricalRows.push_back(std::move(cat).value());
        }
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the evaluation window of \"%1\"").arg(deployment));
    }
    if (ds.target.empty())
        return Error{StoreText::tr("No prediction of \"%1\" in the window has an outcome yet: nothing to score.")
                         .arg(deployment)};

    auto schema = DeploymentStore(m_conn).featureSchema(deployment, schemaId);
    if (!schema)
        return schema.error();
    const QStringList numericNames = schema->numericNames();
    const QStringList categoricalNames = schema->categoricalNames();
    ds.source = StoreText::tr("%1, feature schema %2").arg(deployment).arg(schemaId);
    ds.header = numericNames + categoricalNames + QStringList{QStringLiteral("actual"), QStringLiteral("ts")};
    for (const QString &n : numericNames)
        ds.numeric[n].reserve(numericRows.size());
    for (size_t i = 0; i < numericRows.size(); ++i) {
        if (numericRows[i].size() != size_t(numericNames.size()) ||
            categoricalRows[i].size() != categoricalNames.size())
            return Error{
                StoreText::tr("A logged row does not match feature schema %1 (%2 numeric, %3 categorical values).")
                    .arg(schemaId)
                    .arg(numericRows[i].size())
                    .arg(categoricalRows[i].size())};
        for (qsizetype k = 0; k < numericNames.size(); ++k)
            ds.numeric[numericNames[k]].push_back(numericRows[i][size_t(k)]);
        for (qsizetype k = 0; k < categoricalNames.size(); ++k) {
            CategoricalColumn &col = ds.categorical[categoricalNames[k]];
            const QString &v = categoricalRows[i][k];
            qsizetype code = col.levels.indexOf(v);
            if (code < 0) {
                code = col.levels.size();
                col.levels << v;
            }
            col.codes.push_back(int(code));
        }
    }
    if (otherSchemaRows > 0)
        ds.notes << StoreText::tr("%1 rows logged with an older feature schema were left out.").arg(otherSchemaRows);
    return ds;
}

Result<EvaluationData::LabelledKeys> EvaluationData::loadImageLabels(const QString &deployment, int classes,
                                                                     qint64 fromMicros, qint64 toMicros,
                                                                     bool allowEmpty)
{
    if (!DeploymentStore::isValidName(deployment))
        return Error{StoreText::tr("\"%1\" is not a deployment name.").arg(deployment)};
    if (toMicros <= fromMicros)
        return Error{StoreText::tr("The time window is empty.")};
    LabelledKeys out;
    qint64 notClasses = 0;
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::rawRowsGone(tx, deployment, fromMicros); !gone.isEmpty())
            return Error{gone};
        const pqxx::result r = tx.exec_params(
            "SELECT p.image_key, o.actual "
            "FROM (SELECT DISTINCT ON (request_key) ts, request_key, image_key "
            "      FROM mldeck.predictions "
            "      WHERE deployment = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz AND NOT failed "
            "        AND image_key IS NOT NULL "
            "      ORDER BY request_key, ts) p "
            "JOIN mldeck.latest_outcomes o ON o.deployment = $1 AND o.request_key = p.request_key "
            "ORDER BY p.ts, p.request_key",
            pg::utf8(deployment), pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros));
        tx.commit();
        for (const auto &row : r) {
            const double y = row[1].as<double>();
            if (!(y >= 0 && y < classes && y == std::floor(y))) {
                ++notClasses;
                continue;
            }
            out.items.push_back({QString::fromStdString(row[0].as<std::string>()), int(y)});
        }
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the labelled images of \"%1\"").arg(deployment));
    }
    if (out.items.empty() && !allowEmpty)
        return Error{
            StoreText::tr(
                "No image prediction of \"%1\" in the window has a class as its outcome yet: nothing to score.")
                .arg(deployment)};
    if (notClasses > 0)
        out.notes << StoreText::tr("%n request(s) whose outcome is not a class index were left out.", nullptr,
                                   int(notClasses));
    return out;
}

} // namespace mldeck
