// mldeckctl feedback purge: the feedback retention (privacy). Logic in core/services/retrain (RetrainHistory.cpp).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetrainStore.h"

#include <QCoreApplication>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

int runPurgeSub(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json,
                   QStringLiteral("mldeckctl-feedback"));
    QCommandLineParser &p = inv.parser();
    p.addOption(
        {QStringLiteral("older-than-days"),
         Text::tr("Delete feedback older than N days (default: the deployment's retention, 180 days unless changed)."),
         QStringLiteral("n")});
    p.addOption({QStringLiteral("dry-run"), Text::tr("Count what would be deleted; delete nothing.")});
    if (auto stop = inv.start(Text::tr("Delete old user feedback (retention; audited as feedback.purge).")))
        return *stop;
    const QString &deployment = inv.deployment();
    std::optional<int> days;
    if (p.isSet(QStringLiteral("older-than-days"))) {
        bool ok = false;
        days = p.value(QStringLiteral("older-than-days")).toInt(&ok);
        if (!ok || *days < 1 || *days > 3650)
            return Context::fail(Text::tr("--older-than-days: \"%1\" is not a whole number from 1 to 3650")
                                     .arg(p.value(QStringLiteral("older-than-days"))));
    }
    PgConnection &conn = inv.pg();
    if (!days) {
        const auto settings = retrain::loadSettings(conn, deployment);
        if (!settings)
            return Context::fail(settings.errorMessage());
        days = settings->feedbackRetentionDays;
    }
    const bool dryRun = p.isSet(QStringLiteral("dry-run"));
    const auto count = dryRun ? RetrainStore(conn).countFeedbackOlderThan(deployment, *days)
                              : retrain::purgeFeedback(conn, deployment, days, Actor::current());
    if (!count)
        return Context::fail(count.errorMessage(), CheckFailed);
    if (p.isSet(QStringLiteral("json"))) {
        Context::outJson(QJsonDocument(
            QJsonObject{{QStringLiteral("deployment"), deployment},
                        {QStringLiteral("older_than_days"), *days},
                        {QStringLiteral("dry_run"), dryRun},
                        {dryRun ? QStringLiteral("would_delete") : QStringLiteral("deleted"), double(*count)}}));
        return Success;
    }
    const int n = int(*count);
    if (dryRun)
        Context::out(Text::tr("%n feedback items of \"%1\" are older than %2 days and would be deleted.", nullptr, n)
                         .arg(deployment)
                         .arg(*days));
    else
        Context::out(
            Text::tr("Deleted %n feedback items of \"%1\" older than %2 days.", nullptr, n).arg(deployment).arg(*days));
    return Success;
}

int feedbackUsage(int code)
{
    const QString text =
        Text::tr("Usage: mldeckctl feedback purge [--deployment D] [--older-than-days N] [--dry-run] [--json]\n\n"
                 "  purge    delete user feedback older than the retention (default 180 days); audited");
    return Context::printUsage(text, code);
}

} // namespace

int runFeedback(Context &ctx)
{
    return dispatch(ctx, {{"purge", runPurgeSub}}, feedbackUsage);
}

} // namespace mldeck::cli
