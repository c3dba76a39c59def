// mldeckctl deployments retention NAME [--days N | --default] [--reason TEXT]: how long the raw log of a
// deployment is kept (resources/contract/retention.md). Without an option it shows the retention and
// what the guard removed so far.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/RetentionStore.h"

#include <QDateTime>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

const QString kDays = QStringLiteral("days");
const QString kDefault = QStringLiteral("default");
const QString kReason = QStringLiteral("reason");

QString isoOrNone(qint64 secs)
{
    return secs ? QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(Qt::ISODate) : QString();
}

} // namespace

int runDeploymentsRetention(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-deployments"));
    QCommandLineParser &p = inv.parser();
    p.addPositionalArgument(QStringLiteral("name"), Text::tr("The deployment."));
    p.addOption({kDays,
                 Text::tr("Keep its raw predictions, outcomes and feedback this many days (%1 to %2).")
                     .arg(RetentionStore::kMinDays)
                     .arg(RetentionStore::kMaxDays),
                 QStringLiteral("n")});
    p.addOption(
        {kDefault, Text::tr("Back to the default retention (%n day(s)).", nullptr, RetentionStore::kDefaultDays)});
    p.addOption({kReason, Text::tr("Why (recorded in the audit log)."), QStringLiteral("text")});
    if (auto stop = inv.start(Text::tr("Show or set how long the raw rows of a deployment are kept; the aggregates "
                                       "are kept forever (a change is audited).")))
        return *stop;
    if (p.positionalArguments().size() != 1)
        return Context::fail(Text::tr("give exactly one deployment name"));
    const QString name = p.positionalArguments().constFirst();
    if (p.isSet(kDays) && p.isSet(kDefault))
        return Context::fail(Text::tr("Give --days N or --default, not both."));
    if (Status s = DeploymentStore(inv.pg()).requireActive(name); !s)
        return Context::fail(s.errorMessage());
    RetentionStore store(inv.pg());
    if (p.isSet(kDays) || p.isSet(kDefault)) {
        std::optional<int> days;
        if (p.isSet(kDays)) {
            bool ok = false;
            const qint64 n = p.value(kDays).toLongLong(&ok);
            if (!ok)
                return Context::fail(
                    Text::tr("--days must be a whole number of days, not \"%1\".").arg(p.value(kDays)));
            if (const QString why = RetentionStore::validateDays(n); !why.isEmpty())
                return Context::fail(Text::tr("Retention of \"%1\" not changed: %2.").arg(name, why));
            days = int(n);
        }
        if (Status s = store.setDays(name, days, Actor::current(), p.value(kReason)); !s)
            return Context::fail(s.errorMessage(), CheckFailed);
    }
    auto days = store.days(name);
    if (!days)
        return Context::fail(days.errorMessage());
    auto horizons = store.horizons(name);
    if (!horizons)
        return Context::fail(horizons.errorMessage());
    if (inv.json()) {
        Context::outJson(
            QJsonDocument(QJsonObject{{QStringLiteral("deployment"), name},
                                      {QStringLiteral("retention_days"), *days},
                                      {QStringLiteral("raw_rows_before"), isoOrNone(horizons->rawBeforeSecs)},
                                      {QStringLiteral("minute_rows_before"), isoOrNone(horizons->minutesBeforeSecs)}}));
        return Success;
    }
    Context::out(Text::tr("Deployment \"%1\" keeps its raw rows %n day(s).", nullptr, *days).arg(name));
    if (horizons->rawBeforeSecs)
        Context::out(Text::tr("Raw rows before %1 are gone (retention); the aggregates are kept.")
                         .arg(isoOrNone(horizons->rawBeforeSecs)));
    if (horizons->minutesBeforeSecs)
        Context::out(
            Text::tr("Minute aggregates before %1 are folded into hours.").arg(isoOrNone(horizons->minutesBeforeSecs)));
    return Success;
}

} // namespace mldeck::cli
