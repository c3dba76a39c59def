#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/demo/DemoCsv.h"
#include "core/demo/RideDelayGenerator.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSaveFile>

#include <cmath>

namespace mldeck::cli {

namespace {

struct DemoDataOptions
{
    qint64 rows = 0;
    QString out;
    quint64 seed = 42;
    qint64 startMicros = 0;
    double rate = 1.0;
    double drift = 0.0;
    bool offers = false; // --task accept: ride offers and whether the driver accepted
};

Result<DemoDataOptions> readOptions(const QCommandLineParser &p)
{
    DemoDataOptions o;
    bool ok = false;
    if (!p.isSet(QStringLiteral("rows")))
        return Error{Text::tr("--rows is required (how many requests to generate).")};
    o.rows = p.value(QStringLiteral("rows")).toLongLong(&ok);
    if (!ok || o.rows < 1 || o.rows > 100'000'000)
        return Error{Text::tr("--rows must be a whole number from 1 to 100000000, not \"%1\".")
                         .arg(p.value(QStringLiteral("rows")))};
    const QString task = p.value(QStringLiteral("task"));
    if (task != QLatin1String("delay") && task != QLatin1String("accept"))
        return Error{Text::tr("--task must be delay or accept, not \"%1\".").arg(task)};
    o.offers = task == QLatin1String("accept");
    o.out = p.value(QStringLiteral("out"));
    if (o.out.isEmpty())
        return Error{Text::tr("--out is required (the CSV file to write).")};
    if (p.isSet(QStringLiteral("seed"))) {
        o.seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
        if (!ok)
            return Error{Text::tr("--seed must be a non-negative whole number, not \"%1\".")
                             .arg(p.value(QStringLiteral("seed")))};
    }
    const QString start = p.value(QStringLiteral("start"));
    const QDateTime when = Context::parseUtc(start);
    if (!when.isValid())
        return Error{
            Text::tr("--start must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not \"%1\".").arg(start)};
    o.startMicros = when.toMSecsSinceEpoch() * 1000;
    o.rate = p.value(QStringLiteral("rate")).toDouble(&ok);
    if (!ok || !std::isfinite(o.rate) || o.rate <= 0 || o.rate > 1e6)
        return Error{Text::tr("--rate must be a number of requests per second above 0 and at most 1000000, not \"%1\".")
                         .arg(p.value(QStringLiteral("rate")))};
    o.drift = p.value(QStringLiteral("drift")).toDouble(&ok);
    if (!ok || !(o.drift >= 0 && o.drift <= 1))
        return Error{
            Text::tr("--drift must be a number from 0 to 1, not \"%1\".").arg(p.value(QStringLiteral("drift")))};
    return o;
}

} // namespace

int runDemoData(Context &ctx)
{
    Invocation inv(ctx, 0);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("rows"), Text::tr("Number of requests to generate."), QStringLiteral("N")},
        {QStringLiteral("out"), Text::tr("CSV file to write (replaced only when complete)."), QStringLiteral("file")},
        {QStringLiteral("seed"), Text::tr("Random seed (default 42): the same seed gives the same file."),
         QStringLiteral("S")},
        {QStringLiteral("start"),
         Text::tr("Time of the first request, ISO 8601 (default 2024-05-01T00:00:00Z; UTC when no offset)."),
         QStringLiteral("time"), QStringLiteral("2024-05-01T00:00:00Z")},
        {QStringLiteral("rate"), Text::tr("Requests per second: how fast the timestamps advance (default 1)."),
         QStringLiteral("per-second"), QStringLiteral("1")},
        {QStringLiteral("drift"),
         Text::tr("Feature drift from 0 (none) to 1 (full scenario): wetter, colder, fewer drivers, another fleet "
                  "mix."),
         QStringLiteral("0..1"), QStringLiteral("0")},
        {QStringLiteral("task"),
         Text::tr("delay (default): ride bookings and their delay (regression, the eta demo); accept: ride offers "
                  "and whether the driver accepted (classification, the accept demo)."),
         QStringLiteral("delay|accept"), QStringLiteral("delay")},
    });
    if (auto code = inv.start(Text::tr("Writes synthetic dispatch data as CSV: ride bookings (features, delay_min, ts) "
                                       "or, with --task accept, ride offers (features, accepted, ts).")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    const auto options = readOptions(parser);
    if (!options)
        return Context::fail(options.errorMessage());
    const DemoDataOptions &o = options.value();

    // QSaveFile: a failed or interrupted run leaves any existing file untouched.
    QSaveFile file(o.out);
    if (!file.open(QIODevice::WriteOnly))
        return Context::fail(Text::tr("Cannot write %1: %2").arg(o.out, file.errorString()));

    RideDelayGenerator rides(o.seed);
    RideOfferGenerator offers(o.seed);
    rides.setDrift(o.drift);
    offers.setDrift(o.drift);
    const double stepMicros = 1e6 / o.rate;
    QByteArray chunk = o.offers ? offerCsvHeader() : demoCsvHeader();
    for (qint64 i = 0; i < o.rows; ++i) {
        const qint64 ts = o.startMicros + std::llround(double(i) * stepMicros);
        chunk += o.offers ? offerCsvLine(offers.next(ts)) : demoCsvLine(rides.next(ts));
        if (chunk.size() > (1 << 20) || i + 1 == o.rows) {
            if (file.write(chunk) != chunk.size())
                return Context::fail(Text::tr("Cannot write %1: %2").arg(o.out, file.errorString()));
            chunk.clear();
        }
    }
    if (!file.commit())
        return Context::fail(Text::tr("Cannot write %1: %2").arg(o.out, file.errorString()));
    return Success;
}

} // namespace mldeck::cli
