#include "core/store/pg/DriftData.h"

#include "core/Text.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"
#include "core/store/pg/RawRowsCheck.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <cmath>

namespace mldeck {

namespace {

std::string json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// The predicted value of a logged row: a classifier's predicted probability (binary: of the positive
// class, from the vector or from the served class's probability; multi-class: the confidence), else
// `predicted`. $K is the number of classes (0: regression); the query names that parameter.
#define PREDICTED_SCORE                                                                                                \
    "CASE WHEN cardinality(p.probabilities) = 2 THEN p.probabilities[2]::float8 "                                      \
    "WHEN p.predicted_class = 0 AND $K::int = 2 THEN 1 - p.predicted ELSE p.predicted END"

// Copies log rows into snapshot $1 (a snapshot keeps each row's score, latest outcome, features, path and time);
// the caller adds the rows' condition and order.
#define SNAPSHOT_ROWS_FROM_LOG                                                                                         \
    "INSERT INTO mldeck.drift_snapshot_rows (snapshot_id, predicted, actual, numeric, categorical, predicted_class, "  \
    "path, ts) "                                                                                                       \
    "SELECT $1, " PREDICTED_SCORE ", (SELECT o.actual FROM mldeck.outcomes o "                                         \
    "  WHERE o.deployment = p.deployment AND o.request_key = p.request_key "                                           \
    "  ORDER BY o.observed_at DESC, o.id DESC LIMIT 1), p.numeric, p.categorical, p.predicted_class, p.path, p.ts "    \
    "FROM mldeck.predictions p WHERE "

// A classifier's classes, in the order of its output (empty: regression, or not known yet).
Result<QStringList> classesOf(pqxx::transaction_base &tx, const QString &deployment)
{
    const pqxx::result r =
        tx.exec_params("SELECT classes::text FROM mldeck.deployments WHERE name = $1 AND task = 'classification' "
                       "AND classes IS NOT NULL",
                       pg::utf8(deployment));
    if (r.empty())
        return QStringList();
    return pgtext::parseTextArray(QString::fromUtf8(r[0][0].c_str()));
}

// The query with its $K replaced by the parameter number `n` (the loaders pass the class count last).
std::string withClassCount(const char *sql, int n)
{
    return QString::fromUtf8(sql).replace(QStringLiteral("$K"), QStringLiteral("$%1").arg(n)).toStdString();
}

// Columns in schema order, then the prediction and the target; a classifier's predicted class and
// true class are categories (class names), for the prior shift.
drift::Dataset emptyDataset(const FeatureSchema &schema, const QStringList &classes)
{
    drift::Dataset d;
    for (const FeatureSpec &f : schema.features) {
        drift::Column c;
        c.name = f.name;
        c.kind = f.kind == FeatureSpec::Kind::Numeric ? drift::FeatureKind::Numeric : drift::FeatureKind::Categorical;
        d.columns.push_back(c);
    }
    for (const QString &name : {kDriftPredictionFeature, kDriftTargetFeature}) {
        drift::Column c;
        c.name = name;
        if (name == kDriftTargetFeature && !classes.isEmpty())
            c.kind = drift::FeatureKind::Categorical;
        d.columns.push_back(c);
    }
    if (!classes.isEmpty()) {
        drift::Column c;
        c.name = kDriftPredictedClassFeature;
        c.kind = drift::FeatureKind::Categorical;
        d.columns.push_back(c);
    }
    return d;
}

// The name of class index `value` (null: not a class index of the deployment: missing).
QString className(const QStringList &classes, const pqxx::field &value)
{
    if (value.is_null())
        return {};
    const double v = value.as<double>();
    return v == std::floor(v) && v >= 0 && v < double(classes.size()) ? classes.at(qsizetype(v)) : QString();
}

// Appends rows (numeric text, categorical text, predicted, actual, predicted class) to the dataset's
// columns.
Status appendRows(drift::Dataset &d, const FeatureSchema &schema, const QStringList &classes, const pqxx::result &rows)
{
    const QStringList numericNames = schema.numericNames();
    const QStringList categoricalNames = schema.categoricalNames();
    std::vector<int> numericIndex, categoricalIndex;
    for (std::size_t k = 0; k < schema.features.size(); ++k)
        (schema.features[k].kind == FeatureSpec::Kind::Numeric ? numericIndex : categoricalIndex).push_back(int(k));
    const std::size_t predIdx = schema.features.size(), targetIdx = predIdx + 1;
    for (auto &c : d.columns) {
        if (c.kind == drift::FeatureKind::Numeric)
            c.numeric.reserve(c.numeric.size() + rows.size());
    }
    for (const auto &row : rows) {
        const auto num =
            pgtext::parseRealArray(row[0].is_null() ? QStringLiteral("{}") : QString::fromUtf8(row[0].c_str()));
        const auto cat =
            pgtext::parseTextArray(row[1].is_null() ? QStringLiteral("{}") : QString::fromUtf8(row[1].c_str()));
        if (!num || !cat)
            return Error{StoreText::tr("A logged prediction has unreadable feature values: %1")
                             .arg(num ? cat.errorMessage() : num.errorMessage())};
        for (std::size_t k = 0; k < numericIndex.size(); ++k)
            d.columns[numericIndex[k]].numeric.push_back(k < num->size() ? double((*num)[k]) : std::nan(""));
        for (std::size_t k = 0; k < categoricalIndex.size(); ++k)
            d.columns[categoricalIndex[k]].categorical
                << (qsizetype(k) < cat->size() ? cat->at(qsizetype(k)) : QString());
        d.columns[predIdx].numeric.push_back(row[2].is_null() ? std::nan("") : row[2].as<double>());
        if (classes.isEmpty()) {
            d.columns[targetIdx].numeric.push_back(row[3].is_null() ? std::nan("") : row[3].as<double>());
            continue;
        }
        d.columns[targetIdx].categorical << className(classes, row[3]);
        d.columns[targetIdx + 1].categorical << className(classes, row[4]);
    }
    return {};
}

} // namespace

DriftData::DriftData(PgConnection &conn) : m_conn(conn) {}

Result<FeatureSchema> DriftData::latestSchema(const QString &deployment)
{
    if (!DeploymentStore::isValidName(deployment))
        return Error{StoreText::tr("\"%1\" is not a deployment name.").arg(deployment)};
    int id = 0;
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("SELECT max(id) FROM mldeck.feature_schemas WHERE deployment = $1", pg::utf8(deployment));
        if (r.empty() || r[0][0].is_null())
            return Error{StoreText::tr("Deployment \"%1\" does not exist or has no feature schema.").arg(deployment)};
        id = r[0][0].as<int>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the feature schema of \"%1\"").arg(deployment));
    }
    return DeploymentStore(m_conn).featureSchema(deployment, id);
}

