#include "core/simulator/Simulator.h"

#include "core/Text.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/domain/Deployment.h"
#include "core/ml/ModelRunner.h"
#include "core/simulator/ChampionFollower.h"
#include "core/simulator/DependencyReporter.h"
#include "core/simulator/FlagFollower.h"
#include "core/simulator/ImageTraffic.h"
#include "core/simulator/LogWriter.h"
#include "core/simulator/ModelBatch.h"
#include "core/simulator/OfferTraffic.h"
#include "core/simulator/ServingPolicy.h"
#include "core/simulator/SimulatedWeather.h"
#include "core/simulator/UserFeedback.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSysInfo>

#include <cmath>
#include <deque>
#include <queue>
#include <random>
#include <thread>

namespace mldeck {

namespace {

Q_LOGGING_CATEGORY(lcSimulator, "mldeck.simulator")

constexpr qint64 kProgressEveryMs = 1000;
constexpr int kTickMs = 10;
constexpr int kFlushTimeoutMs = 30'000;

qint64 wallMicros()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000;
}

struct PendingOutcome
{
    qint64 dueMs = 0;
    OutcomeRow outcome;
    bool hasOutcome = true; // false: only feedback (a classifier's label given by a dispatcher)
    std::optional<FeedbackRow> feedback;
    bool operator>(const PendingOutcome &other) const { return dueMs > other.dueMs; }
};

} // namespace

struct Simulator::Impl
{
    explicit Impl(SimulatorOptions o)
        : options(std::move(o)), generator(options.seed), policy(options.seed ^ 0x9e3779b97f4a7c15ULL),
          rng(options.seed + 1)
    {
    }

    SimulatorOptions options;
    RideDelayGenerator generator;
    ServingPolicy policy;
    std::mt19937_64 rng;
    std::uniform_real_distribution<double> uniform{0.0, 1.0};
    std::unique_ptr<ModelRunner> model;
    QString modelVersion;
    bool followChampion = false;
    std::optional<ChampionRef> serving;     // the champion served, when it is one
    std::optional<ClassSpec> classSpec;     // a classification deployment: its classes and threshold
    std::optional<OfferTraffic> offers;     // ... and its world
    std::optional<ImageTraffic> images;     // an image deployment: its live pool
    std::unique_ptr<ImageStore> imageStore; // ... and the store its keys resolve in
    int featureSchemaId = 1;
    ModelBatcher batcher; // what the model is asked, with the recent requests for sequence models
    SimulatedWeather weather;
    // Request keys are unique across runs, as booking ids are: outcomes join predictions by key,
    // and a database kept from an earlier run must not pair them with this run's rows.
    QString keyPrefix = QString::number(QDateTime::currentMSecsSinceEpoch(), 36) + QLatin1Char('-');
    std::priority_queue<PendingOutcome, std::vector<PendingOutcome>, std::greater<>> pending;
    SimulatorStats stats;

    void serveChampion(RedisConnection &redis);
    std::vector<DependencyReport> dependencyReports() const;
    Status serveBatch(int count, qint64 elapsedMs, const FlagState &flags, LogWriter &writer);
    void serveClassBatch(int count, qint64 elapsedMs, const FlagState &flags, LogWriter &writer);
    void serveImageBatch(int count, qint64 elapsedMs, const FlagState &flags, LogWriter &writer);
    Status useClassifier(const DeploymentInfo &deployment);
    Status useImages(const DeploymentInfo &deployment);
    void tally(const PredictionRow &row);
    std::vector<std::optional<double>> predict(const std::vector<RideRequest> &requests, const std::vector<bool> &onMl,
                                               QString *error, double *msPerRow);
    void schedule(const RideRequest &request, const PredictionRow &row);
    void scheduleLabel(qint64 tsMicros, const QString &requestKey, int truth, const PredictionRow &row);
    void releaseOutcomes(qint64 upToMs, LogWriter &writer);
};

Simulator::Simulator(SimulatorOptions options) : d(std::make_unique<Impl>(std::move(options))) {}

Simulator::~Simulator() = default;

