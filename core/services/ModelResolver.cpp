#include "core/services/ModelResolver.h"

#include "core/Text.h"
#include "core/ml/ModelStore.h"
#include "core/services/KeptPgConnection.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QRegularExpression>

namespace mldeck {

Result<ResolvedModel> resolveModel(const QString &ref, const std::optional<PgEndpoint> &pg, KeptPgConnection *kept)
{
    static const QRegularExpression aliasRef(QStringLiteral("^([a-z][a-z0-9_-]{0,62}):(champion|challenger)$"));
    static const QRegularExpression versionRef(QStringLiteral("^([a-z][a-z0-9_-]{0,62})@([A-Za-z0-9._-]{1,64})$"));
    if (ref.trimmed().isEmpty())
        return Error{ServiceText::tr(
            "No model given: use a file path, DEPLOYMENT:champion, DEPLOYMENT:challenger or DEPLOYMENT@VERSION.")};

    const auto aliasMatch = aliasRef.match(ref);
    const auto versionMatch = versionRef.match(ref);
    // An existing file wins over a reference that happens to look like one.
    if (QFileInfo(ref).isFile() || (!aliasMatch.hasMatch() && !versionMatch.hasMatch())) {
        auto runner = ModelRunner::load(ref);
        if (!runner)
            return runner.error();
        ResolvedModel out;
        out.runner = std::move(runner).value();
        out.label = QFileInfo(ref).fileName();
        return out;
    }

    if (!pg)
        return Error{
            ServiceText::tr("Model reference \"%1\" needs the registry: give PostgreSQL with --pg or MLDECK_PG_URL.")
                .arg(ref)};
    KeptPgConnection own(QStringLiteral("mldeck-resolver"));
    auto conn = (kept ? *kept : own).get(*pg);
    if (!conn)
        return conn.error();
    ModelRegistry registry(**conn);
    ModelVersion entry;
    QString label;
    if (aliasMatch.hasMatch()) {
        const QString deployment = aliasMatch.captured(1);
        const QString alias = aliasMatch.captured(2);
        const auto found = registry.byAlias(deployment, alias);
        if (!found)
            return found.error();
        if (!found->has_value())
            return Error{ServiceText::tr("Deployment \"%1\" has no %2 model.").arg(deployment, alias)};
        entry = **found;
        label = QStringLiteral("%1@%2 (%3)").arg(deployment, entry.version, alias);
    } else {
        const auto found = registry.byVersion(versionMatch.captured(1), versionMatch.captured(2));
        if (!found)
            return found.error();
        entry = *found;
        label = QStringLiteral("%1@%2").arg(entry.deployment, entry.version);
    }
    auto runner = ModelStore::loadVerified(entry.filePath, entry.sha256.toLatin1());
    if (!runner)
        return Error{ServiceText::tr("%1: %2").arg(label, runner.errorMessage())};
    ResolvedModel out;
    out.runner = std::move(runner).value();
    out.label = label;
    out.entry = std::move(entry);
    return out;
}

} // namespace mldeck
