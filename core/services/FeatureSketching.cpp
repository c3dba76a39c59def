#include "core/services/FeatureSketching.h"

#include "core/Text.h"
#include "core/domain/DriftScore.h"
#include "core/stats/drift/SketchDrift.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/FeatureSketchStore.h"
#include "core/store/pg/RetentionStore.h"

#include <QElapsedTimer>
#include <QSet>

#include <algorithm>
#include <limits>

namespace mldeck {

namespace {

constexpr qint64 kHourMicros = 3600LL * 1'000'000;

qint64 floorHour(qint64 us)
{
    return us - (((us % kHourMicros) + kHourMicros) % kHourMicros);
}

qint64 ceilHour(qint64 us)
{
    const qint64 f = floorHour(us);
    return f == us ? us : f + kHourMicros;
}

ColumnSketch sketchOf(const drift::Column &c, int k)
{
    if (c.kind == drift::FeatureKind::Numeric)
        return drift::NumericSketch::fromValues(c.numeric, k);
    return drift::CategorySketch::fromLabels(c.categorical);
}

qint64 rowsOf(const ColumnSketch &s)
{
    return std::visit([](const auto &x) { return x.count() + x.missing(); }, s);
}

void mergeInto(SketchedSide &side, const QString &name, const ColumnSketch &s)
{
    for (auto &[n, existing] : side.columns) {
        if (n != name)
            continue;
        if (existing.index() == s.index())
            std::visit(
                [&](auto &e) {
                    using T = std::decay_t<decltype(e)>;
                    e.merge(std::get<T>(s));
                },
                existing);
        return;
    }
    side.columns.emplace_back(name, s);
}

// The target is not sketched: outcomes arrive after the hour (their drift stays on the exact path).
bool sketched(const QString &column)
{
    return column != kDriftTargetFeature;
}

// One hour's sketches, with the count of the KPI aggregates read before its rows (a row committed in between is
// then sketched but not counted: the hour is only sketched once more, never missed).
struct SketchedHour
{
    FeatureSketchStore::HourCount count;
    std::vector<FeatureSketchStore::HourSketch> sketches;
    qint64 rows = 0;
};

Result<SketchedHour> sketchHour(FeatureSketchStore &store, DriftData &data, const QString &deployment,
                                const FeatureSchema &schema, qint64 hour, const FeatureSketchingOptions &options)
{
    SketchedHour out;
    auto counted = store.predictionsCounted(deployment, hour);
    if (!counted)
        return counted.error();
    out.count = {hour, *counted};
    auto rows = data.loadWindow(deployment, schema, hour, hour + kHourMicros, options.maxRowsPerHour, false);
    if (!rows)
        return rows.error();
    for (const drift::Column &c : rows->columns) {
        if (!sketched(c.name) || c.size() == 0)
            continue;
        const ColumnSketch s = sketchOf(c, drift::kSketchPoints);
        out.sketches.push_back(
            {hour, schema.id, c.name, rowsOf(s), std::visit([](const auto &x) { return x.serialise(); }, s)});
    }
    out.rows = rows->columns.empty() ? 0 : rows->columns.front().size();
    return out;
}

} // namespace

Result<FeatureSketchingReport> sketchCompletedHours(PgConnection &conn, const QString &deployment, qint64 nowMicros,
                                                    const FeatureSketchingOptions &options)
{
    FeatureSketchingReport report;
    FeatureSketchStore store(conn);
    DriftData data(conn);
    auto watermark = store.watermark(deployment);
    if (!watermark)
        return watermark.error();
    qint64 from = 0;
    if (*watermark) {
        from = **watermark;
    } else {
        auto first = data.firstLoggedMicros(deployment);
        if (!first) {
            report.nothingLogged = true;
            return report;
        }
        from = floorHour(*first);
    }
    // Hours whose raw rows retention dropped before they were sketched cannot be read any more (every read of
    // them is refused): skip them, or the watermark would stop there for good. They count as empty hours.
    auto horizons = RetentionStore(conn).horizons(deployment);
    if (!horizons)
        return horizons.error();
    const qint64 kept = ceilHour(horizons->rawBeforeSecs * 1'000'000); // the first hour whose rows can be read
    from = std::max(from, kept);
    report.watermarkMicros = from;
    const qint64 limit = floorHour(nowMicros - options.settleSeconds * 1'000'000);
    auto has = data.hasSchema(deployment);
    if (!has)
        return has.error();
    if (!*has) { // nothing to sketch until the deployment knows its features
        report.caughtUp = from >= limit;
        return report;
    }
    auto schema = data.latestSchema(deployment);
    if (!schema)
        return schema.error();
    QElapsedTimer timer;
    timer.start();
    std::optional<qint64> expected = *watermark;
    qint64 batchFrom = from;
    std::vector<FeatureSketchStore::HourSketch> batch;
    std::vector<FeatureSketchStore::HourCount> counts;
    int hoursInBatch = 0;
    auto flush = [&](qint64 to) -> Status {
        if (auto s = store.storeHours(deployment, expected, to, batch, counts); !s)
            return s;
        expected = to;
        batchFrom = to;
        batch.clear();
        counts.clear();
        hoursInBatch = 0;
        report.watermarkMicros = to;
        return {};
    };
    qint64 hour = from;
    for (; hour < limit; hour += kHourMicros) { // none when caught up
        // At least one hour per run, so that a busy hour longer than the budget is still sketched.
        if (options.runBudgetMs > 0 && timer.elapsed() > options.runBudgetMs && hour > from)
            break;
        auto one = sketchHour(store, data, deployment, *schema, hour, options);
        if (!one)
            return one.error();
        std::move(one->sketches.begin(), one->sketches.end(), std::back_inserter(batch));
        counts.push_back(one->count);
        report.rows += one->rows;
        ++report.hours;
        if (++hoursInBatch >= options.hoursPerTransaction) {
            if (auto s = flush(hour + kHourMicros); !s)
                return s.error();
        }
    }
    if (hour > batchFrom)
        if (auto s = flush(hour); !s)
            return s.error();
    report.caughtUp = report.watermarkMicros >= limit;
    if (!report.caughtUp)
        return report;
    // Then the sketched hours that rows reached after they were sketched, newest first (the windows people look at),
    // each at most once per run, within the same budget.
    QSet<qint64> done;
    while (options.runBudgetMs <= 0 || timer.elapsed() <= options.runBudgetMs) {
        auto late = store.hoursWithLateRows(deployment, kept, report.watermarkMicros, 24);
        if (!late)
            return late.error();
        const auto fresh = std::find_if(late->begin(), late->end(), [&](qint64 h) { return !done.contains(h); });
        if (fresh == late->end())
            break;
        for (auto it = fresh; it != late->end(); ++it) {
            if (done.contains(*it) || (options.runBudgetMs > 0 && timer.elapsed() > options.runBudgetMs))
                continue;
            done.insert(*it);
            auto one = sketchHour(store, data, deployment, *schema, *it, options);
            if (!one)
                return one.error();
            if (auto s = store.replaceHour(deployment, one->count, one->sketches); !s)
                return s.error();
            report.rows += one->rows;
            ++report.hoursResketched;
        }
    }
    return report;
}

Result<bool> anySketchedHour(PgConnection &conn, const QString &deployment, qint64 fromMicros, qint64 toMicros)
{
    auto watermark = FeatureSketchStore(conn).watermark(deployment);
    if (!watermark)
        return watermark.error();
    const qint64 first = ceilHour(fromMicros);
    return *watermark && first + kHourMicros <= std::min(**watermark, floorHour(toMicros));
}

SketchedSide exactSketches(const drift::Dataset &rows)
{
    SketchedSide side;
    for (const drift::Column &c : rows.columns)
        if (sketched(c.name))
            side.columns.emplace_back(c.name, sketchOf(c, std::numeric_limits<int>::max()));
    return side;
}

Result<SketchedSide> loadSketchedSide(PgConnection &conn, const QString &deployment, const FeatureSchema &schema,
                                      qint64 fromMicros, qint64 toMicros, qint64 maxRows)
{
    FeatureSketchStore store(conn);
    DriftData data(conn);
    auto watermark = store.watermark(deployment);
    if (!watermark)
        return watermark.error();
    const qint64 sketchFrom = ceilHour(fromMicros);
    const qint64 sketchTo = std::max(sketchFrom, std::min(floorHour(toMicros), watermark->value_or(sketchFrom)));
    SketchedSide side;
    // The columns in the house's order, empty: a side without rows still lists them. Read at the window's end
    // (an empty range): a range from the epoch would be refused once retention dropped any raw row.
    auto empty = data.loadWindow(deployment, schema, toMicros, toMicros, 1, false);
    if (!empty)
        return empty.error();
    for (const drift::Column &c : empty->columns)
        if (sketched(c.name))
            side.columns.emplace_back(c.name, sketchOf(c, drift::kSketchPoints));
    auto addRaw = [&](qint64 from, qint64 to) -> Status {
        if (to <= from)
            return {};
        auto rows = data.loadWindow(deployment, schema, from, to, maxRows, false);
        if (!rows)
            return rows.error();
        side.rawRows += rows->columns.empty() ? 0 : rows->columns.front().size();
        const SketchedSide raw = exactSketches(*rows);
        for (const auto &[name, s] : raw.columns)
            mergeInto(side, name, s);
        return {};
    };
    if (sketchTo > sketchFrom) {
        auto stored = store.load(deployment, schema.id, sketchFrom, sketchTo);
        if (!stored)
            return stored.error();
        side.sketchedHours = (sketchTo - sketchFrom) / kHourMicros;
        for (const auto &s : *stored) {
            QString error;
            if (auto n = drift::NumericSketch::deserialise(s.sketch, &error))
                mergeInto(side, s.feature, *n);
            else if (auto c = drift::CategorySketch::deserialise(s.sketch, &error))
                mergeInto(side, s.feature, *c);
            else
                return Error{ServiceText::tr("A stored sketch of \"%1\" (%2) is unreadable: %3")
                                 .arg(deployment, s.feature, error)};
        }
        if (auto s = addRaw(fromMicros, sketchFrom); !s)
            return s.error();
        if (auto s = addRaw(sketchTo, toMicros); !s)
            return s.error();
    } else if (auto s = addRaw(fromMicros, toMicros); !s) {
        return s.error();
    }
    return side;
}

drift::DatasetDrift compareSketchedSides(const SketchedSide &reference, const SketchedSide &current,
                                         const drift::DriftOptions &options)
{
    drift::DatasetDrift result;
    result.shareThreshold = options.datasetShare;
    for (const auto &[name, cur] : current.columns) {
        const auto ref = std::find_if(reference.columns.begin(), reference.columns.end(),
                                      [&](const auto &c) { return c.first == name; });
        if (ref == reference.columns.end() || ref->second.index() != cur.index())
            continue;
        if (const auto *n = std::get_if<drift::NumericSketch>(&cur))
            result.features.push_back(
                drift::compareNumericSketches(name, std::get<drift::NumericSketch>(ref->second), *n, options));
        else
            result.features.push_back(drift::compareCategorySketches(name, std::get<drift::CategorySketch>(ref->second),
                                                                     std::get<drift::CategorySketch>(cur), options));
    }
    // An undecided feature has enough rows (the exact path counts it) but might drift or not: the dataset
    // verdict stands only when it is the same either way.
    int undecided = 0;
    for (const drift::FeatureDrift &f : result.features) {
        if (f.sketch && !f.sketch->decided) {
            ++undecided;
            continue;
        }
        if (!f.enoughSamples)
            continue;
        ++result.considered;
        if (f.drift)
            ++result.drifted;
    }
    result.considered += undecided;
    const double total = result.considered;
    result.share = total > 0 ? result.drifted / total : 0;
    result.datasetDrift = total > 0 && result.share >= options.datasetShare;
    result.datasetUndecided =
        total > 0 && !result.datasetDrift && (result.drifted + undecided) / total >= options.datasetShare;
    return result;
}

} // namespace mldeck
