#include "core/store/pg/ClassificationStore.h"
#include "core/Text.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/RawRowsCheck.h"

#include <QCoreApplication>

#include <algorithm>
#include <functional>

namespace mldeck {

namespace {

constexpr qint64 kMicros = 1'000'000;

// The calibration score and outcome of the labelled predictions p of a deployment with d.k classes
// ($1 the deployment, $2 the path or NULL), p's rows chosen by the FROM clause pasted in between:
// the score exactly as 012_classification.sql's fold computes it (the logged vector when it has K
// elements, else the served class's probability; binary: P(positive)).
constexpr char kSelect[] = R"SQL(
WITH d AS (SELECT cardinality(classes) AS k FROM mldeck.deployments WHERE name = $1 AND classes IS NOT NULL)
SELECT CASE WHEN cardinality(p.probabilities) = d.k AND array_position(p.probabilities, NULL) IS NULL
            THEN p.probabilities[CASE WHEN d.k = 2 THEN 2 ELSE p.predicted_class + 1 END]::float8
            WHEN d.k = 2 AND p.predicted_class = 0 THEN 1 - p.predicted
            ELSE p.predicted END,
       CASE WHEN d.k = 2 THEN s.actual = 1 ELSE s.actual = p.predicted_class END
FROM d, )SQL";
constexpr char kLabelled[] = R"SQL(
JOIN mldeck.kpi_outcome_state s ON s.deployment = p.deployment AND s.request_key = p.request_key
WHERE NOT p.failed AND p.predicted IS NOT NULL AND p.predicted_class < d.k
  AND s.actual >= 0 AND s.actual < d.k AND s.actual = trunc(s.actual) AND ($2::text IS NULL OR p.path = $2)
ORDER BY p.ts)SQL";

QString iso(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000, Qt::UTC).toString(Qt::ISODate);
}

// `gone` is retention's check of the rows the FROM clause reads (RawRowsCheck.h): when it refuses, no row is read.
Result<ClassificationStore::LabelledRows> run(PgConnection &conn, const QString &deployment, const std::string &from,
                                              const std::string &limit, const QStringList &params,
                                              const QString &description,
                                              const std::function<QString(pqxx::transaction_base &)> &gone)
{
    const QString doing = StoreText::tr("reading the labelled predictions of \"%1\"").arg(deployment);
    try {
        pqxx::read_transaction tx(pg::raw(conn));
        const pqxx::result known =
            tx.exec_params("SELECT classes IS NOT NULL FROM mldeck.deployments WHERE name = $1", pg::utf8(deployment));
        if (known.empty())
            return Error{DeploymentStore::unknownText(deployment)};
        if (!known[0][0].as<bool>())
            return Error{StoreText::tr("Deployment \"%1\" is not a classifier with known classes.").arg(deployment)};
        if (QString why = gone(tx); !why.isEmpty()) {
            ClassificationStore::LabelledRows out;
            out.description = description;
            out.gone = std::move(why);
            return out;
        }
        const pqxx::result rows = pg::execParams(tx, std::string(kSelect) + from + kLabelled + limit, params);
        tx.commit();
        ClassificationStore::LabelledRows out;
        out.description = description;
        out.score.reserve(rows.size());
        out.outcome.reserve(rows.size());
        for (const auto &r : rows) {
            out.score.push_back(r[0].as<double>());
            out.outcome.push_back(r[1].as<bool>() ? 1 : 0);
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), doing);
    }
}

} // namespace

ClassificationStore::ClassificationStore(PgConnection &conn) : m_conn(conn) {}

Result<ClassificationStore::LabelledRows> ClassificationStore::labelledRows(const QString &deployment,
                                                                            qint64 fromMicros, qint64 toMicros,
                                                                            const QString &path, qint64 maxRows)
{
    if (toMicros <= fromMicros)
        return Error{StoreText::tr("reading labelled predictions: the range must end after it starts")};
    // Both bounds on ts: the partitions outside the range are pruned.
    const std::string from =
        "(SELECT * FROM mldeck.predictions WHERE deployment = $1 AND ts >= 'epoch'::timestamptz + $3::bigint * "
        "interval '1 microsecond' AND ts < 'epoch'::timestamptz + $4::bigint * interval '1 microsecond') p";
    return run(m_conn, deployment, from, " LIMIT $5::bigint",
               {deployment, path.isEmpty() ? QString() : path, QString::number(fromMicros), QString::number(toMicros),
                QString::number(std::max<qint64>(0, maxRows))},
               StoreText::tr("period (%1 to %2)").arg(iso(fromMicros), iso(toMicros)),
               [&](pqxx::transaction_base &tx) { return pg::rawRowsGone(tx, deployment, fromMicros); });
}

Result<ClassificationStore::LabelledRows> ClassificationStore::firstLabelledRows(const QString &deployment, qint64 rows,
                                                                                 const QString &path)
{
    // The first N logged predictions by the (deployment, ts) index, then the labelled ones among them.
    const std::string from = "(SELECT * FROM mldeck.predictions WHERE deployment = $1 AND NOT failed ORDER BY ts "
                             "LIMIT $3::bigint) p";
    return run(m_conn, deployment, from, {},
               {deployment, path.isEmpty() ? QString() : path, QString::number(std::max<qint64>(0, rows))},
               StoreText::tr("the first %1 logged predictions").arg(rows),
               [&](pqxx::transaction_base &tx) { return pg::firstRowsGone(tx, deployment, rows); });
}

