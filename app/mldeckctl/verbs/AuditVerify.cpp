// mldeckctl audit verify [--deployment D] [--json]
// Recomputes every chain of the audit log (or one deployment's) and prints each head hash, so that a
// user can keep them elsewhere (a later verify must still pass through them).
#include "app/mldeckctl/verbs/AuditVerify.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Deployment.h"
#include "core/store/pg/AuditChainStore.h"

#include <QJsonArray>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

QString kindName(AuditChainBreak::Kind kind)
{
    switch (kind) {
    case AuditChainBreak::Kind::Changed:
        return QStringLiteral("changed");
    case AuditChainBreak::Kind::Removed:
        return QStringLiteral("removed");
    case AuditChainBreak::Kind::Inserted:
        return QStringLiteral("inserted");
    case AuditChainBreak::Kind::HeadMoved:
        return QStringLiteral("head_moved");
    }
    return {};
}

QJsonObject json(const AuditChainResult &r)
{
    QJsonObject o{{QStringLiteral("chain"), r.chainKey},
                  {QStringLiteral("deployment"), r.chainKey.isEmpty() ? QJsonValue() : QJsonValue(r.chainKey)},
                  {QStringLiteral("ok"), r.ok()},
                  {QStringLiteral("rows_checked"), r.rowsChecked},
                  {QStringLiteral("head_seq"), r.headSeq},
                  {QStringLiteral("head_hash"), QString::fromLatin1(r.headHash)}};
    if (r.firstBreak) {
        const AuditChainBreak &b = *r.firstBreak;
        o.insert(QStringLiteral("break"), QJsonObject{{QStringLiteral("kind"), kindName(b.kind)},
                                                      {QStringLiteral("id"), b.id ? QJsonValue(b.id) : QJsonValue()},
                                                      {QStringLiteral("seq"), b.seq},
                                                      {QStringLiteral("message"), b.message}});
    }
    return o;
}

QString chainName(const QString &key)
{
    return key.isEmpty() ? Text::tr("(no deployment)") : key;
}

} // namespace

int runAuditVerify(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-audit"));
    QCommandLineParser &p = inv.parser();
    p.addOption(
        {QStringLiteral("deployment"), Text::tr("Check only this deployment's chain."), QStringLiteral("name")});
    if (auto code = inv.start(Text::tr("Recompute the audit log's hash chain and name the first row changed, "
                                       "removed or inserted out of order (exit 1 when broken).")))
        return *code;
    std::optional<QString> only;
    if (p.isSet(QStringLiteral("deployment"))) {
        only = p.value(QStringLiteral("deployment"));
        if (!isValidDeploymentName(*only))
            return Context::fail(Text::tr("Give --deployment with a valid deployment name (got \"%1\").").arg(*only));
    }
    const auto results = AuditChainStore(inv.pg()).verify(only);
    if (!results)
        return Context::fail(results.errorMessage());
    if (only && results->size() == 1 && results->first().rowsChecked == 0 && results->first().headSeq == 0 &&
        results->first().ok())
        return Context::fail(Text::tr("The audit log has no rows for deployment \"%1\".").arg(*only));

    bool allOk = true;
    qint64 rows = 0;
    QJsonArray chains;
    for (const AuditChainResult &r : *results) {
        allOk = allOk && r.ok();
        rows += r.rowsChecked;
        chains.append(json(r));
    }
    if (inv.json()) {
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("ok"), allOk},
                                                   {QStringLiteral("rows_checked"), rows},
                                                   {QStringLiteral("chains"), chains}}));
    } else {
        for (const AuditChainResult &r : *results) {
            if (r.ok())
                Context::out(Text::tr("%1: intact, %n row(s), head %2 at position %3", nullptr, int(r.rowsChecked))
                                 .arg(chainName(r.chainKey), QString::fromLatin1(r.headHash))
                                 .arg(r.headSeq));
            else
                Context::out(Text::tr("%1: BROKEN: %2").arg(chainName(r.chainKey), r.firstBreak->message));
        }
        Context::out(
            allOk ? Text::tr("Audit chain intact: %1 chain(s), %2 row(s) checked.").arg(results->size()).arg(rows)
                  : Text::tr("Audit chain BROKEN (see above)."));
    }
    return allOk ? Success : CheckFailed;
}

} // namespace mldeck::cli
