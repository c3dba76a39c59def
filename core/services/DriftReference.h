#pragma once

#include "core/domain/FeatureSchema.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/DriftCheck.h"
#include "core/store/pg/DriftData.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace mldeck {

class PgConnection;

// The drift reference of a deployment (settings -> 'drift' -> 'reference'), as
// `mldeckctl drift reference show|set` and the drift settings editor read and choose it.
struct DriftReferenceState
{
    QString deployment;
    QString stored;                          // the text stored; empty when none is (the default applies)
    drift::ReferenceSpec spec;               // the reference in use
    QString description;                     // describeReference(spec)
    std::optional<ReferenceFilling> filling; // first_rows:N while fewer than N predictions are logged
    QStringList snapshots;                   // the deployment's stored snapshots, by name

    QJsonObject toJson() const; // `drift reference show --json`
};

Result<DriftReferenceState> readDriftReference(PgConnection &conn, const QString &deployment);

// Sets the reference (the other drift settings are kept), audited ("drift.reference", before and
// after). Checked before anything is written: the text parses, a snapshot exists, `model` needs a
// champion with a training window. Returns the state after the change.
Result<DriftReferenceState> setDriftReference(PgConnection &conn, const QString &deployment, const QString &spec,
                                              const Actor &actor);

// Retention's guard, before its pass removes rows at nowSecs: a first_rows:N reference (stored or the
// default) some of whose rows are past the deployment's retention is kept as a snapshot, and the reference
// becomes that snapshot, audited (DriftData::freezeFirstRows). nullopt when there was nothing to keep.
Result<std::optional<DriftData::FrozenFirstRows>> keepFirstRowsReference(PgConnection &conn, const QString &deployment,
                                                                         qint64 nowSecs, const Actor &actor);

// A model's training data as the reference: reads the CSV file (CsvReader; a header, one column per
// feature of the deployment's newest schema, optional "predicted" and "actual" columns), stores it as
// snapshot `name` and sets the reference to snapshot:name, in one transaction with one audit row.
Result<DriftReferenceState> setDriftReferenceFromCsv(PgConnection &conn, const QString &deployment, const QString &path,
                                                     const QString &name, const Actor &actor);

// The rows of that CSV file for `schema` (exposed for tests).
Result<std::vector<DriftData::SnapshotRow>> snapshotRowsFromCsv(const QString &path, const FeatureSchema &schema);

} // namespace mldeck