Result<ClassificationStore::LabelledRows> ClassificationStore::snapshotRows(qint64 snapshotId,
                                                                            const QString &deployment,
                                                                            const QString &path,
                                                                            const QString &description)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        // The scores the snapshot copied are the fold's (DriftData's PREDICTED_SCORE), in the log's time order.
        const pqxx::result rows = pg::execParams(
            tx,
            "WITH d AS (SELECT cardinality(classes) AS k FROM mldeck.deployments WHERE name = $1 "
            "           AND classes IS NOT NULL) "
            "SELECT r.predicted, CASE WHEN d.k = 2 THEN r.actual = 1 ELSE r.actual = r.predicted_class END "
            "FROM d, mldeck.drift_snapshot_rows r "
            "WHERE r.snapshot_id = $2::bigint AND r.path IS NOT NULL AND ($3::text IS NULL OR r.path = $3) "
            "  AND r.predicted IS NOT NULL AND r.predicted_class < d.k "
            "  AND r.actual >= 0 AND r.actual < d.k AND r.actual = trunc(r.actual) "
            "ORDER BY r.ts",
            {deployment, QString::number(snapshotId), path.isEmpty() ? QString() : path});
        tx.commit();
        LabelledRows out;
        out.description = description;
        for (const auto &row : rows) {
            out.score.push_back(row[0].as<double>());
            out.outcome.push_back(row[1].as<bool>() ? 1 : 0);
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the labelled predictions of \"%1\"").arg(deployment));
    }
}

Result<ClassificationStore::LabelledRows> ClassificationStore::referenceRows(const QString &deployment,
                                                                             qint64 nowMicros, const QString &path)
{
    using Kind = drift::ReferenceSpec::Kind;
    DriftData data(m_conn);
    auto settings = data.driftSettings(deployment);
    if (!settings)
        return settings.error();
    auto config = drift::DriftConfig::fromJson(*settings);
    if (!config)
        return config.error();
    const drift::ReferenceSpec &spec = config->reference;
    const qint64 windowFrom = nowMicros - config->windowSeconds * kMicros;
    auto period = [&](qint64 from, qint64 to) -> Result<LabelledRows> {
        if (to <= from)
            return Error{StoreText::tr("The reference period of \"%1\" is empty.").arg(deployment)};
        return labelledRows(deployment, from, to, path, config->maxRows);
    };
    // A snapshot copied from the log: the period it was copied from; a data set's has none (and no
    // class probabilities): the default first rows then.
    auto snapshot = [&](const QString &name) -> Result<LabelledRows> {
        try {
            pqxx::read_transaction tx(pg::raw(m_conn));
            const pqxx::result r =
                tx.exec_params("SELECT (extract(epoch FROM period_from) * 1000000)::bigint, (extract(epoch FROM "
                               "period_to) * 1000000)::bigint, id FROM mldeck.drift_snapshots WHERE deployment = $1 "
                               "AND name = $2",
                               pg::utf8(deployment), pg::utf8(name));
            tx.commit();
            if (!r.empty() && !r[0][0].is_null() && !r[0][1].is_null()) {
                auto rows = period(r[0][0].as<qint64>(), r[0][1].as<qint64>());
                // Retention removed the period from the log: the snapshot's own copy of it, when it kept the
                // rows' paths (copied since step 26).
                if (rows && !rows->gone.isEmpty())
                    if (auto kept = snapshotRows(r[0][2].as<qint64>(), deployment, path, rows->description);
                        !kept || !kept->score.empty())
                        return kept;
                return rows;
            }
        } catch (const std::exception &e) {
            return pg::toError(e, m_conn.endpoint(),
                               StoreText::tr("reading snapshot %1 of \"%2\"").arg(name, deployment));
        }
        return firstLabelledRows(deployment, drift::ReferenceSpec::kDefaultReferenceRows, path);
    };
    switch (spec.kind) {
    case Kind::FirstRows:
        return firstLabelledRows(deployment, spec.rows, path);
    case Kind::Snapshot:
        return snapshot(spec.snapshot);
    case Kind::Model: {
        auto w = data.championTrainingWindow(deployment);
        if (!w)
            return w.error();
        return period(w->first, w->second);
    }
    case Kind::Period:
        return period(spec.from.toMSecsSinceEpoch() * 1000, spec.to.toMSecsSinceEpoch() * 1000);
    case Kind::Previous:
        return period(windowFrom - spec.seconds * kMicros, windowFrom);
    case Kind::First: {
        auto first = data.firstLoggedMicros(deployment);
        if (!first)
            return first.error();
        return period(*first, std::min(*first + spec.seconds * kMicros, windowFrom));
    }
    case Kind::Auto: {
        auto baseline = data.snapshotExists(deployment, QStringLiteral("baseline"));
        if (!baseline)
            return baseline.error();
        if (*baseline)
            return snapshot(QStringLiteral("baseline"));
        if (auto w = data.championTrainingWindow(deployment))
            return period(w->first, w->second);
        auto first = data.firstLoggedMicros(deployment);
        if (!first)
            return first.error();
        return period(*first, std::min(*first + 3600 * kMicros, windowFrom));
    }
    }
    return Error{StoreText::tr("Unknown reference.")};
}

} // namespace mldeck
