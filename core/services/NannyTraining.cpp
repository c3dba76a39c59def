#include "core/services/NannyTraining.h"

#include "core/Text.h"
#include "core/domain/DriftScore.h"
#include "core/ml/ModelStore.h"
#include "core/services/DriftCheck.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/NannyStore.h"

#include <QDateTime>
#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace mldeck {

namespace {

constexpr qint64 kMicros = 1'000'000;

QString iso(qint64 micros)
{
    return QDateTime::fromMSecsSinceEpoch(micros / 1000, Qt::UTC).toString(Qt::ISODateWithMs);
}

// The reference rows the model can read, in its feature order, with their outcome. Rows without an
// outcome or with a missing numeric value are left out.
Result<qint64> referenceRows(const drift::Dataset &data, const ModelInfo &model, std::vector<FeatureRow> &rows,
                             std::vector<double> &actual)
{
    const drift::Column *target = data.find(kDriftTargetFeature);
    if (!target || target->kind != drift::FeatureKind::Numeric)
        return Error{ServiceText::tr("The reference has no outcome column.")};
    std::vector<const drift::Column *> numeric;
    std::vector<const drift::Column *> categorical;
    for (const QString &name : model.schema.numericNames()) {
        const drift::Column *c = data.find(name);
        if (!c || c->kind != drift::FeatureKind::Numeric)
            return Error{ServiceText::tr("The reference has no numeric feature \"%1\", which model %2 needs.")
                             .arg(name, model.name)};
        numeric.push_back(c);
    }
    for (const QString &name : model.schema.categoricalNames()) {
        const drift::Column *c = data.find(name);
        if (!c || c->kind != drift::FeatureKind::Categorical)
            return Error{ServiceText::tr("The reference has no categorical feature \"%1\", which model %2 needs.")
                             .arg(name, model.name)};
        categorical.push_back(c);
    }
    qint64 leftOut = 0;
    for (qint64 i = 0; i < target->size(); ++i) {
        const double y = target->numeric[size_t(i)];
        FeatureRow row;
        bool complete = std::isfinite(y);
        for (const drift::Column *c : numeric) {
            const double v = c->numeric[size_t(i)];
            complete = complete && std::isfinite(v);
            row.numeric.push_back(float(v));
        }
        if (!complete) {
            ++leftOut;
            continue;
        }
        for (const drift::Column *c : categorical)
            row.categorical << c->categorical.at(i);
        rows.push_back(std::move(row));
        actual.push_back(y);
    }
    return leftOut;
}

// The nanny must not learn on the rows the champion was fitted on: there its error is optimistic, and the
// estimate would sit below the realised MAE. Refuses a reference whose time span overlaps the champion's
// training window (a snapshot read from a CSV file has no span: it is taken as it is).
Status checkOutsideTrainingWindow(PgConnection &conn, const QString &deployment, int schemaId, qint64 nowMicros)
{
    DriftData data(conn);
    auto window = data.championTrainingWindow(deployment);
    if (!window)
        return {}; // no training window recorded: nothing to compare with
    auto settings = data.driftSettings(deployment);
    if (!settings)
        return settings.error();
    auto config = drift::DriftConfig::fromJson(*settings);
    if (!config)
        return Error{ServiceText::tr("Drift settings of \"%1\": %2").arg(deployment, config.errorMessage())};
    using Kind = drift::ReferenceSpec::Kind;
    const drift::ReferenceSpec &spec = config->reference;
    NannyStore store(conn);
    std::optional<std::pair<qint64, qint64>> span; // [from, to] in µs
    switch (spec.kind) {
    case Kind::Model:
        span = *window;
        break;
    case Kind::Auto: {
        auto snap = data.snapshotExists(deployment, QStringLiteral("baseline"));
        if (!snap)
            return snap.error();
        if (!*snap) {
            span = *window; // auto picks the training window when there is one and no baseline snapshot
            break;
        }
        auto period = store.snapshotPeriod(deployment, QStringLiteral("baseline"));
        if (!period)
            return period.error();
        span = *period;
        break;
    }
    case Kind::Snapshot: {
        auto period = store.snapshotPeriod(deployment, spec.snapshot);
        if (!period)
            return period.error();
        span = *period;
        break;
    }
    case Kind::Period:
        span = std::pair{spec.from.toMSecsSinceEpoch() * 1000, spec.to.toMSecsSinceEpoch() * 1000 - 1};
        break;
    case Kind::Previous:
        span = std::pair{nowMicros - spec.seconds * kMicros, nowMicros - 1};
        break;
    case Kind::First: {
        auto first = data.firstLoggedMicros(deployment);
        if (!first)
            return {}; // nothing logged: the reference load says so
        span = std::pair{*first, std::min(*first + spec.seconds * kMicros, nowMicros) - 1};
        break;
    }
    case Kind::FirstRows: {
        auto rows = store.firstRowsSpan(deployment, schemaId, spec.rows);
        if (!rows)
            return rows.error();
        span = *rows;
        break;
    }
    }
    if (!span || span->second < window->first || span->first >= window->second)
        return {};
    return Error{ServiceText::tr("The drift reference of \"%1\" (%2, %3 to %4) overlaps the champion's training "
                                 "window (%5 to %6): on the rows it was fitted on, a model's error is optimistic, "
                                 "so the nanny must not learn there. Set a reference outside that window (mldeckctl "
                                 "drift reference set --deployment %1 --period FROM/TO).")
                     .arg(deployment, describeReference(spec), iso(span->first), iso(span->second), iso(window->first),
                          iso(window->second))};
}

// A seeded sample of at most kNannyMaxTrainingRows rows, in their order: more rows add little to about a
// thousand weights, and the guard trains inside its round.
void sampleRows(std::vector<FeatureRow> &rows, std::vector<double> &actual, quint64 seed)
{
    const size_t n = rows.size();
    if (n <= size_t(kNannyMaxTrainingRows))
        return;
    std::vector<size_t> pick(n);
    std::iota(pick.begin(), pick.end(), size_t(0));
    std::mt19937_64 random(seed);
    for (size_t i = 0; i < size_t(kNannyMaxTrainingRows); ++i)
        std::swap(pick[i], pick[i + size_t(random() % (n - i))]);
    pick.resize(size_t(kNannyMaxTrainingRows));
    std::sort(pick.begin(), pick.end());
    std::vector<FeatureRow> keptRows;
    std::vector<double> keptActual;
    keptRows.reserve(pick.size());
    keptActual.reserve(pick.size());
    for (size_t i : pick) {
        keptRows.push_back(std::move(rows[i]));
        keptActual.push_back(actual[i]);
    }
    rows = std::move(keptRows);
    actual = std::move(keptActual);
}

} // namespace