Result<bool> DriftData::hasSchema(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT EXISTS (SELECT 1 FROM mldeck.feature_schemas WHERE deployment = $1)",
                          pg::utf8(deployment))[0]
            .as<bool>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the feature schema of \"%1\"").arg(deployment));
    }
}

Result<drift::Dataset> DriftData::loadWindow(const QString &deployment, const FeatureSchema &schema, qint64 fromMicros,
                                             qint64 toMicros, qint64 maxRows, bool withTarget)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::rawRowsGone(tx, deployment, fromMicros); !gone.isEmpty())
            return Error{gone};
        const auto classes = classesOf(tx, deployment);
        if (!classes)
            return classes.error();
        drift::Dataset d = emptyDataset(schema, *classes);
        const pqxx::result rows = tx.exec_params(
            withClassCount(withTarget ? "SELECT p.numeric::text, p.categorical::text, " PREDICTED_SCORE ", "
                                        "  (SELECT o.actual FROM mldeck.outcomes o WHERE o.deployment = p.deployment "
                                        "     AND o.request_key = p.request_key ORDER BY o.observed_at DESC, o.id DESC "
                                        "     LIMIT 1), p.predicted_class "
                                        "FROM mldeck.predictions p WHERE p.deployment = $1 AND p.ts >= $2::timestamptz "
                                        "AND p.ts < $3::timestamptz "
                                        "AND p.feature_schema = $4 AND NOT p.failed ORDER BY p.ts DESC LIMIT $5"
                                      : "SELECT p.numeric::text, p.categorical::text, " PREDICTED_SCORE ", "
                                        "  NULL::float8, p.predicted_class "
                                        "FROM mldeck.predictions p WHERE p.deployment = $1 AND p.ts >= $2::timestamptz "
                                        "AND p.ts < $3::timestamptz "
                                        "AND p.feature_schema = $4 AND NOT p.failed ORDER BY p.ts DESC LIMIT $5",
                           6),
            pg::utf8(deployment), pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros), schema.id, maxRows,
            int(classes->size()));
        if (auto s = appendRows(d, schema, *classes, rows); !s)
            return s.error();
        return d;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the predictions of \"%1\"").arg(deployment));
    }
}

