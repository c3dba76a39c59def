#include "core/services/DriftReference.h"

#include "core/Text.h"
#include "core/stats/drift/DriftReport.h"
#include "core/store/pg/DeploymentStore.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <cmath>

namespace mldeck {

namespace {

// The stored reference text and the spec in use (the default when none is stored).
struct Stored
{
    QJsonObject settings;
    QString text;
    drift::ReferenceSpec spec;
};

Result<Stored> readStored(DriftData &data, const QString &deployment)
{
    auto settings = data.driftSettings(deployment);
    if (!settings)
        return settings.error();
    Stored s{*settings, settings->value(QStringLiteral("reference")).toString(), {}};
    auto spec = drift::ReferenceSpec::parse(s.text);
    if (!spec)
        return Error{ServiceText::tr("Drift settings of \"%1\": %2").arg(deployment, spec.errorMessage())};
    s.spec = *spec;
    return s;
}

// What makes a reference usable now, beyond its text.
Status checkUsable(DriftData &data, const QString &deployment, const drift::ReferenceSpec &spec)
{
    using Kind = drift::ReferenceSpec::Kind;
    if (spec.kind == Kind::Snapshot) {
        auto exists = data.snapshotExists(deployment, spec.snapshot);
        if (!exists)
            return exists.error();
        if (!*exists)
            return Error{ServiceText::tr("Deployment \"%1\" has no drift snapshot named \"%2\".")
                             .arg(deployment, spec.snapshot)};
    } else if (spec.kind == Kind::Model) {
        if (auto w = data.championTrainingWindow(deployment); !w)
            return w.error();
    }
    return {};
}

} // namespace

QJsonObject DriftReferenceState::toJson() const
{
    QJsonObject o{{QStringLiteral("deployment"), deployment},
                  {QStringLiteral("reference"), spec.toString()},
                  {QStringLiteral("stored"), stored.isEmpty() ? QJsonValue() : QJsonValue(stored)},
                  {QStringLiteral("description"), description},
                  {QStringLiteral("snapshots"), QJsonArray::fromStringList(snapshots)}};
    o.insert(QStringLiteral("filling"), filling ? QJsonValue(QJsonObject{{QStringLiteral("rows"), filling->rows},
                                                                         {QStringLiteral("needed"), filling->needed}})
                                                : QJsonValue());
    return o;
}

Result<DriftReferenceState> readDriftReference(PgConnection &conn, const QString &deployment)
{
    if (auto s = DeploymentStore(conn).requireActive(deployment); !s)
        return s.error();
    DriftData data(conn);
    auto stored = readStored(data, deployment);
    if (!stored)
        return stored.error();
    DriftReferenceState state;
    state.deployment = deployment;
    state.stored = stored->text;
    state.spec = stored->spec;
    state.description = describeReference(state.spec);
    auto snapshots = data.snapshotNames(deployment);
    if (!snapshots)
        return snapshots.error();
    state.snapshots = *snapshots;
    if (state.spec.kind == drift::ReferenceSpec::Kind::FirstRows) {
        // A deployment with no schema yet has logged nothing: the reference has not started filling.
        auto has = data.hasSchema(deployment);
        if (!has)
            return has.error();
        auto schema = *has ? data.latestSchema(deployment) : Result<FeatureSchema>(FeatureSchema{});
        if (!schema)
            return schema.error();
        auto rows = *has ? data.countRows(deployment, *schema, state.spec.rows) : Result<qint64>(qint64(0));
        if (!rows)
            return rows.error();
        if (*rows < state.spec.rows)
            state.filling = ReferenceFilling{*rows, state.spec.rows};
    }
    return state;
}

Result<DriftReferenceState> setDriftReference(PgConnection &conn, const QString &deployment, const QString &spec,
                                              const Actor &actor)
{
    if (auto s = DeploymentStore(conn).requireActive(deployment); !s)
        return s.error();
    auto parsed = drift::ReferenceSpec::parse(spec);
    if (!parsed)
        return parsed.error();
    DriftData data(conn);
    auto current = data.driftSettings(deployment);
    if (!current)
        return current.error();
    if (auto s = checkUsable(data, deployment, *parsed); !s)
        return s.error();
    QJsonObject settings = *current;
    settings.insert(QStringLiteral("reference"), parsed->toString());
    if (auto s = data.setDriftSettings(deployment, settings, actor,
                                       ServiceText::tr("drift reference: %1").arg(parsed->toString()),
                                       QStringLiteral("drift.reference"));
        !s)
        return s.error();
    return readDriftReference(conn, deployment);
}

Result<std::optional<DriftData::FrozenFirstRows>> keepFirstRowsReference(PgConnection &conn, const QString &deployment,
                                                                         qint64 nowSecs, const Actor &actor)
{
    DriftData data(conn);
    auto settings = data.driftSettings(deployment);
    if (!settings)
        return settings.error();
    // Settings that do not read: the drift check already refuses them, and there is no reference to keep.
    auto config = drift::DriftConfig::fromJson(*settings);
    if (!config || config->reference.kind != drift::ReferenceSpec::Kind::FirstRows)
        return std::optional<DriftData::FrozenFirstRows>();
    auto has = data.hasSchema(deployment);
    if (!has)
        return has.error();
    if (!*has)
        return std::optional<DriftData::FrozenFirstRows>();
    auto schema = data.latestSchema(deployment);
    if (!schema)
        return schema.error();
    return data.freezeFirstRows(deployment, *schema, config->reference.rows, nowSecs, *settings, actor);
}

Result<std::vector<DriftData::SnapshotRow>> snapshotRowsFromCsv(const QString &path, const FeatureSchema &schema)
{
    auto csv = drift::readCsvDataset(path, {});
    if (!csv)
        return csv.error();
    if (schema.features.empty())
        return Error{ServiceText::tr("The deployment has no feature schema yet: register a model or create it with "
                                     "one first.")};
    const drift::Column *columns[2] = {csv->find(QStringLiteral("predicted")), csv->find(QStringLiteral("actual"))};
    for (const drift::Column *c : columns)
        if (c && c->kind != drift::FeatureKind::Numeric)
            return Error{ServiceText::tr("Column \"%1\" of %2 must hold numbers.").arg(c->name, path)};
    std::vector<const drift::Column *> features;
    for (const FeatureSpec &f : schema.features) {
        const drift::Column *c = csv->find(f.name);
        if (!c)
            return Error{ServiceText::tr("Feature \"%1\" of the deployment is not a column of %2.").arg(f.name, path)};
        if (f.kind == FeatureSpec::Kind::Numeric && c->kind != drift::FeatureKind::Numeric)
            return Error{
                ServiceText::tr("Feature \"%1\" is numeric but column \"%1\" of %2 holds text.").arg(f.name, path)};
        features.push_back(c);
    }
    const qint64 n = features.front()->size();
    std::vector<DriftData::SnapshotRow> rows(size_t(std::max<qint64>(0, n)));
    for (qint64 i = 0; i < n; ++i) {
        DriftData::SnapshotRow &row = rows[size_t(i)];
        for (size_t k = 0; k < features.size(); ++k) {
            const drift::Column &c = *features[k];
            if (schema.features[k].kind == FeatureSpec::Kind::Numeric)
                row.numeric.push_back(float(c.numeric[size_t(i)]));
            else if (c.kind == drift::FeatureKind::Categorical)
                row.categorical << c.categorical.at(i);
            else // a category written as a number ("3"): the same text as logged
                row.categorical << (std::isnan(c.numeric[size_t(i)]) ? QString()
                                                                     : QString::number(c.numeric[size_t(i)], 'g', 15));
        }
        if (columns[0] && !std::isnan(columns[0]->numeric[size_t(i)]))
            row.predicted = columns[0]->numeric[size_t(i)];
        if (columns[1] && !std::isnan(columns[1]->numeric[size_t(i)]))
            row.actual = columns[1]->numeric[size_t(i)];
    }
    if (rows.empty())
        return Error{ServiceText::tr("%1 has no data rows.").arg(path)};
    return rows;
}

Result<DriftReferenceState> setDriftReferenceFromCsv(PgConnection &conn, const QString &deployment, const QString &path,
                                                     const QString &name, const Actor &actor)
{
    if (auto s = DeploymentStore(conn).requireActive(deployment); !s)
        return s.error();
    DriftData data(conn);
    auto current = data.driftSettings(deployment);
    if (!current)
        return current.error();
    auto schema = data.latestSchema(deployment);
    if (!schema)
        return schema.error();
    auto rows = snapshotRowsFromCsv(path, *schema);
    if (!rows)
        return rows.error();
    drift::ReferenceSpec spec;
    spec.kind = drift::ReferenceSpec::Kind::Snapshot;
    spec.snapshot = name;
    QJsonObject settings = *current;
    settings.insert(QStringLiteral("reference"), spec.toString());
    auto kept = data.setDriftSettingsWithSnapshot(
        deployment, settings, name, *schema, *rows, actor,
        ServiceText::tr("drift reference: snapshot %1 from %2 (%3 rows)").arg(name, path).arg(rows->size()));
    if (!kept)
        return kept.error();
    return readDriftReference(conn, deployment);
}

} // namespace mldeck