QJsonObject NannyStatus::toJson() const
{
    QJsonObject o{{QStringLiteral("deployment"), deployment},
                  {QStringLiteral("champion_version"), championVersion},
                  {QStringLiteral("champion_is_regression"), championIsRegression},
                  {QStringLiteral("current"), current},
                  {QStringLiteral("scored"), scored}};
    if (nannyId > 0) {
        o.insert(QStringLiteral("nanny_id"), nannyId);
        o.insert(QStringLiteral("nanny_model_version"), nannyModelVersion);
        o.insert(QStringLiteral("reference"), reference);
        o.insert(QStringLiteral("rows"), rows);
        o.insert(QStringLiteral("created_at"), createdAt);
        o.insert(QStringLiteral("created_by"), createdBy);
    }
    if (meta) {
        QJsonObject m = meta->toJson();
        m.remove(QStringLiteral("model_metadata")); // the champion's own metadata: not a figure of the nanny
        o.insert(QStringLiteral("meta"), m);
    }
    if (scoredToMicros)
        o.insert(QStringLiteral("scored_to"), iso(*scoredToMicros));
    return o;
}

Result<NannyStatus> readNannyStatus(PgConnection &conn, const QString &deployment)
{
    NannyStatus status;
    status.deployment = deployment;
    auto champion = ModelRegistry(conn).byAlias(deployment, QStringLiteral("champion"));
    if (!champion)
        return champion.error();
    if (*champion) {
        status.championVersion = (*champion)->version;
        status.championIsRegression = (*champion)->task == QLatin1String("regression");
    }
    NannyStore store(conn);
    auto latest = store.latest(deployment);
    if (!latest)
        return latest.error();
    if (*latest) {
        const StoredNanny &n = **latest;
        status.nannyId = n.id;
        status.nannyModelVersion = n.modelVersion;
        status.current = *champion && (*champion)->id == n.modelId;
        status.reference = n.reference;
        status.rows = n.rows;
        status.createdAt = n.createdAt.toString(Qt::ISODateWithMs);
        status.createdBy = n.createdBy;
        if (auto meta = NannyMeta::fromJson(n.meta))
            status.meta = *meta;
    }
    auto mark = store.watermark(deployment);
    if (!mark)
        return mark.error();
    if (*mark && (*mark)->nannyId == status.nannyId) {
        status.scoredToMicros = (*mark)->scoredToMicros;
        status.scored = (*mark)->scored;
    }
    return status;
}