Result<qint64> DriftData::countRows(const QString &deployment, const FeatureSchema &schema, qint64 limit)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT count(*) FROM (SELECT 1 FROM mldeck.predictions WHERE deployment = $1 "
                          "AND feature_schema = $2 AND NOT failed LIMIT $3) r",
                          pg::utf8(deployment), schema.id, limit)[0]
            .as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("counting the predictions of \"%1\"").arg(deployment));
    }
}

Result<drift::Dataset> DriftData::loadFirstRows(const QString &deployment, const FeatureSchema &schema, qint64 rows)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::firstRowsGone(tx, deployment, rows); !gone.isEmpty())
            return Error{gone};
        const auto classes = classesOf(tx, deployment);
        if (!classes)
            return classes.error();
        drift::Dataset d = emptyDataset(schema, *classes);
        const pqxx::result r = tx.exec_params(
            withClassCount(
                "SELECT p.numeric::text, p.categorical::text, " PREDICTED_SCORE ", "
                "  (SELECT o.actual FROM mldeck.outcomes o WHERE o.deployment = p.deployment "
                "     AND o.request_key = p.request_key ORDER BY o.observed_at DESC, o.id DESC LIMIT 1), "
                "  p.predicted_class "
                "FROM mldeck.predictions p WHERE p.deployment = $1 AND p.feature_schema = $2 AND NOT p.failed "
                "ORDER BY p.ts LIMIT $3",
                4),
            pg::utf8(deployment), schema.id, rows, int(classes->size()));
        if (auto st = appendRows(d, schema, *classes, r); !st)
            return st.error();
        return d;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the first predictions of \"%1\"").arg(deployment));
    }
}

Result<drift::Dataset> DriftData::loadSnapshot(const QString &deployment, const QString &name,
                                               const FeatureSchema &schema)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const auto classes = classesOf(tx, deployment);
        if (!classes)
            return classes.error();
        drift::Dataset d = emptyDataset(schema, *classes);
        const pqxx::result s =
            tx.exec_params("SELECT id, feature_schema FROM mldeck.drift_snapshots WHERE deployment = $1 AND name = $2",
                           pg::utf8(deployment), pg::utf8(name));
        if (s.empty())
            return Error{StoreText::tr("Deployment \"%1\" has no drift snapshot named \"%2\".").arg(deployment, name)};
        if (s[0][1].as<int>() != schema.id)
            return Error{
                StoreText::tr("Snapshot \"%1\" was taken with feature schema %2, the log now uses %3: take a new one.")
                    .arg(name)
                    .arg(s[0][1].as<int>())
                    .arg(schema.id)};
        const pqxx::result rows =
            tx.exec_params("SELECT numeric::text, categorical::text, predicted, actual, predicted_class "
                           "FROM mldeck.drift_snapshot_rows WHERE snapshot_id = $1",
                           s[0][0].as<qint64>());
        if (auto st = appendRows(d, schema, *classes, rows); !st)
            return st.error();
        return d;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading drift snapshot \"%1\"").arg(name));
    }
}

