#pragma once

#include "core/domain/DriftScore.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/stats/drift/DriftDebouncer.h"
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/MultivariateDrift.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// What drift detection reads from and writes to PostgreSQL (resources/sql/006_alerts_drift.sql).
class DriftData final
{
public:
    explicit DriftData(PgConnection &conn);

    // The newest feature schema of the deployment.
    Result<FeatureSchema> latestSchema(const QString &deployment);
    // Whether it has one (a deployment created without a schema gets one with its first model or row).
    Result<bool> hasSchema(const QString &deployment);
    // Predictions logged in [from, to) with that schema (newest first, at most maxRows): one
    // column per feature, plus __prediction__ (the predicted value) and __target__ (the latest
    // outcome, NaN when none arrived yet).
    // Without `withTarget`, __target__ is left empty (no outcome is read: the feature sketches do not keep it).
    Result<drift::Dataset> loadWindow(const QString &deployment, const FeatureSchema &schema, qint64 fromMicros,
                                      qint64 toMicros, qint64 maxRows, bool withTarget = true);
    // How many predictions with that schema are logged (failed ones left out), counting no further than `limit`.
    Result<qint64> countRows(const QString &deployment, const FeatureSchema &schema, qint64 limit);
    // The first `rows` logged predictions with that schema (the default reference, first_rows:N); refused once
    // retention removed predictions of the deployment (they would no longer be the first rows).
    Result<drift::Dataset> loadFirstRows(const QString &deployment, const FeatureSchema &schema, qint64 rows);
    Result<drift::Dataset> loadSnapshot(const QString &deployment, const QString &name, const FeatureSchema &schema);
    // Copies the rows of [from, to) into a named snapshot (replacing one of the same name).
    Result<qint64> createSnapshot(const QString &deployment, const QString &name, const FeatureSchema &schema,
                                  qint64 fromMicros, qint64 toMicros, qint64 maxRows);
    Result<bool> snapshotExists(const QString &deployment, const QString &name);
    Result<QStringList> snapshotNames(const QString &deployment);
    // The champion model's training window [from, to) in µs; an error when it has none.
    Result<std::pair<qint64, qint64>> championTrainingWindow(const QString &deployment);
    // Time of the first logged prediction (µs); an error when nothing is logged.
    Result<qint64> firstLoggedMicros(const QString &deployment);

    // An image deployment's logged image keys, sampled for image drift: of the predictions with an image key
    // (failed ones left out), the `n` whose request key has the smallest MD5 (deterministic, and mostly the
    // same rows for two overlapping windows), and how many there were to sample from.
    struct ImageKeySample
    {
        QStringList keys;
        qint64 population = 0;
    };
    // ... logged in [from, to) with that schema.
    Result<ImageKeySample> sampleImageKeys(const QString &deployment, const FeatureSchema &schema, qint64 fromMicros,
                                           qint64 toMicros, qint64 n);
    // ... among the first `rows` logged predictions with that schema (the first_rows:N reference; refused as
    // loadFirstRows is).
    Result<ImageKeySample> sampleFirstImageKeys(const QString &deployment, const FeatureSchema &schema, qint64 rows,
                                                qint64 n);

    // A row of a snapshot that does not come from the log (a model's training data from a CSV file):
    // the feature values in schema order, as in mldeck.predictions.
    struct SnapshotRow
    {
        std::vector<float> numeric;
        QStringList categorical;
        std::optional<double> predicted, actual;
    };

    // mldeck.deployments.settings -> 'drift' (an empty object when unset).
    Result<QJsonObject> driftSettings(const QString &deployment);
    // Replaces settings -> 'drift' through mldeck.drift_set_settings (resources/sql/011): the settings are
    // checked first by DriftConfig::fromJson (nothing is written when they are invalid); one audit row
    // (`action`: "drift.settings", or "drift.reference" for a new reference; before and after) commits
    // with the change.
    Status setDriftSettings(const QString &deployment, const QJsonObject &settings,
                            const Actor &actor = Actor::current(), const QString &reason = {},
                            const QString &action = QStringLiteral("drift.settings"));
    // The same, action "drift.reference", after storing `rows` as snapshot `name` (replacing one of that
    // name) in the same transaction: a reference read from a file. Returns the rows stored.
    Result<qint64> setDriftSettingsWithSnapshot(const QString &deployment, const QJsonObject &settings,
                                                const QString &name, const FeatureSchema &schema,
                                                const std::vector<SnapshotRow> &rows, const Actor &actor,
                                                const QString &reason);

    // Before retention removes any of them, the first `rows` logged predictions of a first_rows:N reference
    // (`settings`: the drift settings as stored) are copied into a snapshot ("first-rows", or "first-rows-2"
    // ... when that name is taken) and the reference becomes snapshot:NAME, audited ("drift.reference") in
    // the same transaction: drift keeps the same reference rows. Nothing is done (nullopt) while none of
    // them is past the deployment's retention at nowSecs, or once retention removed predictions already.
    struct FrozenFirstRows
    {
        QString snapshot;
        qint64 rows = 0;
    };
    Result<std::optional<FrozenFirstRows>> freezeFirstRows(const QString &deployment, const FeatureSchema &schema,
                                                           qint64 rows, qint64 nowSecs, QJsonObject settings,
                                                           const Actor &actor);

    struct StateRow
    {
        drift::DebounceState state;
        qint64 lastWindowEndMs = 0;
    };
    Result<QHash<QString, StateRow>> loadState(const QString &deployment);
    Status saveState(const QString &deployment, const QHash<QString, StateRow> &states);

    // Every feature's score, the dataset's share and, when given, the multivariate line (018).
    Status recordScores(const QString &deployment, qint64 windowEndMicros, qint64 windowSeconds,
                        const drift::DatasetDrift &result, const drift::MultivariateDrift *multivariate = nullptr);
    // Oldest first, at most `perFeature` points per feature.
    Result<QList<DriftScorePoint>> scoreHistory(const QString &deployment, int perFeature = 60);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
