#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/ModelVersion.h"
#include "core/domain/Result.h"
#include "core/ml/ModelRunner.h"

#include <QString>

#include <memory>
#include <optional>

namespace mldeck {

class KeptPgConnection;

// A model ready to predict, and where it came from.
struct ResolvedModel
{
    std::unique_ptr<ModelRunner> runner;
    QString label;                     // for tables and verdicts: "eta@2 (champion)" or the file name
    std::optional<ModelVersion> entry; // the registry row when the model came from the registry
};

// Resolves a model reference:
//   - a file path (contains '/' or ends in ".pt", or is an existing file): loaded directly, no registry;
//   - "D:champion", "D:challenger": the version the alias points at in deployment D;
//   - "D@VERSION": that version of deployment D.
// Registry references need `pg` and go through ModelStore::loadVerified (SHA-256 checked before LibTorch);
// they read the registry on `kept` when given (the caller's connection, on the caller's thread), else on a
// connection of their own. Blocking (database + model load): call it from a worker thread.
Result<ResolvedModel> resolveModel(const QString &ref, const std::optional<PgEndpoint> &pg,
                                   KeptPgConnection *kept = nullptr);

} // namespace mldeck