QString Simulator::defaultModelPath()
{
    return bundledModel(QStringLiteral("eta_mlp.pt"));
}

QString Simulator::bundledModel(const QString &file)
{
    const QStringList candidates = {
        QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + file,
        QCoreApplication::applicationDirPath() + QStringLiteral("/../share/mldeck/models/") + file,
        QStringLiteral("/usr/share/mldeck/models/") + file,
    };
    for (const QString &c : candidates) {
        if (QFileInfo::exists(c))
            return QDir::cleanPath(c);
    }
    return candidates.first();
}

Status Simulator::prepare()
{
    auto &o = d->options;
    if (!isValidDeploymentName(o.deployment))
        return Error{
            SimulatorText::tr("\"%1\" is not a valid deployment name (lower-case letters, digits, '-' and '_').")
                .arg(o.deployment)};
    if (!(o.rate > 0 && o.rate <= 100'000))
        return Error{SimulatorText::tr("The rate must be between 0 and 100000 requests per second.")};
    if (o.initialPercentage > 100)
        return Error{SimulatorText::tr("The initial percentage must be between 0 and 100.")};
    d->followChampion = o.modelPath.isEmpty();

    auto pg = PgConnection::open(o.pg, QStringLiteral("mldeck-simulate"));
    if (!pg)
        return pg.error();
    auto schema = Migrator::status(*pg.value());
    if (!schema)
        return schema.error();
    if (schema->foreignSchema || schema->current == 0)
        return Error{SimulatorText::tr("The database has no MLDeck schema yet: run \"mldeckctl migrate\" first.")};
    if (!schema->pending.isEmpty())
        return Error{
            SimulatorText::tr("The MLDeck schema is out of date (version %1 of %2): run \"mldeckctl migrate\".")
                .arg(schema->current)
                .arg(schema->latest)};
    // An image deployment is served from its live pool of images; a deployment created as a classifier
    // from the ride-offer world; any other (or a new one) from the ride-delay world, as a regression.
    DeploymentStore deployments(*pg.value());
    const auto existing = deployments.show(o.deployment);
    if (!existing && existing.errorMessage() != DeploymentStore::unknownText(o.deployment))
        return existing.error();
    const auto planned = [&](Scenario::Kind kind) {
        return anyActive(o.scenarios, kind, std::numeric_limits<qint64>::max());
    };
    if (existing && existing->isImage() && !existing->images)
        return Error{SimulatorText::tr("The image configuration of \"%1\" cannot be read: %2")
                         .arg(o.deployment, existing->imagesError)};
    if (existing && existing->images) {
        if (planned(Scenario::Kind::Drift) || planned(Scenario::Kind::Calibration) ||
            planned(Scenario::Kind::WeatherDown))
            return Error{SimulatorText::tr("\"%1\" is an image deployment: its scenarios are image-drift, errors, "
                                           "latency and degraded.")
                             .arg(o.deployment)};
        if (Status s = d->useImages(*existing); !s)
            return s;
    } else if (existing && existing->task == QLatin1String("classification")) {
        if (Status s = d->useClassifier(*existing); !s)
            return s;
    }
    if (!d->classSpec && planned(Scenario::Kind::Calibration))
        return Error{SimulatorText::tr("The calibration scenario plays on a classification deployment; \"%1\" is a "
                                       "regression.")
                         .arg(o.deployment)};
    if (!d->images && planned(Scenario::Kind::ImageDrift))
        return Error{SimulatorText::tr("The image-drift scenario plays on an image deployment; \"%1\" takes tabular "
                                       "features.")
                         .arg(o.deployment)};
    if (o.modelPath.isEmpty())
        o.modelPath = d->images      ? bundledModel(QStringLiteral("digits_cnn.pt"))
                      : d->classSpec ? bundledModel(QStringLiteral("accept_mlp.pt"))
                                     : defaultModelPath();

    auto model = ModelRunner::load(o.modelPath);
    if (!model)
        return Error{SimulatorText::tr("Cannot use model %1: %2").arg(o.modelPath, model.errorMessage())};
    d->model = std::move(model).value();
    d->model->setThreads(o.modelThreads);
    const ModelInfo &info = d->model->info();
    if (d->classSpec &&
        (info.task != QLatin1String("classification") || info.classSpec.classes != d->classSpec->classes))
        return Error{SimulatorText::tr("Model %1 does not serve the classes of \"%2\" (%3).")
                         .arg(o.modelPath, o.deployment, d->classSpec->classes.join(QStringLiteral(", ")))};
    if (d->images.has_value() != info.image.has_value())
        return Error{d->images ? SimulatorText::tr("Model %1 takes tabular features; \"%2\" is an image deployment.")
                                     .arg(o.modelPath, o.deployment)
                               : SimulatorText::tr("Model %1 takes images; \"%2\" takes tabular features.")
                                     .arg(o.modelPath, o.deployment)};
    const QString fileName = QFileInfo(o.modelPath).completeBaseName();
    d->modelVersion = info.version.isEmpty()
                          ? fileName
                          : (info.name.isEmpty() ? fileName : info.name) + QLatin1Char('@') + info.version;

    if (!d->images) { // an image deployment exists already (its store is part of it) and has no features
        auto schemaId =
            d->classSpec ? deployments.ensure(o.deployment, OfferTraffic::description(), RideOfferGenerator::schema())
                         : deployments.ensure(o.deployment, SimulatorText::tr("Ride delay prediction (demo)"),
                                              RideDelayGenerator::schema());
        if (!schemaId)
            return schemaId.error();
        d->featureSchemaId = *schemaId;
    }
    // The image-drift scenario's copies, once everything else is known to fit: the store is written to
    // only for a run that serves them.
    if (d->images && planned(Scenario::Kind::ImageDrift)) {
        if (Status s = d->images->writeDriftCopies(*d->imageStore); !s)
            return s;
    }
    const QDate today = QDateTime::currentDateTimeUtc().date();
    if (auto made = PredictionLog(*pg.value()).ensurePartitions(today.addDays(-1), today.addDays(7)); !made)
        return made.error();

    auto redis = RedisConnection::open(o.redis);
    if (!redis)
        return redis.error();
    if (o.initialPercentage >= 0) {
        FlagChange initial;
        initial.mlEnabled = o.initialPercentage > 0;
        initial.trafficPercentage = o.initialPercentage;
        initial.fallbackOnError = true;
        initial.actor = QStringLiteral("mldeckctl simulate");
        if (auto flags = FlagStore(*redis.value()).initialiseIfMissing(o.deployment, initial); !flags)
            return flags.error();
    }
    if (d->followChampion)
        d->serveChampion(*redis.value());
    return {};
}

// The ride-offer world is binary: a classifier deployment of other classes is not one the simulator can serve.
Status Simulator::Impl::useClassifier(const DeploymentInfo &deployment)
{
    const ClassSpec world = RideOfferGenerator::classSpec();
    if (deployment.classSpec.classes != world.classes)
        return Error{SimulatorText::tr("Deployment \"%1\" is a classifier of %2; the simulator serves ride offers, "
                                       "classes %3.")
                         .arg(deployment.name, deployment.classSpec.classes.join(QStringLiteral(", ")),
                              world.classes.join(QStringLiteral(", ")))};
    classSpec = deployment.classSpec; // with the deployment's own decision threshold
    offers.emplace(options.seed);
    return {};
}

// An image deployment's requests are images picked from the live pool of its folder store.
Status Simulator::Impl::useImages(const DeploymentInfo &deployment)
{
    const ImageStoreConfig &config = deployment.images->store;
    if (config.kind != QLatin1String("folder"))
        return Error{SimulatorText::tr("The simulator serves images from a folder store; \"%1\" has a %2 store.")
                         .arg(deployment.name, config.kind)};
    auto store = openImageStore(config);
    if (!store)
        return store.error();
    auto traffic = ImageTraffic::open(config.root, deployment.classSpec.classes, options.seed);
    if (!traffic)
        return traffic.error();
    imageStore = std::move(store).value();
    images.emplace(std::move(traffic).value());
    classSpec = deployment.classSpec;
    return {};
}

// A champion that cannot be loaded at start is no reason not to serve: the demo model stands in.
void Simulator::Impl::serveChampion(RedisConnection &redis)
{
    auto champion = ChampionFollower::read(&redis, options.pg, options.deployment);
    if (!champion) {
        stats.modelWarning = SimulatorText::tr("Cannot read the champion: %1").arg(champion.errorMessage());
    } else if (champion->has_value()) {
        auto loaded = ChampionFollower::load(**champion, options.modelThreads);
        if (loaded) {
            LoadedChampion c = std::move(loaded).value();
            model = std::move(c.runner);
            modelVersion = c.ref.version;
            serving = c.ref;
            return;
        }
        stats.modelWarning = loaded.errorMessage();
    }
    if (!stats.modelWarning.isEmpty())
        qCWarning(lcSimulator).noquote() << stats.modelWarning << "- serving" << options.modelPath;
}

std::vector<DependencyReport> Simulator::Impl::dependencyReports() const
{
    static const QString reportedBy = QStringLiteral("mldeckctl simulate@%1:%2")
                                          .arg(QSysInfo::machineHostName())
                                          .arg(QCoreApplication::applicationPid());
    return {weather.report(options.deployment, reportedBy)};
}

void Simulator::Impl::schedule(const RideRequest &request, const PredictionRow &row)
{
    if (uniform(rng) >= options.outcomeShare)
        return;
    PendingOutcome p;
    const double jitter = 0.5 + uniform(rng);
    p.dueMs = request.tsMicros / 1000 + static_cast<qint64>(options.outcomeDelayMs * jitter);
    p.outcome.deployment = options.deployment;
    p.outcome.requestKey = request.requestKey;
    p.outcome.actual = request.actualDelay;
    if (row.predicted && uniform(rng) < options.feedbackShare)
        p.feedback = userFeedback(options.deployment, request.requestKey, *row.predicted, request.actualDelay, rng);
    pending.push(std::move(p));
}

// A classifier's labels: the true class (the driver's answer, the digit written) arrives late for a share of
// the requests; someone marks some served classes right or wrong, with or without that answer, about the
// row's image when it has one.
void Simulator::Impl::scheduleLabel(qint64 tsMicros, const QString &requestKey, int truth, const PredictionRow &row)
{
    PendingOutcome p;
    p.hasOutcome = uniform(rng) < options.outcomeShare;
    if (row.predictedClass && uniform(rng) < options.feedbackShare) {
        p.feedback = classFeedback(options.deployment, requestKey, *row.predictedClass == truth, rng);
        p.feedback->imageKey = row.imageKey;
    }
    if (!p.hasOutcome && !p.feedback)
        return;
    p.dueMs = tsMicros / 1000 + static_cast<qint64>(options.outcomeDelayMs * (0.5 + uniform(rng)));
    p.outcome.deployment = options.deployment;
    p.outcome.requestKey = requestKey;
    p.outcome.actual = truth;
    pending.push(std::move(p));
}

void Simulator::Impl::releaseOutcomes(qint64 upToMs, LogWriter &writer)
{
    std::vector<OutcomeRow> outcomes;
    std::vector<FeedbackRow> feedback;
    while (!pending.empty() && pending.top().dueMs <= upToMs) {
        PendingOutcome p = pending.top();
        pending.pop();
        p.outcome.observedMicros = std::min(p.dueMs, QDateTime::currentMSecsSinceEpoch()) * 1000;
        const qint64 observed = p.outcome.observedMicros;
        if (p.hasOutcome)
            outcomes.push_back(std::move(p.outcome));
        if (p.feedback) {
            p.feedback->tsMicros = observed;
            feedback.push_back(std::move(*p.feedback));
        }
    }
    if (!outcomes.empty())
        writer.append(std::move(outcomes));
    if (!feedback.empty())
        writer.append(std::move(feedback));
}

std::vector<std::optional<double>> Simulator::Impl::predict(const std::vector<RideRequest> &requests,
                                                            const std::vector<bool> &onMl, QString *error,
                                                            double *msPerRow)
{
    const ModelBatcher::Batch batch = batcher.next(requests, onMl, model->info().sequenceLength);
    if (batch.mlCount == 0)
        return std::vector<std::optional<double>>(requests.size());
    QElapsedTimer timer;
    timer.start();
    auto predicted = model->predict(batch.rows);
    *msPerRow = timer.nsecsElapsed() / 1e6 / static_cast<double>(batch.mlCount);
    if (!predicted) {
        *error = predicted.errorMessage();
        return std::vector<std::optional<double>>(requests.size());
    }
    return batch.spread(predicted.value());
}

void Simulator::Impl::tally(const PredictionRow &row)
{
    stats.requests++;
    stats.ml += row.path == PredictionPath::Ml ? 1 : 0;
    stats.heuristic += row.path == PredictionPath::Heuristic ? 1 : 0;
    stats.fallback += row.path == PredictionPath::Fallback ? 1 : 0;
    stats.failed += row.failed ? 1 : 0;
}

void Simulator::Impl::serveClassBatch(int count, qint64 elapsedMs, const FlagState &flags, LogWriter &writer)
{
    const auto &sc = options.scenarios;
    offers->setDrift(anyActive(sc, Scenario::Kind::Drift, elapsedMs) ? 1.0 : 0.0);
    const bool rivalBonus = anyActive(sc, Scenario::Kind::Calibration, elapsedMs);
    const ServingPolicy::Conditions conditions{anyActive(sc, Scenario::Kind::Errors, elapsedMs),
                                               anyActive(sc, Scenario::Kind::Latency, elapsedMs),
                                               anyActive(sc, Scenario::Kind::Degraded, elapsedMs)};
    const qint64 now = wallMicros();
    const qint64 spreadMicros = kTickMs * 1000;
    std::vector<RideOffer> batch;
    std::vector<bool> onMl;
    batch.reserve(std::size_t(count));
    onMl.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        batch.push_back(offers->next(now - spreadMicros + spreadMicros * (i + 1) / count, rivalBonus));
        batch.back().requestKey.prepend(keyPrefix);
        onMl.push_back(ServingPolicy::routesToMl(flags, options.deployment, batch.back().requestKey));
    }
    QString mlError;
    double msPerRow = 0;
    std::vector<std::vector<double>> outputs(batch.size());
    const ModelBatcher::Batch asked = batcher.next(batch, onMl, model->info().sequenceLength);
    if (asked.mlCount > 0) {
        QElapsedTimer timer;
        timer.start();
        auto predicted = model->predictProbabilities(asked.rows);
        msPerRow = double(timer.nsecsElapsed()) / 1e6 / double(asked.mlCount);
        if (predicted)
            outputs = asked.spread(predicted->values, predicted->classes);
        else
            mlError = predicted.errorMessage();
    }
    std::vector<PredictionRow> rows;
    rows.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const RideOffer &offer = batch[i];
        PredictionRow row = policy.serveClass(
            flags, options.deployment, *classSpec, {offer.tsMicros, offer.requestKey, offer.features}, onMl[i],
            outputs[i], OfferTraffic::heuristic(offer.features), mlError, msPerRow, modelVersion, conditions);
        row.featureSchema = featureSchemaId;
        tally(row);
        scheduleLabel(offer.tsMicros, offer.requestKey, offer.accepted, row);
        rows.push_back(std::move(row));
    }
    writer.append(std::move(rows));
}

