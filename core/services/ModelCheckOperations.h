#pragma once

#include "core/domain/Result.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/ModelCheckStore.h"

#include <atomic>

namespace mldeck {

class PgConnection;

// The promotion test suite for the CLI (mldeckctl models golden|checks|check), the GUI and the one
// promotion gate (models::promote). Blocking (PostgreSQL, model workers): run on a worker thread.
namespace models {

// Reads the CSV file, validates it against the deployment's feature schema (and classes), stores it with
// its SHA-256 (replacing the previous one) and audits "models.golden". A refused file changes nothing.
Result<GoldenRecord> setGolden(PgConnection &pg, const QString &deployment, const QString &file,
                               const QString &targetColumn, const QString &segmentColumn, const Actor &actor);

// The declared checks (the defaults when none are stored).
Result<checks::ModelCheckSettings> checkSettings(PgConnection &pg, const QString &deployment);
// Validated against the deployment's schema, stored, audited "models.checks".
Status saveCheckSettings(PgConnection &pg, const QString &deployment, const QJsonObject &settings, const Actor &actor);

// Removes the deployment's golden dataset (it then has no checks), audited "models.golden".
Result<GoldenRecord> removeGolden(PgConnection &pg, const QString &deployment, const Actor &actor);

// Runs the checks of `version` against the current champion on the golden rows and stores the run
// (purpose: "promote", "retrain" or "manual"). Without golden data the report says it is not configured
// (configured = false) and nothing is stored: never a pass. reuse: a stored run of the same candidate
// against the same champion, golden data and settings is returned instead of scoring again (the gate).
// A champion whose file cannot be loaded here, or that fails on the golden rows, is not compared with:
// the report says so (CheckReport::championUnavailable) and its comparative checks have no data.
// Refused before any scoring: an unknown version, a session that may not record the run.
Result<checks::CheckReport> runModelChecks(PgConnection &pg, const QString &deployment, const QString &version,
                                           const QString &purpose, const std::atomic<bool> *cancel = nullptr,
                                           bool reuse = false);

} // namespace models
} // namespace mldeck