Result<qint64> DriftData::createSnapshot(const QString &deployment, const QString &name, const FeatureSchema &schema,
                                         qint64 fromMicros, qint64 toMicros, qint64 maxRows)
{
    if (!DeploymentStore::isValidName(name))
        return Error{StoreText::tr("\"%1\" is not a valid snapshot name.").arg(name)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const auto classes = classesOf(tx, deployment);
        if (!classes)
            return classes.error();
        tx.exec_params("DELETE FROM mldeck.drift_snapshots WHERE deployment = $1 AND name = $2", pg::utf8(deployment),
                       pg::utf8(name));
        const qint64 id =
            tx.exec_params1(
                  "INSERT INTO mldeck.drift_snapshots (deployment, name, feature_schema, period_from, period_to) "
                  "VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz) RETURNING id",
                  pg::utf8(deployment), pg::utf8(name), schema.id, pgtext::timestamp(fromMicros),
                  pgtext::timestamp(toMicros))[0]
                .as<qint64>();
        const pqxx::result n = tx.exec_params(
            withClassCount(
                SNAPSHOT_ROWS_FROM_LOG
                "p.deployment = $2 AND p.ts >= $3::timestamptz "
                "AND p.ts < $4::timestamptz AND p.feature_schema = $5 AND NOT p.failed ORDER BY p.ts DESC LIMIT $6",
                7),
            id, pg::utf8(deployment), pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros), schema.id, maxRows,
            int(classes->size()));
        const qint64 count = qint64(n.affected_rows());
        if (count == 0)
            return Error{
                StoreText::tr("No prediction of \"%1\" in that period: the snapshot would be empty.").arg(deployment)};
        tx.exec_params("UPDATE mldeck.drift_snapshots SET row_count = $2 WHERE id = $1", id, count);
        tx.commit();
        return count;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("storing drift snapshot \"%1\"").arg(name));
    }
}

Result<bool> DriftData::snapshotExists(const QString &deployment, const QString &name)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return !tx.exec_params("SELECT 1 FROM mldeck.drift_snapshots WHERE deployment = $1 AND name = $2",
                               pg::utf8(deployment), pg::utf8(name))
                    .empty();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("looking for drift snapshot \"%1\"").arg(name));
    }
}

Result<QStringList> DriftData::snapshotNames(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        QStringList out;
        for (const auto &r : tx.exec_params(
                 "SELECT name FROM mldeck.drift_snapshots WHERE deployment = $1 ORDER BY name", pg::utf8(deployment)))
            out << QString::fromUtf8(r[0].c_str());
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("listing the drift snapshots of \"%1\"").arg(deployment));
    }
}

Result<std::pair<qint64, qint64>> DriftData::championTrainingWindow(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT (extract(epoch FROM m.train_from) * 1000000)::bigint, "
                                              "(extract(epoch FROM m.train_to) * 1000000)::bigint "
                                              "FROM mldeck.model_aliases a JOIN mldeck.models m ON m.id = a.model_id "
                                              "WHERE a.deployment = $1 AND a.alias = 'champion'",
                                              pg::utf8(deployment));
        if (r.empty() || r[0][0].is_null() || r[0][1].is_null())
            return Error{
                StoreText::tr("The champion model of \"%1\" has no training window recorded.").arg(deployment)};
        return std::pair<qint64, qint64>{r[0][0].as<qint64>(), r[0][1].as<qint64>()};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the champion model of \"%1\"").arg(deployment));
    }
}

Result<qint64> DriftData::firstLoggedMicros(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT (extract(epoch FROM min(ts)) * 1000000)::bigint FROM mldeck.predictions WHERE deployment = $1",
            pg::utf8(deployment));
        if (r.empty() || r[0][0].is_null())
            return Error{StoreText::tr("Deployment \"%1\" has logged no prediction yet.").arg(deployment)};
        return r[0][0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the log of \"%1\"").arg(deployment));
    }
}

namespace {

DriftData::ImageKeySample imageKeys(const pqxx::result &rows)
{
    DriftData::ImageKeySample out;
    for (const auto &r : rows) {
        out.keys << QString::fromUtf8(r[0].c_str());
        out.population = r[1].as<qint64>();
    }
    return out;
}

} // namespace