// The images routed to ML go to the model as one batch; an image that cannot be read or decoded is served
// as a failed model call (the fallback when the flags allow it), with the store's or the decoder's reason.
// Without the model the backend has no rule for images: its answer is every class equally likely.
void Simulator::Impl::serveImageBatch(int count, qint64 elapsedMs, const FlagState &flags, LogWriter &writer)
{
    const auto &sc = options.scenarios;
    const bool drifted = anyActive(sc, Scenario::Kind::ImageDrift, elapsedMs);
    const ServingPolicy::Conditions conditions{anyActive(sc, Scenario::Kind::Errors, elapsedMs),
                                               anyActive(sc, Scenario::Kind::Latency, elapsedMs),
                                               anyActive(sc, Scenario::Kind::Degraded, elapsedMs)};
    const qint64 now = wallMicros();
    const qint64 spreadMicros = kTickMs * 1000;
    std::vector<ImageRequest> batch;
    std::vector<bool> onMl;
    batch.reserve(std::size_t(count));
    onMl.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        batch.push_back(images->next(now - spreadMicros + spreadMicros * (i + 1) / count, drifted));
        batch.back().requestKey.prepend(keyPrefix);
        onMl.push_back(ServingPolicy::routesToMl(flags, options.deployment, batch.back().requestKey));
    }
    QString mlError;
    double msPerRow = 0;
    std::vector<std::vector<double>> outputs(batch.size());
    PreparedImages prepared;
    const ModelInfo &info = model->info();
    if (!info.image) {
        mlError = SimulatorText::tr("Model %1 takes tabular features, not images.").arg(modelVersion);
    } else {
        prepared = ImageTraffic::prepare(*imageStore, batch, onMl, *info.image);
        if (prepared.batch.mlCount > 0) {
            QElapsedTimer timer;
            timer.start();
            auto predicted = model->predictImageProbabilities(prepared.chw.data(), qint64(prepared.batch.mlCount));
            msPerRow = double(timer.nsecsElapsed()) / 1e6 / double(prepared.batch.mlCount);
            if (predicted)
                outputs = prepared.batch.spread(predicted->values, predicted->classes);
            else
                mlError = predicted.errorMessage();
        }
    }
    const std::vector<double> uniformAnswer(std::size_t(classSpec->count()), 1.0 / classSpec->count());
    std::vector<PredictionRow> rows;
    rows.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const ImageRequest &request = batch[i];
        const QString &error = mlError.isEmpty() && i < prepared.errors.size() ? prepared.errors[i] : mlError;
        PredictionRow row =
            policy.serveClass(flags, options.deployment, *classSpec, {request.tsMicros, request.requestKey, {}},
                              onMl[i], outputs[i], uniformAnswer, error, msPerRow, modelVersion, conditions);
        row.featureSchema = featureSchemaId;
        row.imageKey = request.imageKey;
        tally(row);
        scheduleLabel(request.tsMicros, request.requestKey, request.label, row);
        rows.push_back(std::move(row));
    }
    writer.append(std::move(rows));
}

