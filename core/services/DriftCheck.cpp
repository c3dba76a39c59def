#include "core/services/DriftCheck.h"

#include "core/Text.h"
#include "core/services/DriftReferenceSource.h"
#include "core/services/FeatureSketching.h"
#include "core/services/ImageDriftCheck.h"
#include "core/stats/drift/DriftDebouncer.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QLoggingCategory>

#include <algorithm>
#include <cmath>

namespace mldeck {

Q_LOGGING_CATEGORY(lcDrift, "mldeck.drift", QtInfoMsg)

namespace {

constexpr qint64 kMicros = 1'000'000;

} // namespace

Result<ReferenceSource> resolveReference(DriftData &data, const QString &deployment, const drift::ReferenceSpec &spec,
                                         qint64 windowFromMicros)
{
    using Kind = drift::ReferenceSpec::Kind;
    using Source = ReferenceSource::Kind;
    auto period = [&](qint64 from, qint64 to, const QString &what) -> Result<ReferenceSource> {
        if (to <= from)
            return Error{ServiceText::tr("The reference period of \"%1\" is empty.").arg(deployment)};
        const auto iso = [](qint64 us) {
            return QDateTime::fromMSecsSinceEpoch(us / 1000, Qt::UTC).toString(Qt::ISODate);
        };
        return ReferenceSource{
            Source::Period, 0, from, to, {}, ServiceText::tr("%1 (%2 to %3)").arg(what, iso(from), iso(to))};
    };
    auto snapshot = [](const QString &name) {
        return ReferenceSource{Source::Snapshot, 0, 0, 0, name, ServiceText::tr("snapshot %1").arg(name)};
    };
    switch (spec.kind) {
    case Kind::FirstRows:
        return ReferenceSource{Source::FirstRows, spec.rows, 0, 0, {}, describeReference(spec)};
    case Kind::Snapshot:
        return snapshot(spec.snapshot);
    case Kind::Model: {
        auto w = data.championTrainingWindow(deployment);
        if (!w)
            return w.error();
        return period(w->first, w->second, ServiceText::tr("the champion's training window"));
    }
    case Kind::Period:
        return period(spec.from.toMSecsSinceEpoch() * 1000, spec.to.toMSecsSinceEpoch() * 1000,
                      ServiceText::tr("period"));
    case Kind::Previous:
        return period(windowFromMicros - spec.seconds * kMicros, windowFromMicros,
                      ServiceText::tr("the previous %1 s").arg(spec.seconds));
    case Kind::First: {
        auto first = data.firstLoggedMicros(deployment);
        if (!first)
            return first.error();
        return period(*first, std::min(*first + spec.seconds * kMicros, windowFromMicros),
                      ServiceText::tr("the first %1 s of the log").arg(spec.seconds));
    }
    case Kind::Auto: {
        auto snap = data.snapshotExists(deployment, QStringLiteral("baseline"));
        if (!snap)
            return snap.error();
        if (*snap)
            return snapshot(QStringLiteral("baseline"));
        if (auto w = data.championTrainingWindow(deployment))
            return period(w->first, w->second, ServiceText::tr("the champion's training window"));
        auto first = data.firstLoggedMicros(deployment);
        if (!first)
            return first.error();
        return period(*first, std::min(*first + 3600 * kMicros, windowFromMicros),
                      ServiceText::tr("the first hour of the log"));
    }
    }
    return Error{ServiceText::tr("Unknown reference.")};
}

Result<drift::Dataset> loadReferenceRows(DriftData &data, const QString &deployment, const FeatureSchema &schema,
                                         const ReferenceSource &source, qint64 maxRows)
{
    switch (source.kind) {
    case ReferenceSource::Kind::FirstRows:
        return data.loadFirstRows(deployment, schema, source.rows);
    case ReferenceSource::Kind::Snapshot:
        return data.loadSnapshot(deployment, source.snapshot, schema);
    case ReferenceSource::Kind::Period:
        break;
    }
    return data.loadWindow(deployment, schema, source.from, source.to, maxRows);
}

namespace {

void dropIgnored(drift::Dataset &d, const QStringList &ignore)
{
    std::erase_if(d.columns, [&](const drift::Column &c) { return ignore.contains(c.name); });
}

QString severityOf(const QString &feature)
{
    return feature == kDriftDatasetFeature ? QStringLiteral("critical") : QStringLiteral("warning");
}

// A long window from the per-hour feature sketches (resources/contract/drift.md, "Drift from sketches"): the
// reference too when it is a period longer than a day, else its rows as exact sketches. Fills report.result.
Status compareFromSketches(PgConnection &conn, DriftData &data, const QString &deployment, const FeatureSchema &schema,
                           const ReferenceSource &source, qint64 fromMicros, qint64 toMicros, DriftCheckReport &report)
{
    const drift::DriftConfig &cfg = report.config;
    SketchedSide reference;
    if (source.kind == ReferenceSource::Kind::Period && source.to - source.from > kSketchWindowSeconds * kMicros) {
        auto r = loadSketchedSide(conn, deployment, schema, source.from, source.to, cfg.maxRows);
        if (!r)
            return r.error();
        reference = std::move(r).value();
    } else {
        auto rows = loadReferenceRows(data, deployment, schema, source, cfg.maxRows);
        if (!rows)
            return rows.error();
        reference = exactSketches(*rows);
    }
    auto current = loadSketchedSide(conn, deployment, schema, fromMicros, toMicros, cfg.maxRows);
    if (!current)
        return current.error();
    const auto isOutput = [](const QString &name) {
        return name == kDriftPredictionFeature || name == kDriftTargetFeature || name == kDriftPredictedClassFeature;
    };
    SketchedSide features, outputs;
    for (const auto &column : current->columns) {
        if (cfg.ignore.contains(column.first))
            continue;
        (isOutput(column.first) ? outputs : features).columns.push_back(column);
    }
    report.result = compareSketchedSides(reference, features, cfg.options);
    drift::DriftOptions extraOptions = cfg.options;
    if (!extraOptions.testOverrides.contains(kDriftPredictedClassFeature))
        extraOptions.testOverrides.insert(kDriftPredictedClassFeature, drift::TestKind::ChiSquare);
    for (const auto &f : compareSketchedSides(reference, outputs, extraOptions).features)
        if (f.currentCount > 0)
            report.result.features.push_back(f);
    report.fromSketches = true;
    report.sketchedHours = current->sketchedHours;
    report.rawRows = current->rawRows;
    if (cfg.multivariate) { // the PCA needs rows: no verdict over a window read from sketches
        drift::MultivariateDrift m;
        m.varianceShare = cfg.pca.varianceShare;
        m.problem = ServiceText::tr("not computed over a window read from sketches (the PCA needs the rows)");
        report.multivariate = m;
    }
    return {};
}

} // namespace

Result<DriftReferenceRows> loadDriftReference(PgConnection &conn, const QString &deployment,
                                              const FeatureSchema &schema, qint64 windowFromMicros)
{
    DriftData data(conn);
    auto settings = data.driftSettings(deployment);
    if (!settings)
        return settings.error();
    auto config = drift::DriftConfig::fromJson(*settings);
    if (!config)
        return Error{ServiceText::tr("Drift settings of \"%1\": %2").arg(deployment, config.errorMessage())};
    auto source = resolveReference(data, deployment, config->reference, windowFromMicros);
    if (!source)
        return source.error();
    auto rows = loadReferenceRows(data, deployment, schema, *source, config->maxRows);
    if (!rows)
        return rows.error();
    return DriftReferenceRows{std::move(rows).value(), source->description};
}

QString referenceFillingText(const ReferenceFilling &filling)
{
    return ServiceText::tr("reference filling: %1 of %2").arg(filling.rows).arg(filling.needed);
}

QString describeReference(const drift::ReferenceSpec &spec)
{
    using Kind = drift::ReferenceSpec::Kind;
    switch (spec.kind) {
    case Kind::FirstRows:
        return ServiceText::tr("the first %L1 logged predictions").arg(spec.rows);
    case Kind::Auto:
        return ServiceText::tr("automatic (snapshot baseline, else the champion's training window, else the first "
                               "hour of the log)");
    case Kind::Model:
        return ServiceText::tr("the champion's training window");
    case Kind::Snapshot:
        return ServiceText::tr("snapshot %1").arg(spec.snapshot);
    case Kind::Period:
        return ServiceText::tr("period %1 to %2").arg(spec.from.toString(Qt::ISODate), spec.to.toString(Qt::ISODate));
    case Kind::First:
        return ServiceText::tr("the first %1 s of the log").arg(spec.seconds);
    case Kind::Previous:
        return ServiceText::tr("the previous %1 s").arg(spec.seconds);
    }
    return spec.toString();
}

QString driftFeatureLabel(const QString &feature)
{
    if (feature == kDriftPredictionFeature)
        return ServiceText::tr("prediction");
    if (feature == kDriftTargetFeature)
        return ServiceText::tr("target");
    if (feature == kDriftPredictedClassFeature)
        return ServiceText::tr("predicted class");
    if (feature == kDriftDatasetFeature)
        return ServiceText::tr("dataset");
    if (feature == kDriftMultivariateFeature)
        return ServiceText::tr("multivariate");
    if (feature == kDriftImageBrightness)
        return ServiceText::tr("image brightness");
    if (feature == kDriftImageContrast)
        return ServiceText::tr("image contrast");
    if (feature == kDriftImageWidth)
        return ServiceText::tr("image width");
    if (feature == kDriftImageHeight)
        return ServiceText::tr("image height");
    return feature;
}

Result<DriftCheckReport> runDriftCheck(PgConnection &conn, const DriftCheckRequest &request,
                                       const std::function<QDateTime()> &clock)
{
    DriftData data(conn);
    auto settings = data.driftSettings(request.deployment);
    if (!settings)
        return settings.error();
    auto config = drift::DriftConfig::fromJson(*settings);
    if (!config)
        return Error{ServiceText::tr("Drift settings of \"%1\": %2").arg(request.deployment, config.errorMessage())};
    DriftCheckReport report;
    report.config = *config;
    drift::DriftConfig &cfg = report.config;
    if (request.windowSeconds)
        cfg.windowSeconds = *request.windowSeconds;
    if (!request.reference.isEmpty()) {
        auto r = drift::ReferenceSpec::parse(request.reference);
        if (!r)
            return r.error();
        cfg.reference = *r;
    }
    if (request.datasetShare)
        cfg.options.datasetShare = *request.datasetShare;

    const QDateTime now =
        request.now.isValid() ? request.now.toUTC() : (clock ? clock() : QDateTime::currentDateTimeUtc());
    report.windowTo = now;
    report.windowFrom = now.addSecs(-cfg.windowSeconds);
    const qint64 toMicros = now.toMSecsSinceEpoch() * 1000;
    const qint64 fromMicros = toMicros - cfg.windowSeconds * kMicros;

    auto deployment = DeploymentStore(conn).show(request.deployment);
    if (!deployment)
        return deployment.error();
    const bool image = deployment->isImage();
    auto has = data.hasSchema(request.deployment);
    if (!has)
        return has.error();
    if (!*has && !image && cfg.reference.kind == drift::ReferenceSpec::Kind::FirstRows) {
        // A deployment created before anything told it its features has logged nothing yet.
        report.filling = ReferenceFilling{0, cfg.reference.rows};
        report.referenceDescription = describeReference(cfg.reference);
        return report;
    }
    // An image deployment has no features: its rows carry the default schema id unless one was stored.
    auto schema = *has || !image ? data.latestSchema(request.deployment) : Result<FeatureSchema>(FeatureSchema{});
    if (!schema)
        return schema.error();

    if (cfg.reference.kind == drift::ReferenceSpec::Kind::FirstRows) {
        auto rows = data.countRows(request.deployment, *schema, cfg.reference.rows);
        if (!rows)
            return rows.error();
        if (*rows < cfg.reference.rows) {
            report.filling = ReferenceFilling{*rows, cfg.reference.rows};
            report.referenceDescription = describeReference(cfg.reference);
            return report;
        }
    }

    QHash<QString, DriftData::StateRow> states;
    if (request.persist) {
        auto loaded = data.loadState(request.deployment);
        if (!loaded)
            return loaded.error();
        states = *loaded;
        // A window is counted once: a second run before a new window has passed changes nothing.
        const qint64 last = states.value(kDriftDatasetFeature).lastWindowEndMs;
        if (last > 0 &&
            now.toMSecsSinceEpoch() - last < std::min<qint64>(cfg.intervalSeconds, cfg.windowSeconds) * 1000 / 2) {
            report.skipped = true;
            return report;
        }
    }

    auto source = resolveReference(data, request.deployment, cfg.reference, fromMicros);
    if (!source)
        return source.error();
    report.referenceDescription = source->description;
    bool useSketches =
        !image && (request.sketches == DriftCheckRequest::Sketches::Always ||
                   (request.sketches == DriftCheckRequest::Sketches::Auto && cfg.windowSeconds > kSketchWindowSeconds));
    if (useSketches && request.sketches == DriftCheckRequest::Sketches::Auto) {
        auto sketched = anySketchedHour(conn, request.deployment, fromMicros, toMicros);
        if (!sketched)
            return sketched.error();
        useSketches = *sketched;
    }
    if (useSketches) {
        if (auto s =
                compareFromSketches(conn, data, request.deployment, *schema, *source, fromMicros, toMicros, report);
            !s)
            return s.error();
    } else {
        auto reference = loadReferenceRows(data, request.deployment, *schema, *source, cfg.maxRows);
        if (!reference)
            return reference.error();
        auto current = data.loadWindow(request.deployment, *schema, fromMicros, toMicros, cfg.maxRows);
        if (!current)
            return current.error();
        const QStringList imageRows = imageDriftFeatures();
        const bool everyImageRowIgnored =
            std::all_of(imageRows.cbegin(), imageRows.cend(), [&](const QString &f) { return cfg.ignore.contains(f); });
        if (image && !everyImageRowIgnored) {
            // Its drift features: statistics of a sample of its images on each side (none decoded when all are
            // ignored).
            auto sides = measureImageSides(data, request.deployment, *schema, *deployment, *source, fromMicros,
                                           toMicros, cfg, request.imageCache);
            if (!sides)
                return sides.error();
            for (drift::Column &c : sides.value().reference.columns)
                reference.value().columns.push_back(std::move(c));
            for (drift::Column &c : sides.value().current.columns)
                current.value().columns.push_back(std::move(c));
            report.images = std::move(sides.value().report);
        }
        dropIgnored(reference.value(), cfg.ignore);
        dropIgnored(current.value(), cfg.ignore);

        // Prediction and target drift (and a classifier's predicted-class distribution) are reported but do
        // not count towards the dataset verdict.
        const auto isOutput = [](const QString &name) {
            return name == kDriftPredictionFeature || name == kDriftTargetFeature ||
                   name == kDriftPredictedClassFeature;
        };
        drift::Dataset features = *current;
        std::erase_if(features.columns, [&](const drift::Column &c) { return isOutput(c.name); });
        report.result = drift::compareDatasets(*reference, features, cfg.options);
        drift::Dataset extra;
        for (const drift::Column &c : current->columns)
            if (isOutput(c.name))
                extra.columns.push_back(c);
        // The prior shift is a chi-square test of the class shares, whatever the sample sizes (unless the
        // deployment's settings chose another test for it).
        drift::DriftOptions extraOptions = cfg.options;
        if (!extraOptions.testOverrides.contains(kDriftPredictedClassFeature))
            extraOptions.testOverrides.insert(kDriftPredictedClassFeature, drift::TestKind::ChiSquare);
        const drift::DatasetDrift extraResult = drift::compareDatasets(*reference, extra, extraOptions);
        for (const auto &f : extraResult.features)
            if (f.currentCount > 0)
                report.result.features.push_back(f);
        if (cfg.multivariate) {
            drift::Dataset referenceFeatures = *reference;
            std::erase_if(referenceFeatures.columns, [&](const drift::Column &c) { return isOutput(c.name); });
            report.multivariate = drift::compareMultivariate(referenceFeatures, features, cfg.pca);
        }
    }

    if (!request.persist)
        return report;

    if (auto s = data.recordScores(request.deployment, toMicros, cfg.windowSeconds, report.result,
                                   report.multivariate ? &*report.multivariate : nullptr);
        !s)
        return s.error();
    const drift::DriftDebouncer debouncer(cfg.consecutiveWindows, [now] { return now; });
    AlertStore alerts(conn);
    auto apply = [&](const QString &feature, bool drift, bool enough, const QJsonObject &details,
                     const QString &title) -> Status {
        DriftData::StateRow &row = states[feature];
        const drift::DebounceEvent event = debouncer.observe(row.state, drift, enough);
        row.lastWindowEndMs = now.toMSecsSinceEpoch();
        if (event == drift::DebounceEvent::Fire) {
            auto raised = alerts.raise(request.deployment, QStringLiteral("drift"), severityOf(feature),
                                       QStringLiteral("drift:") + feature, title, details);
            if (!raised)
                return raised.error();
            report.fired << feature;
            qCInfo(lcDrift) << "drift alert fired:" << request.deployment << feature;
        } else if (event == drift::DebounceEvent::Resolve) {
            auto done = alerts.resolve(request.deployment, QStringLiteral("drift"), QStringLiteral("drift:") + feature,
                                       request.actor);
            if (!done)
                return done.error();
            report.resolved << feature;
            qCInfo(lcDrift) << "drift alert resolved:" << request.deployment << feature;
        } else if (row.state.firing && drift) {
            // Still drifting: keep the open alert's figures fresh (refreshes last_seen_at).
            auto raised = alerts.raise(request.deployment, QStringLiteral("drift"), severityOf(feature),
                                       QStringLiteral("drift:") + feature, title, details);
            if (!raised)
                return raised.error();
        }
        if (row.state.firing)
            report.firing << feature;
        return {};
    };
    for (const auto &f : report.result.features) {
        QJsonObject details{{QStringLiteral("feature"), f.name},
                            {QStringLiteral("test"), drift::testKey(f.test)},
                            {QStringLiteral("score"), std::isfinite(f.statistic) ? f.statistic : 0.0},
                            {QStringLiteral("threshold"), f.threshold},
                            {QStringLiteral("effect_size"), std::isfinite(f.effectSize) ? f.effectSize : 0.0},
                            {QStringLiteral("effect_size_kind"), f.effectSizeName},
                            {QStringLiteral("window_seconds"), cfg.windowSeconds},
                            {QStringLiteral("reference"), report.referenceDescription}};
        if (f.pValue)
            details.insert(QStringLiteral("p_value"), *f.pValue);
        const QString title = f.pValue ? ServiceText::tr("Drift on %1: %2 p = %3, effect %4 = %5")
                                             .arg(driftFeatureLabel(f.name), drift::testKey(f.test))
                                             .arg(*f.pValue, 0, 'g', 3)
                                             .arg(f.effectSizeName)
                                             .arg(f.effectSize, 0, 'f', 2)
                                       : ServiceText::tr("Drift on %1: %2 = %3 (threshold %4), effect %5 = %6")
                                             .arg(driftFeatureLabel(f.name), drift::testKey(f.test))
                                             .arg(f.statistic, 0, 'g', 3)
                                             .arg(f.threshold, 0, 'g', 3)
                                             .arg(f.effectSizeName)
                                             .arg(f.effectSize, 0, 'f', 2);
        if (auto s = apply(f.name, f.drift, f.enoughSamples, details, title); !s)
            return s.error();
    }
    const QJsonObject datasetDetails{{QStringLiteral("drifted"), report.result.drifted},
                                     {QStringLiteral("considered"), report.result.considered},
                                     {QStringLiteral("share"), report.result.share},
                                     {QStringLiteral("share_threshold"), report.result.shareThreshold}};
    if (auto s = apply(kDriftDatasetFeature, report.result.datasetDrift,
                       report.result.considered > 0 && !report.result.datasetUndecided, datasetDetails,
                       ServiceText::tr("Dataset drift: %1 of %2 features drift")
                           .arg(report.result.drifted)
                           .arg(report.result.considered));
        !s)
        return s.error();
    if (const auto &m = report.multivariate) {
        const QJsonObject details{
            {QStringLiteral("feature"), kDriftMultivariateFeature},
            {QStringLiteral("test"), QStringLiteral("pca")},
            {QStringLiteral("score"), std::isfinite(m->value) ? QJsonValue(m->value) : QJsonValue()},
            {QStringLiteral("band_low"), m->lower},
            {QStringLiteral("band_high"), m->upper},
            {QStringLiteral("components"), m->components},
            {QStringLiteral("variance_share"), m->varianceShare},
            {QStringLiteral("window_seconds"), cfg.windowSeconds},
            {QStringLiteral("reference"), report.referenceDescription}};
        const QString title = ServiceText::tr("Drift on %1: mean reconstruction error %2 outside the reference band "
                                              "%3 to %4")
                                  .arg(drift::multivariateLabel(m->components, m->varianceShare))
                                  .arg(m->value, 0, 'g', 3)
                                  .arg(m->lower, 0, 'g', 3)
                                  .arg(m->upper, 0, 'g', 3);
        if (auto s = apply(kDriftMultivariateFeature, m->drift, m->enoughSamples, details, title); !s)
            return s.error();
    } else if (states.value(kDriftMultivariateFeature).state.firing) {
        // The line was turned off while its alert fired: nothing would ever resolve it.
        auto done = alerts.resolve(request.deployment, QStringLiteral("drift"),
                                   QStringLiteral("drift:") + kDriftMultivariateFeature, request.actor);
        if (!done)
            return done.error();
        states[kDriftMultivariateFeature] = DriftData::StateRow{{}, now.toMSecsSinceEpoch()};
        report.resolved << kDriftMultivariateFeature;
        qCInfo(lcDrift) << "drift alert resolved (multivariate line off):" << request.deployment;
    }
    if (auto s = data.saveState(request.deployment, states); !s)
        return s.error();
    return report;
}

} // namespace mldeck