Result<DriftData::ImageKeySample> DriftData::sampleImageKeys(const QString &deployment, const FeatureSchema &schema,
                                                             qint64 fromMicros, qint64 toMicros, qint64 n)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::rawRowsGone(tx, deployment, fromMicros); !gone.isEmpty())
            return Error{gone};
        return imageKeys(tx.exec_params(
            "SELECT p.image_key, count(*) OVER () FROM mldeck.predictions p WHERE p.deployment = $1 "
            "AND p.ts >= $2::timestamptz AND p.ts < $3::timestamptz AND p.feature_schema = $4 AND NOT p.failed "
            "AND p.image_key IS NOT NULL ORDER BY md5(p.request_key) LIMIT $5",
            pg::utf8(deployment), pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros), schema.id, n));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the image keys of \"%1\"").arg(deployment));
    }
}

Result<DriftData::ImageKeySample> DriftData::sampleFirstImageKeys(const QString &deployment,
                                                                  const FeatureSchema &schema, qint64 rows, qint64 n)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::firstRowsGone(tx, deployment, rows); !gone.isEmpty())
            return Error{gone};
        return imageKeys(tx.exec_params(
            "SELECT r.image_key, count(*) OVER () FROM (SELECT p.request_key, p.image_key FROM mldeck.predictions p "
            "WHERE p.deployment = $1 AND p.feature_schema = $2 AND NOT p.failed ORDER BY p.ts LIMIT $3) r "
            "WHERE r.image_key IS NOT NULL ORDER BY md5(r.request_key) LIMIT $4",
            pg::utf8(deployment), schema.id, rows, n));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the image keys of \"%1\"").arg(deployment));
    }
}

Result<QJsonObject> DriftData::driftSettings(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT coalesce(settings -> 'drift', '{}'::jsonb)::text FROM mldeck.deployments WHERE name = $1",
            pg::utf8(deployment));
        if (r.empty())
            return Error{StoreText::tr("Deployment \"%1\" does not exist.").arg(deployment)};
        return pg::jsonObject(r[0][0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the drift settings of \"%1\"").arg(deployment));
    }
}

namespace {

// settings -> 'drift' := settings and its audit row, in `tx` (the caller commits).
void writeDriftSettings(pqxx::work &tx, const QString &deployment, const QJsonObject &settings, AuditRecord record)
{
    const pqxx::row before =
        tx.exec_params1("SELECT mldeck.drift_set_settings($1, $2::jsonb)::text", pg::utf8(deployment), json(settings));
    record.before = pg::jsonObject(before[0]);
    record.after = settings;
    pg::writeAudit(tx, record);
}

Status checkSettings(const QString &deployment, const QJsonObject &settings)
{
    if (const auto c = drift::DriftConfig::fromJson(settings); !c)
        return Error{StoreText::tr("Drift settings of \"%1\" not saved: %2").arg(deployment, c.errorMessage())};
    return {};
}

} // namespace

Status DriftData::setDriftSettings(const QString &deployment, const QJsonObject &settings, const Actor &actor,
                                   const QString &reason, const QString &action)
{
    if (auto s = checkSettings(deployment, settings); !s)
        return s;
    try {
        // The change and its audit row commit together or not at all.
        pqxx::work tx(pg::raw(m_conn));
        writeDriftSettings(tx, deployment, settings, AuditRecord::make(action, deployment, actor, reason));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("saving the drift settings of \"%1\" (nothing was changed)").arg(deployment));
    }
}