Status Simulator::Impl::serveBatch(int count, qint64 elapsedMs, const FlagState &flags, LogWriter &writer)
{
    if (images) {
        serveImageBatch(count, elapsedMs, flags, writer);
        return {};
    }
    if (classSpec) {
        serveClassBatch(count, elapsedMs, flags, writer);
        return {};
    }
    const auto &sc = options.scenarios;
    generator.setDrift(anyActive(sc, Scenario::Kind::Drift, elapsedMs) ? 1.0 : 0.0);
    const ServingPolicy::Conditions conditions{anyActive(sc, Scenario::Kind::Errors, elapsedMs),
                                               anyActive(sc, Scenario::Kind::Latency, elapsedMs),
                                               anyActive(sc, Scenario::Kind::Degraded, elapsedMs)};

    const qint64 now = wallMicros();
    weather.update(anyActive(sc, Scenario::Kind::WeatherDown, elapsedMs),
                   QDateTime::fromMSecsSinceEpoch(now / 1000, Qt::UTC));
    const qint64 spreadMicros = kTickMs * 1000;
    std::vector<RideRequest> requests;
    std::vector<bool> onMl;
    requests.reserve(count);
    onMl.reserve(count);
    for (int i = 0; i < count; ++i) {
        requests.push_back(generator.next(now - spreadMicros + spreadMicros * (i + 1) / count));
        requests.back().requestKey.prepend(keyPrefix);
        // The served features are what the backend had; the truth keeps the real weather.
        weather.applyTo(requests.back().features);
        onMl.push_back(ServingPolicy::routesToMl(flags, options.deployment, requests.back().requestKey));
    }
    QString mlError;
    double msPerRow = 0;
    const auto outputs = predict(requests, onMl, &mlError, &msPerRow);

    std::vector<PredictionRow> rows;
    rows.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        PredictionRow row = policy.serve(flags, options.deployment, requests[i], onMl[i], outputs[i], mlError, msPerRow,
                                         modelVersion, conditions);
        row.featureSchema = featureSchemaId;
        tally(row);
        schedule(requests[i], row);
        rows.push_back(std::move(row));
    }
    writer.append(std::move(rows));
    return {};
}

