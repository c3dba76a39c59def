#include "core/demo/HistoryBackfill.h"

#include "core/demo/HistoryEvents.h"
#include "core/demo/HistoryModel.h"
#include "core/demo/HistoryScript.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/domain/Deployment.h"
#include "core/services/ModelOperations.h"
#include "core/simulator/OfferTraffic.h"
#include "core/simulator/ServingPolicy.h"
#include "core/simulator/Simulator.h"
#include "core/simulator/UserFeedback.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/HistoryStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <cmath>
#include <deque>
#include <random>

namespace mldeck {

namespace {

// Rides per hour of the day (UTC), mean 1: quiet nights, morning and evening rush.
constexpr double kHourProfile[24] = {0.25, 0.18, 0.15, 0.15, 0.22, 0.45, 0.9, 1.55, 1.85, 1.45, 1.1, 1.05,
                                     1.2,  1.15, 1.05, 1.1,  1.35, 1.8,  1.9, 1.5,  1.15, 0.85, 0.6, 0.4};
constexpr std::size_t kFlushRows = 50'000;
// Model time per row attributed to a prediction (the live backend measures it; a fixed figure keeps
// the history deterministic).
constexpr double kInferenceMsPerRow[2] = {0.08, 0.6};
constexpr qint64 kOutcomeMinDelayMs = 20 * 60'000; // the ride ends, then the real delay is known
constexpr qint64 kOutcomeSpreadMs = 25 * 60'000;
// A classifier's labels (the live demo's accept traffic): the driver's answer is logged for half of the
// offers, dispatchers mark one in ten served classes right or wrong.
constexpr double kClassOutcomeShare = 0.5;
constexpr double kClassFeedbackShare = 0.1;

QString bundledModel(const QString &file)
{
    return QFileInfo(Simulator::defaultModelPath()).dir().filePath(file);
}

// Redis: the flags the month ended with and the champion, for the live traffic that follows; done again
// when a history is reused, since a demo's Redis starts empty. Flags already there are kept on reuse; a
// fresh history overwrites them (its log was empty: nothing served under them yet, and a deployment
// created first has its flags at ML off, 0 %).
Status handOver(PgConnection &pg, const HistoryOptions &o, const HistoryScript &script, const QString &actor,
                bool fresh)
{
    auto redis = RedisConnection::open(o.redis);
    if (!redis)
        return redis.error();
    const FlagState last = script.flagsAt(script.to.toMSecsSinceEpoch() - 1, o.deployment);
    FlagChange flags;
    flags.mlEnabled = last.mlEnabled;
    flags.trafficPercentage = last.trafficPercentage;
    flags.fallbackOnError = true;
    flags.actor = actor;
    FlagStore store(**redis);
    auto made = store.initialiseIfMissing(o.deployment, flags);
    if (!made)
        return made.error();
    if (fresh && (made->mlEnabled != flags.mlEnabled || made->trafficPercentage != flags.trafficPercentage))
        if (auto written = store.write(o.deployment, flags, made->version); !written)
            return written.error();
    if (auto published = models::publishChampion(pg, o.redis, o.deployment); !published)
        return published.error();
    return {};
}

double seconds(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e9;
}

} // namespace

HistoryBackfill::HistoryBackfill(HistoryOptions options) : m_options(std::move(options)) {}

Result<HistoryReport> HistoryBackfill::run(const std::function<void(const QString &)> &progress)
{
    const HistoryOptions &o = m_options;
    const auto say = [&progress](const QString &line) {
        if (progress)
            progress(line);
    };
    if (!isValidDeploymentName(o.deployment))
        return Error{tr("\"%1\" is not a valid deployment name.").arg(o.deployment)};
    if (o.days < HistoryScript::kMinDays || o.days > HistoryScript::kMaxDays)
        return Error{tr("The history must span %1 to %2 days, not %3.")
                         .arg(HistoryScript::kMinDays)
                         .arg(HistoryScript::kMaxDays)
                         .arg(o.days)};
    if (!(o.rate > 0 && o.rate <= kMaxRate))
        return Error{
            tr("The rate must be above 0 and at most %1 requests per second, not %2.").arg(kMaxRate).arg(o.rate)};
    QDateTime end = o.end.isValid() ? o.end.toUTC() : QDateTime::currentDateTimeUtc();
    end.setTime(QTime(end.time().hour(), end.time().minute()));
    const HistoryScript script = HistoryScript::make(end, o.days, o.rate);

    QElapsedTimer total;
    total.start();
    HistoryReport report;
    report.from = script.from;
    report.to = script.to;

    auto opened = PgConnection::open(o.pg, QStringLiteral("mldeck-demo-history"));
    if (!opened)
        return opened.error();
    PgConnection &pg = **opened;
    auto schema = Migrator::status(pg);
    if (!schema)
        return schema.error();
    if (schema->foreignSchema || schema->current == 0 || !schema->pending.isEmpty())
        return Error{tr("The MLDeck schema is missing or out of date: run \"mldeckctl migrate\" first.")};
    HistoryStore store(pg);
    auto marker = store.loaded(o.deployment);
    if (!marker)
        return marker.error();
    if (marker->has_value()) {
        report.reused = true;
        report.marker = **marker;
        report.from = QDateTime::fromString(report.marker.value(QStringLiteral("from")).toString(), Qt::ISODate);
        report.to = QDateTime::fromString(report.marker.value(QStringLiteral("to")).toString(), Qt::ISODate);
        const HistoryScript was = HistoryScript::make(report.to, report.marker.value(QStringLiteral("days")).toInt(),
                                                      report.marker.value(QStringLiteral("rate")).toDouble());
        if (Status s = handOver(pg, o, was, QStringLiteral("mldeckctl demo-history"), false); !s)
            return s.error();
        return report;
    }
    auto busy = store.hasPredictions(o.deployment);
    if (!busy)
        return busy.error();
    if (*busy)
        return Error{tr("Deployment \"%1\" already has logged predictions: a history is only loaded into an empty "
                        "log (start from a new database).")
                         .arg(o.deployment)};

    QElapsedTimer stage;
    stage.start();
    // A deployment created as a classifier gets the ride-offer world and its one model; any other the
    // ride-delay world with the champion and its retrained successor.
    std::optional<ClassSpec> classSpec;
    DeploymentStore deployments(pg);
    if (auto existing = deployments.show(o.deployment); existing && existing->task == QLatin1String("classification")) {
        if (existing->classSpec.classes != RideOfferGenerator::classSpec().classes)
            return Error{tr("Deployment \"%1\" is a classifier of %2; the demo history is one of ride offers, "
                            "classes %3.")
                             .arg(o.deployment, existing->classSpec.classes.join(QStringLiteral(", ")),
                                  RideOfferGenerator::classSpec().classes.join(QStringLiteral(", ")))};
        classSpec = existing->classSpec;
    }
    const FeatureSchema features = classSpec ? RideOfferGenerator::schema() : RideDelayGenerator::schema();
    auto schemaId = deployments.ensure(
        o.deployment, classSpec ? OfferTraffic::description() : tr("Ride delay prediction (demo)"), features);
    if (!schemaId)
        return schemaId.error();
    const QString firstFile = !o.firstModel.isEmpty() ? o.firstModel
                              : classSpec             ? bundledModel(QStringLiteral("accept_mlp.pt"))
                                                      : bundledModel(QStringLiteral("eta_mlp.pt"));
    auto first = HistoryModel::load(firstFile, o.deployment, QStringLiteral("1"), *schemaId, o.storeDirectory);
    if (!first)
        return first.error();
    std::optional<HistoryModel> second;
    if (!classSpec) {
        auto loaded =
            HistoryModel::load(o.secondModel.isEmpty() ? bundledModel(QStringLiteral("eta_lstm.pt")) : o.secondModel,
                               o.deployment, QStringLiteral("2"), *schemaId, o.storeDirectory);
        if (!loaded)
            return loaded.error();
        second = std::move(loaded).value();
    }
    if (auto made = PredictionLog(pg).ensurePartitions(script.from.date(), script.to.date().addDays(7)); !made)
        return made.error();
    if (Status s = store.beginLoad(); !s)
        return s.error();
    report.stages << HistoryStage{tr("prepare (models, partitions)"), 0, seconds(stage)};
    say(tr("prepared in %1 s: models loaded in their workers, day partitions made").arg(seconds(stage), 0, 'f', 1));

    HistoryEvents events(pg, store, script, o.deployment, features, classSpec.has_value(), o.seed, o.rate,
                         first.value(), second ? &*second : nullptr);
    HistoryModel *served[2] = {&first.value(), second ? &*second : &first.value()};
    if (Status s = events.registerFirstModel(); !s)
        return s.error();

    // The month, segment by segment: a segment ends at the next hour or the next event, so that the
    // flags, the faults and the model are constant inside it and every event sees the rows before it.
    RideDelayGenerator generator(o.seed);
    std::optional<OfferTraffic> offers;
    if (classSpec)
        offers.emplace(o.seed);
    ServingPolicy policy(o.seed ^ 0x9e3779b97f4a7c15ULL);
    std::mt19937_64 rng(o.seed + 1);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const SimulatorOptions liveDefaults; // the live backend's outcome and feedback shares
    PredictionLog log(pg);
    std::vector<PredictionRow> predictions;
    std::vector<OutcomeRow> outcomes;
    // A classifier's marks go in with the rest while the triggers are off: the database does not turn
    // them into labels then (a mark inserted live is one), so the month's labels are the drivers'
    // answers. Writing them after the load, one trigger per batch, took minutes for a test month.
    std::vector<FeedbackRow> feedback;
    double generateSeconds = 0, copySeconds = 0;
    QElapsedTimer copyTimer;
    const auto flush = [&]() -> Status {
        copyTimer.start();
        if (Status s = log.appendPredictions(predictions); !s)
            return s;
        if (Status s = log.appendOutcomes(outcomes); !s)
            return s;
        if (Status s = log.appendFeedback(feedback); !s)
            return s;
        report.predictions += qint64(predictions.size());
        report.outcomes += qint64(outcomes.size());
        report.feedback += qint64(feedback.size());
        predictions.clear();
        outcomes.clear();
        feedback.clear();
        copySeconds += seconds(copyTimer);
        return {};
    };

    const qint64 fromMs = script.from.toMSecsSinceEpoch();
    const qint64 toMs = script.to.toMSecsSinceEpoch();
    // A classifier's segment: ride offers, the model's probabilities or the baseline rule, the driver's
    // answers and dispatchers' marks.
    const auto serveOffers = [&](qint64 a, qint64 b, qint64 count, const FlagState &flags,
                                 const ServingPolicy::Conditions &conditions) {
        offers->setDrift(script.driftAt(a) ? 1.0 : 0.0);
        std::vector<RideOffer> batch;
        std::vector<bool> onMl;
        for (qint64 i = 0; i < count; ++i) {
            const qint64 tsMicros = a * 1000 + (b - a) * 1000 * (2 * i + 1) / (2 * count);
            batch.push_back(offers->next(tsMicros, script.calibrationShiftAt(a)));
            batch.back().requestKey.prepend(QStringLiteral("hist-"));
            onMl.push_back(ServingPolicy::routesToMl(flags, o.deployment, batch.back().requestKey));
        }
        QString mlError;
        const auto outputs = served[0]->predictProbabilities(batch, onMl, &mlError);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const RideOffer &offer = batch[i];
            PredictionRow row =
                policy.serveClass(flags, o.deployment, *classSpec, {offer.tsMicros, offer.requestKey, offer.features},
                                  onMl[i], outputs[i], OfferTraffic::heuristic(offer.features), mlError,
                                  kInferenceMsPerRow[0], served[0]->row.version, conditions);
            row.featureSchema = *schemaId;
            // The driver's answer (late) and a dispatcher's mark, each for a share of the offers.
            const qint64 observedMs =
                offer.tsMicros / 1000 + kOutcomeMinDelayMs + qint64(uniform(rng) * kOutcomeSpreadMs);
            const bool answered = uniform(rng) < kClassOutcomeShare;
            const bool marked = row.predictedClass && uniform(rng) < kClassFeedbackShare;
            qint64 knownMs = -1;
            if (observedMs < toMs && answered) {
                knownMs = observedMs;
                outcomes.push_back(
                    OutcomeRow{observedMs * 1000, o.deployment, offer.requestKey, double(offer.accepted)});
            }
            if (observedMs < toMs && marked) {
                feedback.push_back(
                    classFeedback(o.deployment, offer.requestKey, *row.predictedClass == offer.accepted, rng));
                feedback.back().tsMicros = observedMs * 1000;
                events.countFeedback(observedMs, feedback.back().positive);
            }
            events.observe(offer.features, double(offer.accepted), row, knownMs);
            predictions.push_back(std::move(row));
        }
    };
    QElapsedTimer genTimer;
    for (qint64 a = fromMs; a < toMs;) {
        if (Status s = events.fireUpTo(a); !s)
            return s.error();
        const qint64 nextHour = (a / 3'600'000 + 1) * 3'600'000;
        const qint64 b = std::min({nextHour, events.nextBoundaryAfter(a), toMs});
        genTimer.start();
        const int hour = QDateTime::fromMSecsSinceEpoch(a, Qt::UTC).time().hour();
        const qint64 count = std::llround(o.rate * kHourProfile[hour] * double(b - a) / 1000.0);
        const FlagState flags = script.flagsAt(a, o.deployment);
        generator.setDrift(script.driftAt(a) ? 1.0 : 0.0);
        const ServingPolicy::Conditions conditions{script.errorsAt(a), false, false};
        const int modelIndex = script.secondModelAt(a) ? 1 : 0;
        if (offers) {
            serveOffers(a, b, count, flags, conditions);
        } else {
            std::vector<RideRequest> requests;
            std::vector<bool> onMl;
            requests.reserve(std::size_t(count));
            onMl.reserve(std::size_t(count));
            for (qint64 i = 0; i < count; ++i) {
                const qint64 tsMicros = a * 1000 + (b - a) * 1000 * (2 * i + 1) / (2 * count);
                requests.push_back(generator.next(tsMicros));
                requests.back().requestKey.prepend(QStringLiteral("hist-"));
                onMl.push_back(ServingPolicy::routesToMl(flags, o.deployment, requests.back().requestKey));
            }
            QString mlError;
            const auto outputs = served[modelIndex]->predict(requests, onMl, &mlError);
            for (std::size_t i = 0; i < requests.size(); ++i) {
                const RideRequest &r = requests[i];
                PredictionRow row =
                    policy.serve(flags, o.deployment, r, onMl[i], outputs[i], mlError, kInferenceMsPerRow[modelIndex],
                                 served[modelIndex]->row.version, conditions);
                row.featureSchema = *schemaId;
                qint64 knownMs = -1;
                if (uniform(rng) < liveDefaults.outcomeShare) {
                    const qint64 observedMs =
                        r.tsMicros / 1000 + kOutcomeMinDelayMs + qint64(uniform(rng) * kOutcomeSpreadMs);
                    if (observedMs < toMs) {
                        knownMs = observedMs;
                        outcomes.push_back(OutcomeRow{observedMs * 1000, o.deployment, r.requestKey, r.actualDelay});
                        if (row.predicted && uniform(rng) < liveDefaults.feedbackShare) {
                            feedback.push_back(
                                userFeedback(o.deployment, r.requestKey, *row.predicted, r.actualDelay, rng));
                            feedback.back().tsMicros = observedMs * 1000;
                            events.countFeedback(observedMs, feedback.back().positive);
                        }
                    }
                }
                events.observe(r.features, r.actualDelay, row, knownMs);
                predictions.push_back(std::move(row));
            }
        }
        generateSeconds += seconds(genTimer);
        if (predictions.size() >= kFlushRows)
            if (Status s = flush(); !s)
                return s.error();
        a = b;
    }
    if (Status s = flush(); !s)
        return s.error();
    if (Status s = events.fireUpTo(toMs); !s)
        return s.error();
    const qint64 logRows = report.predictions + report.outcomes + report.feedback;
    report.stages << HistoryStage{tr("generate (rides, routing, both models)"), report.predictions, generateSeconds};
    report.stages << HistoryStage{tr("COPY (predictions, outcomes, feedback)"), logRows, copySeconds};
    report.stages << HistoryStage{tr("events (plan, guard, drift, retrain, registry)"), events.rows(),
                                  events.seconds()};
    say(tr("%1 predictions, %2 outcomes, %3 feedback written with COPY in %4 s (%5 rows/s)")
            .arg(report.predictions)
            .arg(report.outcomes)
            .arg(report.feedback)
            .arg(copySeconds, 0, 'f', 1)
            .arg(copySeconds > 0 ? double(logRows) / copySeconds : 0, 0, 'f', 0));