Result<qint64> DriftData::setDriftSettingsWithSnapshot(const QString &deployment, const QJsonObject &settings,
                                                       const QString &name, const FeatureSchema &schema,
                                                       const std::vector<SnapshotRow> &rows, const Actor &actor,
                                                       const QString &reason)
{
    if (!DeploymentStore::isValidName(name))
        return Error{StoreText::tr("\"%1\" is not a valid snapshot name.").arg(name)};
    if (rows.empty())
        return Error{StoreText::tr("Snapshot \"%1\" would be empty: nothing was changed.").arg(name)};
    if (auto s = checkSettings(deployment, settings); !s)
        return s.error();
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("DELETE FROM mldeck.drift_snapshots WHERE deployment = $1 AND name = $2", pg::utf8(deployment),
                       pg::utf8(name));
        const qint64 id = tx.exec_params1("INSERT INTO mldeck.drift_snapshots (deployment, name, feature_schema, "
                                          "row_count) VALUES ($1, $2, $3, $4) RETURNING id",
                                          pg::utf8(deployment), pg::utf8(name), schema.id, qint64(rows.size()))[0]
                              .as<qint64>();
        {
            // libpqxx 6 pastes the table name into COPY as given: schema-qualified and unquoted on purpose.
            pqxx::stream_to copy(
                tx, "mldeck.drift_snapshot_rows",
                std::vector<std::string>{"snapshot_id", "predicted", "actual", "numeric", "categorical"});
            const std::string idText = std::to_string(id);
            for (const SnapshotRow &r : rows) {
                const std::string predicted = r.predicted ? pgtext::float8(*r.predicted) : std::string();
                const std::string actual = r.actual ? pgtext::float8(*r.actual) : std::string();
                const std::string numeric = pgtext::realArray(r.numeric);
                const std::string categorical = pgtext::textArray(r.categorical);
                copy << std::make_tuple(idText.c_str(), r.predicted ? predicted.c_str() : nullptr,
                                        r.actual ? actual.c_str() : nullptr, numeric.c_str(), categorical.c_str());
            }
            copy.complete();
        }
        writeDriftSettings(tx, deployment, settings,
                           AuditRecord::make(QStringLiteral("drift.reference"), deployment, actor, reason));
        tx.commit();
        return qint64(rows.size());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing drift snapshot \"%1\" (nothing was changed)").arg(name));
    }
}

Result<std::optional<DriftData::FrozenFirstRows>> DriftData::freezeFirstRows(const QString &deployment,
                                                                             const FeatureSchema &schema, qint64 rows,
                                                                             qint64 nowSecs, QJsonObject settings,
                                                                             const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        // Rows already removed: a copy now would hold other rows than the reference's (its readers refuse).
        if (!pg::firstRowsGone(tx, deployment, rows).isEmpty())
            return std::optional<FrozenFirstRows>();
        const pqxx::result first =
            tx.exec_params("SELECT ts < mldeck.retention_cutoff($1, to_timestamp($3::bigint)) FROM mldeck.predictions "
                           "WHERE deployment = $1 AND feature_schema = $2 AND NOT failed ORDER BY ts LIMIT 1",
                           pg::utf8(deployment), schema.id, std::to_string(nowSecs));
        if (first.empty() || !first[0][0].as<bool>())
            return std::optional<FrozenFirstRows>(); // nothing of the reference is past retention yet
        const auto classes = classesOf(tx, deployment);
        if (!classes)
            return classes.error();
        // A free name: a snapshot someone stored is never replaced.
        FrozenFirstRows frozen{QStringLiteral("first-rows"), 0};
        for (int i = 2; !tx.exec_params("SELECT 1 FROM mldeck.drift_snapshots WHERE deployment = $1 AND name = $2",
                                        pg::utf8(deployment), pg::utf8(frozen.snapshot))
                             .empty();
             ++i)
            frozen.snapshot = QStringLiteral("first-rows-%1").arg(i);
        // Its period is that of the rows, so that what reads the reference's period finds the same rows.
        const pqxx::row span = tx.exec_params1(
            "SELECT min(ts), max(ts) + interval '1 microsecond' FROM (SELECT ts FROM mldeck.predictions "
            "WHERE deployment = $1 AND feature_schema = $2 AND NOT failed ORDER BY ts LIMIT $3) r",
            pg::utf8(deployment), schema.id, rows);
        const qint64 id = tx.exec_params1("INSERT INTO mldeck.drift_snapshots (deployment, name, feature_schema, "
                                          "period_from, period_to) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                                          pg::utf8(deployment), pg::utf8(frozen.snapshot), schema.id, span[0].c_str(),
                                          span[1].c_str())[0]
                              .as<qint64>();
        const pqxx::result n = tx.exec_params(
            withClassCount(SNAPSHOT_ROWS_FROM_LOG "p.deployment = $2 AND p.feature_schema = $3 AND NOT p.failed "
                                                  "ORDER BY p.ts LIMIT $4",
                           5),
            id, pg::utf8(deployment), schema.id, rows, int(classes->size()));
        frozen.rows = qint64(n.affected_rows());
        tx.exec_params("UPDATE mldeck.drift_snapshots SET row_count = $2 WHERE id = $1", id, frozen.rows);
        drift::ReferenceSpec spec;
        spec.kind = drift::ReferenceSpec::Kind::Snapshot;
        spec.snapshot = frozen.snapshot;
        settings.insert(QStringLiteral("reference"), spec.toString());
        if (auto s = checkSettings(deployment, settings); !s)
            return s.error();
        writeDriftSettings(tx, deployment, settings,
                           AuditRecord::make(QStringLiteral("drift.reference"), deployment, actor,
                                             StoreText::tr("retention would remove the first %1 logged predictions: "
                                                           "kept as snapshot %2 (%3 rows)")
                                                 .arg(rows)
                                                 .arg(frozen.snapshot)
                                                 .arg(frozen.rows)));
        tx.commit();
        return std::optional<FrozenFirstRows>(frozen);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("keeping the first predictions of \"%1\" as a snapshot").arg(deployment));
    }
}