Result<NannyStatus> trainDeploymentNanny(PgConnection &conn, const NannyTrainingRequest &request, const Actor &actor,
                                         const std::atomic<bool> *cancel)
{
    const QString &deployment = request.deployment;
    if (request.backfillSeconds < 0)
        return Error{ServiceText::tr("The backfill must not be negative.")};
    auto champion = ModelRegistry(conn).byAlias(deployment, QStringLiteral("champion"));
    if (!champion)
        return champion.error();
    if (!*champion)
        return Error{ServiceText::tr("Deployment \"%1\" has no champion: the nanny estimates the champion's error.")
                         .arg(deployment)};
    const ModelVersion &model = **champion;
    if (model.task != QLatin1String("regression"))
        return Error{ServiceText::tr("The champion of \"%1\" is a classifier: the nanny estimates the error of a "
                                     "regression model (a classifier has its estimated accuracy).")
                         .arg(deployment)};

    DriftData data(conn);
    auto schema = data.latestSchema(deployment);
    if (!schema)
        return schema.error();
    const qint64 nowMicros = QDateTime::currentMSecsSinceEpoch() * 1000;
    if (const Status outside = checkOutsideTrainingWindow(conn, deployment, schema->id, nowMicros); !outside)
        return outside.error();
    auto reference = loadDriftReference(conn, deployment, *schema, nowMicros);
    if (!reference)
        return Error{ServiceText::tr("The drift reference of \"%1\": %2").arg(deployment, reference.errorMessage())};

    auto runner = ModelStore::loadVerified(model.filePath, model.sha256.toLatin1());
    if (!runner)
        return runner.error();
    std::vector<FeatureRow> rows;
    std::vector<double> actual;
    auto leftOut = referenceRows(reference->data, (*runner)->info(), rows, actual);
    if (!leftOut)
        return leftOut.error();
    sampleRows(rows, actual, request.params.seed);
    auto trained = trainNanny(**runner, rows, actual, request.params, cancel);
    if (!trained)
        return Error{ServiceText::tr("The nanny of \"%1\" (reference: %2): %3")
                         .arg(deployment, reference->description, trained.errorMessage())};
    NannyModel nanny = std::move(trained).value();
    nanny.meta.modelVersion = model.version; // the registry's version, whatever the file's metadata says

    StoredNanny stored;
    stored.deployment = deployment;
    stored.modelId = model.id;
    stored.modelVersion = model.version;
    stored.weights = nanny.weights;
    stored.meta = nanny.meta.toJson();
    stored.sha256 = nanny.sha256();
    stored.reference = reference->description;
    stored.rows = qint64(rows.size());
    stored.validationMae = nanny.meta.validationMae;
    AuditRecord audit = AuditRecord::make(QStringLiteral("nanny.train"), deployment, actor, request.reason);
    auto id = NannyStore(conn).insert(stored, nowMicros - request.backfillSeconds * kMicros, audit);
    if (!id)
        return id.error();
    return readNannyStatus(conn, deployment);
}

} // namespace mldeck
