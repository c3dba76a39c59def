#pragma once

#include "core/domain/DriftScore.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/stats/drift/DriftDebouncer.h"
#include "core/stats/drift/DriftEngine.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace mldeck {

class PgConnection;

// What drift detection reads from and writes to PostgreSQL (resources/sql/006_alerts_drift.sql).
class DriftData final
{
public:
    explicit DriftData(PgConnection &conn);

    // The newest feature schema of the deployment.
    Result<FeatureSchema> latestSchema(const QString &deployment);
    // Predictions logged in [from, to) with that schema (newest first, at most maxRows): one
    // column per feature, plus __prediction__ (the predicted value) and __target__ (the latest
    // outcome, NaN when none arrived yet).
    Result<drift::Dataset> loadWindow(const QString &deployment, const FeatureSchema &schema, qint64 fromMicros,
                                      qint64 toMicros, qint64 maxRows);
    Result<drift::Dataset> loadSnapshot(const QString &deployment, const QString &name, const FeatureSchema &schema);
    // Copies the rows of [from, to) into a named snapshot (replacing one of the same name).
    Result<qint64> createSnapshot(const QString &deployment, const QString &name, const FeatureSchema &schema,
                                  qint64 fromMicros, qint64 toMicros, qint64 maxRows);
    Result<bool> snapshotExists(const QString &deployment, const QString &name);
    // The champion model's training window [from, to) in µs; an error when it has none.
    Result<std::pair<qint64, qint64>> championTrainingWindow(const QString &deployment);
    // Time of the first logged prediction (µs); an error when nothing is logged.
    Result<qint64> firstLoggedMicros(const QString &deployment);

    // mldeck.deployments.settings -> 'drift' (an empty object when unset).
    Result<QJsonObject> driftSettings(const QString &deployment);
    Status setDriftSettings(const QString &deployment, const QJsonObject &settings);

    struct StateRow
    {
        drift::DebounceState state;
        qint64 lastWindowEndMs = 0;
    };
    Result<QHash<QString, StateRow>> loadState(const QString &deployment);
    Status saveState(const QString &deployment, const QHash<QString, StateRow> &states);

    Status recordScores(const QString &deployment, qint64 windowEndMicros, qint64 windowSeconds,
                        const drift::DatasetDrift &result);
    // Oldest first, at most `perFeature` points per feature.
    Result<QList<DriftScorePoint>> scoreHistory(const QString &deployment, int perFeature = 60);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
