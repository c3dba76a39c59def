#include "core/services/CompareService.h"

#include "core/Text.h"
#include "core/ml/Evaluator.h"
#include "core/ml/ModelRunner.h"
#include "core/services/CompareImages.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/ModelResolver.h"
#include "core/store/pg/EvaluationData.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QPointer>

#include <cmath>

Q_LOGGING_CATEGORY(lcCompare, "mldeck.services.compare")

namespace mldeck {

namespace {

Error failed(const QString &message)
{
    return Error{message};
}

Error cancelledOutcome()
{
    return Error::cancelled(ServiceText::tr("cancelled"));
}

bool isCancelled(const std::atomic<bool> *cancel)
{
    return cancel && cancel->load();
}

struct LoadedModel
{
    std::unique_ptr<ModelRunner> runner;
    QString label;
    ModelInputs inputs;
};

Result<Dataset> loadRows(const CompareRequest &req, const std::vector<LoadedModel> &models, DatasetColumns &columns,
                         const std::atomic<bool> *cancel, KeptPgConnection &pg)
{
    if (!req.csvPath.isEmpty()) {
        auto header = readCsvHeader(req.csvPath);
        if (!header)
            return header.error();
        if (!header->contains(columns.target))
            return Error{ServiceText::tr("%1 has no target column \"%2\" (columns: %3); name it with --target.")
                             .arg(req.csvPath, columns.target, header->join(QStringLiteral(", ")))};
        for (const LoadedModel &m : models) {
            auto in = modelInputs(m.runner->info(), header.value(), columns, req.features);
            if (!in)
                return Error{ServiceText::tr("%1: %2").arg(m.label, in.errorMessage())};
            for (const QString &n : in->numeric)
                if (!columns.numeric.contains(n))
                    columns.numeric << n;
            for (const QString &n : in->categorical)
                if (!columns.categorical.contains(n))
                    columns.categorical << n;
        }
        return readCsvDataset(req.csvPath, columns, cancel);
    }
    if (!req.pg)
        return Error{ServiceText::tr("A time window needs a PostgreSQL connection.")};
    auto conn = pg.get(*req.pg);
    if (!conn)
        return conn.error();
    EvaluationData data(**conn);
    QString deployment = req.deployment;
    if (deployment.isEmpty()) {
        auto sole = data.soleDeployment();
        if (!sole)
            return sole.error();
        deployment = sole.value();
    }
    const qint64 end = req.windowEndMicros > 0 ? req.windowEndMicros : QDateTime::currentMSecsSinceEpoch() * 1000;
    auto ds = data.load(deployment, end - req.windowSeconds * 1'000'000, end);
    if (ds)
        columns.target = QStringLiteral("actual");
    return ds;
}

using Report = std::function<void(int, const QString &)>;

// 1. Models: a reference that cannot be loaded stops everything before any data is read. Models of
// different tasks cannot be compared.
Result<std::vector<LoadedModel>> loadModels(const CompareRequest &req, KeptPgConnection &pg, const Report &report)
{
    std::vector<LoadedModel> models;
    QStringList labels;
    for (const QString &ref : req.models) {
        report(int(2 * models.size()), ServiceText::tr("Loading %1").arg(ref));
        auto resolved = resolveModel(ref, req.pg, &pg);
        if (!resolved)
            return Error{ServiceText::tr("Model %1: %2").arg(ref, resolved.errorMessage())};
        LoadedModel m;
        m.runner = std::move(resolved.value().runner);
        m.label = resolved.value().label.isEmpty() ? QFileInfo(ref).completeBaseName() : resolved.value().label;
        // Two models with one label (the same file twice) stay distinguishable.
        QString label = m.label;
        for (int k = 2; labels.contains(label); ++k)
            label = m.label + QStringLiteral(" #%1").arg(k);
        m.label = label;
        labels << label;
        models.push_back(std::move(m));
    }
    const ModelInfo &first = models.front().runner->info();
    const bool classification = first.task == QLatin1String("classification");
    for (const LoadedModel &m : models) {
        const ModelInfo &info = m.runner->info();
        if (info.image.has_value() != first.image.has_value())
            return Error{ServiceText::tr("%1 takes %2 and %3 takes %4: they cannot be compared.")
                             .arg(models.front().label,
                                  first.image ? ServiceText::tr("images") : ServiceText::tr("rows"), m.label,
                                  info.image ? ServiceText::tr("images") : ServiceText::tr("rows"))};
        if ((info.task == QLatin1String("classification")) != classification && info.hasMetadata)
            return Error{ServiceText::tr("%1 is a %2 model and %3 a %4 model: they cannot be compared.")
                             .arg(models.front().label, first.task, m.label, info.task)};
        // Classifiers are compared class by class: the same classes in the same order.
        if (classification && !info.hasMetadata)
            return Error{ServiceText::tr("%1 has no metadata: its classes are unknown, so it cannot be compared with "
                                         "the classifier %2.")
                             .arg(m.label, models.front().label)};
        if (classification && info.classSpec.classes != first.classSpec.classes)
            return Error{ServiceText::tr("%1 predicts the classes %2 and %3 the classes %4: they cannot be compared.")
                             .arg(models.front().label, first.classSpec.classes.join(QStringLiteral(", ")), m.label,
                                  info.classSpec.classes.join(QStringLiteral(", ")))};
    }
    return models;
}

// 2. Rows: the union of what the models read, so every model sees exactly the same rows; then each
// model's inputs among them.
Result<Dataset> readRows(const CompareRequest &req, std::vector<LoadedModel> &models, DatasetColumns &columns,
                         KeptPgConnection &pg, const std::atomic<bool> *cancel, const Report &report)
{
    report(10, ServiceText::tr("Reading rows"));
    const ModelInfo &first = models.front().runner->info();
    if (!req.target.isEmpty())
        columns.target = req.target;
    else if (first.hasMetadata && !first.target.isEmpty())
        columns.target = first.target;
    auto data = loadRows(req, models, columns, cancel, pg);
    if (!data || isCancelled(cancel))
        return data;
    if (first.task == QLatin1String("classification")) {
        const int k = first.classSpec.count();
        for (size_t i = 0; i < data->target.size(); ++i) {
            const double y = data->target[i];
            if (!(y >= 0 && y < k && y == std::floor(y)))
                return Error{ServiceText::tr("Row %1: the target \"%2\" is %3, but a classifier's target is the "
                                             "index of the true class, 0 to %4 (%5).")
                                 .arg(qint64(i) + 1)
                                 .arg(columns.target)
                                 .arg(y)
                                 .arg(k - 1)
                                 .arg(first.classSpec.classes.join(QStringLiteral(", ")))};
        }
    }
    for (LoadedModel &m : models) {
        auto in = modelInputs(m.runner->info(), data->header, columns, req.features);
        if (!in)
            return Error{ServiceText::tr("%1: %2").arg(m.label, in.errorMessage())};
        m.inputs = in.value();
    }
    return data;
}

// A classifier's target as class indices (checked whole and in range when the rows were read).
std::vector<int> actualClasses(const stats::ComparisonReport &rep)
{
    std::vector<int> out(rep.actual.size());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = int(rep.actual[i]);
    return out;
}

// 3. Inference, model after model (LibTorch parallelises inside a batch): the summary and the
// predictions of each model go into rep. Stops early when cancelled.
Status evaluateModels(const CompareRequest &req, std::vector<LoadedModel> &models, const Dataset &ds,
                      stats::ComparisonReport &rep, const std::atomic<bool> *cancel, const Report &report)
{
    const bool classification = rep.task == QLatin1String("classification");
    const int evalSpan = models.size() > 1 ? 60 : 85;
    for (size_t k = 0; k < models.size(); ++k) {
        LoadedModel &m = models[k];
        const int base = 15 + int(k) * evalSpan / int(models.size());
        EvaluationOptions opt;
        opt.threads = req.threads;
        opt.batchSize = req.batchSize;
        opt.latencySamples = req.latencySamples;
        opt.cancel = cancel;
        opt.progress = [&](qint64 done, qint64 total) {
            report(base + int(double(done) / double(total) * evalSpan / double(models.size())),
                   ServiceText::tr("Evaluating %1").arg(m.label));
        };
        auto r = evaluateModel(*m.runner, ds, m.inputs, opt);
        if (!r)
            return Error{ServiceText::tr("%1: %2").arg(m.label, r.errorMessage())};
        if (r->cancelled || isCancelled(cancel))
            return {};
        stats::ModelSummary s;
        s.label = m.label;
        s.path = m.runner->info().path;
        s.version = m.runner->info().version;
        s.regression = stats::regressionMetrics(r->predictions, ds.target);
        if (classification)
            s.classification =
                stats::classifierMetrics(m.runner->info().classSpec, r->probabilities.values, actualClasses(rep));
        s.rowsPerSecond = r->rowsPerSecond;
        s.latencyP50Ms = r->latencyP50Ms;
        s.latencyP99Ms = r->latencyP99Ms;
        s.unknownCategoryValues = r->unknownCategoryValues;
        if (!classification && s.regression.mapeSkippedZeroTargets > 0 && k == 0)
            rep.notes << ServiceText::tr("MAPE leaves out %1 rows whose actual value is 0.")
                             .arg(s.regression.mapeSkippedZeroTargets);
        if (s.unknownCategoryValues > 0)
            rep.notes << ServiceText::tr("%1 met %2 categorical values it does not know (encoded as all zero).")
                             .arg(m.label)
                             .arg(s.unknownCategoryValues);
        rep.models.push_back(s);
        rep.predictions.push_back(std::move(r.value().predictions));
        if (classification) {
            rep.probabilities.push_back(std::move(r.value().probabilities.values));
            rep.classSpecs.push_back(m.runner->info().classSpec);
        }
    }
    return {};
}

// The paired series the bootstrap resamples for challenger k against the baseline: hits for
// classification (accuracy), absolute and squared errors for regression (MAE, RMSE).
std::vector<stats::PairedSeries> pairedSeries(const stats::ComparisonReport &rep, size_t k, QStringList &metrics)
{
    const size_t n = rep.actual.size();
    std::vector<stats::PairedSeries> series;
    if (rep.task == QLatin1String("classification")) {
        // Each model serves classes by its own decision rule; both series are means over the same rows.
        const std::vector<int> y = actualClasses(rep);
        const int classes = rep.classSpec.count();
        series.push_back({stats::rowHits(rep.classSpecs[0], rep.probabilities[0], y),
                          stats::rowHits(rep.classSpecs[k], rep.probabilities[k], y), stats::Aggregate::Mean});
        series.push_back(stats::logLossSeries(classes, rep.probabilities[0], rep.probabilities[k], y));
        metrics << QStringLiteral("accuracy") << QStringLiteral("log_loss");
        return series;
    }
    stats::PairedSeries abs, sq;
    sq.aggregate = stats::Aggregate::RootMean;
    for (auto *s : {&abs, &sq}) {
        s->a.resize(n);
        s->b.resize(n);
    }
    for (size_t i = 0; i < n; ++i) {
        const double ea = rep.predictions[0][i] - rep.actual[i];
        const double eb = rep.predictions[k][i] - rep.actual[i];
        abs.a[i] = std::abs(ea);
        abs.b[i] = std::abs(eb);
        sq.a[i] = ea * ea;
        sq.b[i] = eb * eb;
    }
    series.push_back(std::move(abs));
    series.push_back(std::move(sq));
    metrics << QStringLiteral("mae") << QStringLiteral("rmse");
    return series;
}

// 4. Paired bootstrap of every challenger against the baseline (model 0), same resampled rows: the
// deltas and verdicts go into rep. Stops early when cancelled.
Status bootstrapDeltas(const CompareRequest &req, stats::ComparisonReport &rep, const std::atomic<bool> *cancel,
                       const Report &report)
{
    rep.resamples = req.resamples > 0 ? req.resamples : stats::defaultResamples(rep.rows);
    const size_t count = rep.models.size();
    for (size_t k = 1; k < count; ++k) {
        QStringList metrics;
        const std::vector<stats::PairedSeries> series = pairedSeries(rep, k, metrics);
        stats::BootstrapOptions bo;
        bo.resamples = rep.resamples;
        bo.seed = req.seed;
        bo.cancel = cancel;
        const int base = 75 + int(k - 1) * 20 / int(count - 1);
        bo.progress = [&](double f) {
            report(base + int(f * 20 / double(count - 1)), ServiceText::tr("Bootstrap confidence intervals"));
        };
        const auto intervals = stats::pairedBootstrap(series, bo);
        if (isCancelled(cancel))
            return {};
        if (intervals.size() != series.size())
            return Error{ServiceText::tr("The bootstrap could not run on these rows.")};
        for (qsizetype j = 0; j < metrics.size(); ++j) {
            stats::MetricDelta d;
            d.baseline = 0;
            d.challenger = int(k);
            d.metric = metrics[j];
            d.lowerIsBetter = metrics[j] != QLatin1String("accuracy");
            d.interval = intervals[size_t(j)];
            rep.deltas.push_back(d);
            if (j == 0)
                rep.verdicts << stats::verdictSentence(d, rep.models[0].label, rep.models[k].label);
        }
    }
    return {};
}

// 5. Where the models differ: per categorical feature and per hour of day.
void segmentRows(const Dataset &ds, const DatasetColumns &columns, stats::ComparisonReport &rep)
{
    const bool classification = rep.task == QLatin1String("classification");
    rep.segmentMetric = classification ? QStringLiteral("accuracy") : QStringLiteral("mae");
    // Per model and row, what the segment metric averages: hits (accuracy) or absolute errors (MAE).
    std::vector<std::vector<double>> rowValues;
    for (size_t m = 0; m < rep.predictions.size(); ++m) {
        if (classification) {
            rowValues.push_back(stats::rowHits(rep.classSpecs[m], rep.probabilities[m], actualClasses(rep)));
            continue;
        }
        std::vector<double> errors(rep.actual.size());
        for (size_t i = 0; i < errors.size(); ++i)
            errors[i] = std::abs(rep.predictions[m][i] - rep.actual[i]);
        rowValues.push_back(std::move(errors));
    }
    QStringList categorical = columns.categorical;
    for (auto it = ds.categorical.cbegin(); it != ds.categorical.cend(); ++it)
        if (!categorical.contains(it.key()))
            categorical << it.key();
    for (const QString &name : categorical) {
        const CategoricalColumn &col = ds.categorical[name];
        auto rows = stats::segmentBreakdown(name, col.codes, col.levels, rowValues);
        rep.segments.insert(rep.segments.end(), rows.begin(), rows.end());
    }
    const CategoricalColumn hours = ds.hourOfDay();
    if (!hours.codes.empty()) {
        auto rows = stats::segmentBreakdown(QStringLiteral("hour"), hours.codes, hours.levels, rowValues);
        rep.segments.insert(rep.segments.end(), rows.begin(), rows.end());
    }
}

// Image models: the images instead of rows, then the same bootstrap and verdicts.
Result<stats::ComparisonReport> compareImages(const CompareRequest &req, std::vector<LoadedModel> &models,
                                              KeptPgConnection &pg, const std::atomic<bool> *cancel,
                                              const Report &report)
{
    if (!req.csvPath.isEmpty())
        return failed(ServiceText::tr("%1 takes images: give a labelled image folder or a time window, not a CSV "
                                      "file.")
                          .arg(models.front().label));
    if (!req.target.isEmpty() || !req.features.isEmpty())
        return failed(ServiceText::tr("%1 takes images: a target column or a feature list (--target, --features) "
                                      "does not apply.")
                          .arg(models.front().label));
    report(10, ServiceText::tr("Listing images"));
    const ClassSpec &classes = models.front().runner->info().classSpec;
    auto source = compare::loadImageSource(req, classes, pg);
    if (!source)
        return failed(source.errorMessage());
    stats::ComparisonReport rep;
    rep.task = QStringLiteral("classification");
    rep.classSpec = classes;
    rep.data = source->description;
    rep.seed = req.seed;
    rep.notes = source->notes;
    std::vector<compare::ImageModel> imageModels;
    for (const LoadedModel &m : models)
        imageModels.push_back({m.runner.get(), m.label});
    const Status evaluated = compare::evaluateImageModels(req, imageModels, *source, rep, cancel, report);
    if (isCancelled(cancel))
        return cancelledOutcome();
    if (!evaluated)
        return failed(evaluated.errorMessage());
    const Status bootstrapped = bootstrapDeltas(req, rep, cancel, report);
    if (isCancelled(cancel))
        return cancelledOutcome();
    if (!bootstrapped)
        return failed(bootstrapped.errorMessage());
    report(100, ServiceText::tr("Done"));
    return rep;
}

} // namespace

Result<stats::ComparisonReport> runComparison(const CompareRequest &req, const std::atomic<bool> *cancel,
                                              const std::function<void(int, const QString &)> &progress,
                                              KeptPgConnection *kept)
{
    KeptPgConnection own(QStringLiteral("mldeck-compare"));
    KeptPgConnection &pg = kept ? *kept : own;
    const Report report = [&](int percent, const QString &stage) {
        if (progress)
            progress(std::clamp(percent, 0, 100), stage);
    };
    if (req.models.isEmpty() || req.models.size() > 4)
        return failed(ServiceText::tr("Give 1 to 4 models (got %1).").arg(req.models.size()));
    if (int(!req.csvPath.isEmpty()) + int(!req.imagesPath.isEmpty()) + int(req.windowSeconds > 0) != 1)
        return failed(
            ServiceText::tr("Give one source of rows: a CSV file, a labelled image folder or a time window."));

    auto loaded = loadModels(req, pg, report);
    if (!loaded)
        return failed(loaded.errorMessage());
    std::vector<LoadedModel> &models = loaded.value();
    if (models.front().runner->info().image)
        return compareImages(req, models, pg, cancel, report);
    if (!req.imagesPath.isEmpty())
        return failed(
            ServiceText::tr("%1 takes rows, not images: give a CSV file or a time window.").arg(models.front().label));

    DatasetColumns columns;
    auto data = readRows(req, models, columns, pg, cancel, report);
    if (isCancelled(cancel))
        return cancelledOutcome();
    if (!data)
        return failed(data.errorMessage());
    const Dataset &ds = data.value();

    stats::ComparisonReport rep;
    const bool classification = models.front().runner->info().task == QLatin1String("classification");
    rep.task = classification ? QStringLiteral("classification") : QStringLiteral("regression");
    if (classification)
        rep.classSpec = models.front().runner->info().classSpec;
    rep.data = ds.source;
    rep.rows = ds.rowCount();
    rep.seed = req.seed;
    rep.notes = ds.notes;
    rep.actual = ds.target;

    const Status evaluated = evaluateModels(req, models, ds, rep, cancel, report);
    if (isCancelled(cancel))
        return cancelledOutcome();
    if (!evaluated)
        return failed(evaluated.errorMessage());

    const Status bootstrapped = bootstrapDeltas(req, rep, cancel, report);
    if (isCancelled(cancel))
        return cancelledOutcome();
    if (!bootstrapped)
        return failed(bootstrapped.errorMessage());

    report(96, ServiceText::tr("Segments"));
    segmentRows(ds, columns, rep);
    report(100, ServiceText::tr("Done"));
    return rep;
}

CompareService::CompareService(QObject *parent)
    : QObject(parent), m_jobs(new JobThread(QStringLiteral("mldeck-compare"), this)),
      m_pg(std::make_shared<KeptPgConnection>(QStringLiteral("mldeck-compare")))
{
    qRegisterMetaType<mldeck::Result<mldeck::stats::ComparisonReport>>();
}

CompareService::~CompareService()
{
    if (m_cancel)
        m_cancel->store(true); // the running job stops at its next batch; JobThread then joins
}

bool CompareService::start(const CompareRequest &request)
{
    if (m_running)
        return false;
    m_running = true;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancel;
    QPointer<CompareService> self(this);
    m_jobs->post(
        this,
        [request, cancel, self, pg = m_pg] {
            int last = -1;
            const auto forward = [&](int percent, const QString &stage) {
                if (percent == last)
                    return; // one queued signal per percent, not per batch
                last = percent;
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, percent, stage] {
                        if (self && self->m_running)
                            Q_EMIT self->progress(percent, stage);
                    },
                    Qt::QueuedConnection);
            };
            return runComparison(request, cancel.get(), forward, pg.get());
        },
        [this, cancel](Result<stats::ComparisonReport> outcome) {
            if (cancel->load() && !(!outcome && outcome.error().isCancelled()))
                outcome = cancelledOutcome(); // cancelled after the last check: still "cancelled"
            m_running = false;
            qCInfo(lcCompare) << "comparison finished:" << (outcome ? QStringLiteral("done") : outcome.errorMessage());
            Q_EMIT finished(outcome);
        });
    return true;
}

void CompareService::cancel()
{
    if (m_running && m_cancel)
        m_cancel->store(true);
}

} // namespace mldeck