Status Simulator::run(const std::atomic_bool &stop, const std::function<void(const SimulatorStats &)> &progress)
{
    if (!d->model)
        return Error{SimulatorText::tr("The simulator was not prepared.")};
    const auto &o = d->options;

    FlagFollower flags(o.redis, o.deployment);
    LogWriter writer(o.pg);
    std::unique_ptr<ChampionFollower> champion;
    if (d->followChampion)
        champion = std::make_unique<ChampionFollower>(o.redis, o.pg, o.deployment, o.modelThreads, d->serving);
    DependencyReporter dependencies(o.redis, o.dependencyReportMs);
    dependencies.set(d->dependencyReports());
    flags.start();
    writer.start();
    dependencies.start();
    if (champion)
        champion->start();

    QElapsedTimer clock;
    clock.start();
    qint64 served = 0;
    qint64 lastProgress = 0;
    auto report = [&](qint64 elapsed) {
        const auto c = writer.counters();
        auto &s = d->stats;
        s.elapsedMs = elapsed;
        s.predictionsWritten = c.predictionsWritten;
        s.outcomesWritten = c.outcomesWritten;
        s.feedbackWritten = c.feedbackWritten;
        s.buffered = c.buffered;
        s.dropped = c.dropped;
        s.pgError = c.lastError;
        s.redisError = flags.lastError();
        s.flags = flags.current();
        s.pendingOutcomes = static_cast<qint64>(d->pending.size());
        s.modelVersion = d->modelVersion;
        if (champion) {
            s.modelWarning = champion->lastError();
            s.modelSwitches = champion->switches();
        }
        s.weatherDown = d->weather.isDown();
        s.dependencyError = dependencies.lastError();
        s.activeScenarios.clear();
        for (const auto &sc : o.scenarios) {
            if (sc.activeAt(elapsed))
                s.activeScenarios << Scenario::kindName(sc.kind);
        }
        if (progress)
            progress(s);
    };

    while (!stop.load()) {
        const qint64 elapsed = clock.elapsed();
        if (o.durationMs >= 0 && elapsed >= o.durationMs)
            break;
        const auto due = static_cast<qint64>(o.rate * elapsed / 1000.0);
        // Never try to catch up more than a second of traffic at once.
        const qint64 count = std::min<qint64>(due - served, static_cast<qint64>(std::ceil(o.rate)));
        // Between batches, so a batch (and its logged version) is served by one model.
        if (auto next = champion ? champion->takeLoaded() : std::nullopt) {
            d->model = std::move(next->runner);
            d->modelVersion = next->ref.version;
            d->serving = next->ref;
        }
        if (count > 0) {
            const bool wasDown = d->weather.isDown();
            if (auto st = d->serveBatch(static_cast<int>(count), elapsed, flags.current(), writer); !st)
                return st;
            if (d->weather.isDown() != wasDown)
                dependencies.set(d->dependencyReports());
            served = std::max(served + count, due - static_cast<qint64>(std::ceil(o.rate)));
        }
        d->releaseOutcomes(QDateTime::currentMSecsSinceEpoch(), writer);
        if (elapsed - lastProgress >= kProgressEveryMs) {
            lastProgress = elapsed;
            report(elapsed);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kTickMs));
    }

    // Nothing is lost on stop: outcomes still waiting are written now, then everything buffered.
    d->releaseOutcomes(std::numeric_limits<qint64>::max(), writer);
    flags.stop();
    dependencies.stop();
    if (champion)
        champion->stop();
    const Status flushed = writer.stopAndFlush(kFlushTimeoutMs);
    report(clock.elapsed());
    return flushed;
}

} // namespace mldeck
