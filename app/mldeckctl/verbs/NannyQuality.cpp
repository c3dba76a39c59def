// mldeckctl nanny quality: the nanny model's own quality, its estimated MAE against the realised MAE per
// hour that got outcomes (resources/contract/nanny.md). Logic in core/services/NannyQuality.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/services/KpiSnapshot.h"
#include "core/services/NannyQuality.h"
#include "core/services/NannyQualityCsv.h"

#include <QDateTime>
#include <QJsonObject>
#include <QLocale>
#include <QSaveFile>

namespace mldeck::cli {

namespace {

void printQuality(const QString &deployment, const NannyQuality &q)
{
    Context::out(Text::tr("Nanny quality of %1: estimated vs realised ML MAE per hour with outcomes").arg(deployment));
    if (q.hours.empty()) {
        Context::out(Text::tr("No hour of the range has both estimates and outcomes yet."));
        return;
    }
    Context::out(Text::tr("%1  %2  %3  %4  %5  %6")
                     .arg(Text::tr("Hour (UTC)"), -17)
                     .arg(Text::tr("Scored"), 8)
                     .arg(Text::tr("Estimated"), 10)
                     .arg(Text::tr("Labelled"), 8)
                     .arg(Text::tr("Realised"), 10)
                     .arg(Text::tr("Diff"), 8));
    for (const NannyQualityRow &h : q.hours)
        Context::out(QStringLiteral("%1  %2  %3  %4  %5  %6")
                         .arg(QDateTime::fromMSecsSinceEpoch(h.hourMicros / 1000, Qt::UTC)
                                  .toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                              -17)
                         .arg(h.estCount, 8)
                         .arg(h.estimatedMae, 10, 'f', 3)
                         .arg(h.labelled, 8)
                         .arg(h.realisedMae, 10, 'f', 3)
                         .arg(h.estimatedMae - h.realisedMae, 8, 'f', 3));
    Context::out(Text::tr("Mean absolute difference: %1").arg(*q.meanAbsDiff, 0, 'f', 3));
    Context::out(q.correlation ? Text::tr("Correlation: %1").arg(*q.correlation, 0, 'f', 3)
                               : Text::tr("Correlation: needs 3 hours or more with varying MAE"));
}

} // namespace

int runNannyQuality(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-nanny"));
    QCommandLineParser &p = inv.parser();
    p.addOptions({
        {QStringLiteral("range"), Text::tr("Range ending now: N followed by m, h or d (default 7d)."),
         QStringLiteral("range"), QStringLiteral("7d")},
        {QStringLiteral("out"), Text::tr("Also write the hours as CSV to this file."), QStringLiteral("file")},
    });
    if (auto stop = inv.start(Text::tr("Show the nanny model's estimated MAE against the realised MAE, per hour that "
                                       "got its outcomes.")))
        return *stop;
    const auto range =
        KpiQuery::lastRange(inv.deployment(), p.value(QStringLiteral("range")), QDateTime::currentSecsSinceEpoch());
    if (!range)
        return Context::fail(Text::tr("--range must be a number followed by m, h or d (at most 366 days), not \"%1\".")
                                 .arg(p.value(QStringLiteral("range"))));
    const auto quality =
        readNannyQuality(inv.pg(), inv.deployment(), range->fromSecs * 1'000'000, range->toSecs * 1'000'000);
    if (!quality)
        return Context::fail(quality.errorMessage());
    if (p.isSet(QStringLiteral("out"))) {
        const QString path = p.value(QStringLiteral("out"));
        QSaveFile file(path);
        const QByteArray csv = nannyQualityCsv(*quality);
        if (!file.open(QIODevice::WriteOnly) || file.write(csv) != csv.size() || !file.commit())
            return Context::fail(Text::tr("Cannot write %1: %2").arg(path, file.errorString()));
    }
    if (inv.json())
        Context::outJson(QJsonDocument(quality->toJson()));
    else
        printQuality(inv.deployment(), *quality);
    return Success;
}

} // namespace mldeck::cli