Result<QHash<QString, DriftData::StateRow>> DriftData::loadState(const QString &deployment)
{
    QHash<QString, StateRow> out;
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT feature, consecutive_drift, consecutive_clean, firing, (extract(epoch FROM since) * 1000)::bigint, "
            "(extract(epoch FROM last_window_end) * 1000)::bigint FROM mldeck.drift_state WHERE deployment = $1",
            pg::utf8(deployment));
        for (const auto &r : rows) {
            StateRow s;
            s.state.consecutiveDrift = r[1].as<int>();
            s.state.consecutiveClean = r[2].as<int>();
            s.state.firing = r[3].as<bool>();
            if (!r[4].is_null())
                s.state.since = QDateTime::fromMSecsSinceEpoch(r[4].as<qint64>(), Qt::UTC);
            s.lastWindowEndMs = r[5].is_null() ? 0 : r[5].as<qint64>();
            out.insert(QString::fromUtf8(r[0].c_str()), s);
        }
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the drift state of \"%1\"").arg(deployment));
    }
    return out;
}

Status DriftData::saveState(const QString &deployment, const QHash<QString, StateRow> &states)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        for (auto it = states.begin(); it != states.end(); ++it) {
            const StateRow &s = it.value();
            tx.exec_params(
                "INSERT INTO mldeck.drift_state (deployment, feature, consecutive_drift, consecutive_clean, firing, "
                "since, "
                "  last_window_end, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, to_timestamp(nullif($6::bigint, -1) / 1000.0), "
                "to_timestamp(nullif($7::bigint, 0) / 1000.0), now()) "
                "ON CONFLICT (deployment, feature) DO UPDATE SET consecutive_drift = EXCLUDED.consecutive_drift, "
                "  consecutive_clean = EXCLUDED.consecutive_clean, firing = EXCLUDED.firing, since = EXCLUDED.since, "
                "  last_window_end = EXCLUDED.last_window_end, updated_at = now()",
                pg::utf8(deployment), pg::utf8(it.key()), s.state.consecutiveDrift, s.state.consecutiveClean,
                s.state.firing, s.state.since.isValid() ? s.state.since.toMSecsSinceEpoch() : qint64(-1),
                s.lastWindowEndMs);
        }
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("saving the drift state of \"%1\"").arg(deployment));
    }
}