    if (Status s = store.endLoad(); !s)
        return s.error();
    stage.start();
    auto aggregates = store.buildAggregates(o.deployment, script.from, script.to);
    if (!aggregates)
        return aggregates.error();
    report.aggregateRows = *aggregates;
    report.stages << HistoryStage{tr("KPI aggregates (kpi_rebuild, once)"), report.predictions, seconds(stage)};
    say(tr("KPI aggregates built once in %1 s (%2 aggregate rows)").arg(seconds(stage), 0, 'f', 1).arg(*aggregates));

    stage.start();
    if (Status s = handOver(pg, o, script, events.person().name, true); !s)
        return s.error();

    report.auditRows = events.auditRows();
    report.seconds = seconds(total);
    report.marker = QJsonObject{{QStringLiteral("seed"), QString::number(o.seed)},
                                {QStringLiteral("days"), o.days},
                                {QStringLiteral("rate"), o.rate},
                                {QStringLiteral("from"), script.from.toString(Qt::ISODate)},
                                {QStringLiteral("to"), script.to.toString(Qt::ISODate)},
                                {QStringLiteral("predictions"), double(report.predictions)},
                                {QStringLiteral("outcomes"), double(report.outcomes)},
                                {QStringLiteral("feedback"), double(report.feedback)},
                                {QStringLiteral("seconds"), report.seconds}};
    if (Status s = events.writeMarker(report.marker); !s)
        return s.error();
    report.stages << HistoryStage{tr("Redis flags and champion"), 0, seconds(stage)};
    return report;
}

} // namespace mldeck