Status DriftData::recordScores(const QString &deployment, qint64 windowEndMicros, qint64 windowSeconds,
                               const drift::DatasetDrift &result, const drift::MultivariateDrift *multivariate)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        auto insert = [&](const QString &feature, const QString &test, double score, std::optional<double> p,
                          double threshold, double effect, bool drift, bool enough, qint64 nRef, qint64 nCur) {
            auto num = [](double v) { return std::isfinite(v) ? pgtext::float8(v) : std::string(); };
            tx.exec_params(
                "INSERT INTO mldeck.drift_scores (deployment, feature, window_end, window_seconds, test, score, "
                "p_value, "
                "  threshold, effect_size, drift, enough_samples, reference_rows, current_rows) "
                "VALUES ($1, $2, $3::timestamptz, $4, $5, nullif($6, '')::float8, nullif($7, '')::float8, $8, "
                "  nullif($9, '')::float8, $10, $11, $12, $13)",
                pg::utf8(deployment), pg::utf8(feature), pgtext::timestamp(windowEndMicros), windowSeconds,
                pg::utf8(test), num(score), p ? num(*p) : std::string(), threshold, num(effect), drift, enough, nRef,
                nCur);
        };
        for (const auto &f : result.features)
            insert(f.name, drift::testKey(f.test), f.statistic, f.pValue, f.threshold, f.effectSize, f.drift,
                   f.enoughSamples, f.referenceCount, f.currentCount);
        insert(kDriftDatasetFeature, QStringLiteral("share"), result.share, std::nullopt, result.shareThreshold, 0,
               result.datasetDrift, result.considered > 0, 0, 0);
        if (const drift::MultivariateDrift *m = multivariate) {
            const bool band = m->enoughSamples;
            auto num = [](double v) { return std::isfinite(v) ? pgtext::float8(v) : std::string(); };
            tx.exec_params(
                "INSERT INTO mldeck.drift_scores (deployment, feature, window_end, window_seconds, test, score, "
                "  threshold, drift, enough_samples, reference_rows, current_rows, band_low, band_high, components, "
                "  variance_share) "
                // threshold is NOT NULL: a window without a band keeps the last band's upper edge (0 before any),
                // so that a reader drawing the threshold sees no jump.
                "VALUES ($1, $2, $3::timestamptz, $4, 'pca', nullif($5, '')::float8, "
                "  coalesce(nullif($6, '')::float8, (SELECT band_high FROM mldeck.drift_scores WHERE deployment = $1 "
                "    AND feature = $2 AND band_high IS NOT NULL ORDER BY window_end DESC LIMIT 1), 0), $7, $8, $9, "
                "  $10, nullif($11, '')::float8, nullif($12, '')::float8, $13, $14)",
                pg::utf8(deployment), pg::utf8(kDriftMultivariateFeature), pgtext::timestamp(windowEndMicros),
                windowSeconds, m->currentRows > 0 ? num(m->value) : std::string(), band ? num(m->upper) : std::string(),
                m->drift, band, m->referenceRows, m->currentRows, band ? num(m->lower) : std::string(),
                band ? num(m->upper) : std::string(), m->components, m->varianceShare);
        }
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("saving drift scores of \"%1\"").arg(deployment));
    }
}

Result<QList<DriftScorePoint>> DriftData::scoreHistory(const QString &deployment, int perFeature)
{
    QList<DriftScorePoint> out;
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result rows = tx.exec_params(
            "SELECT feature, (extract(epoch FROM window_end) * 1000)::bigint, test, coalesce(score, 'NaN'), threshold, "
            "drift, band_low, band_high, coalesce(components, 0), coalesce(variance_share, 0) "
            "FROM (SELECT *, row_number() OVER (PARTITION BY feature ORDER BY window_end DESC) AS k "
            "      FROM mldeck.drift_scores WHERE deployment = $1) s WHERE k <= $2 ORDER BY feature, window_end",
            pg::utf8(deployment), std::max(1, perFeature));
        for (const auto &r : rows) {
            DriftScorePoint p;
            p.feature = QString::fromUtf8(r[0].c_str());
            p.windowEndMs = r[1].as<qint64>();
            p.test = QString::fromUtf8(r[2].c_str());
            p.score = r[3].as<double>();
            p.threshold = r[4].as<double>();
            p.drift = r[5].as<bool>();
            if (!r[6].is_null() && !r[7].is_null()) {
                p.bandLow = r[6].as<double>();
                p.bandHigh = r[7].as<double>();
            }
            p.components = r[8].as<int>();
            p.varianceShare = r[9].as<double>();
            out << p;
        }
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading drift scores of \"%1\"").arg(deployment));
    }
    return out;
}

} // namespace mldeck
