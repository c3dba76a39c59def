#include "core/services/KpiCache.h"

#include "core/Text.h"
#include "core/store/pg/ClassificationStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetentionStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <vector>

Q_LOGGING_CATEGORY(lcKpiCache, "mldeck.services.kpicache", QtWarningMsg)

namespace mldeck {

namespace {

using Level = KpiStore::Level;

constexpr qint64 kNoCell = std::numeric_limits<qint64>::min();
constexpr qint64 kPreviousCell = std::numeric_limits<qint64>::min() + 1; // the period before `from`

qint64 floorTo(qint64 v, qint64 step)
{
    const qint64 q = v / step;
    return (q * step > v ? q - 1 : q) * step;
}
qint64 ceilTo(qint64 v, qint64 step)
{
    const qint64 f = floorTo(v, step);
    return f == v ? v : f + step;
}

// A piece of the range read at one level: hour rows for the whole hours, minute rows for the edges.
struct Segment
{
    Level level;
    qint64 from;
    qint64 to;
    bool previous; // part of the comparison period before the query's `from`
};

void addPlan(std::vector<Segment> &plan, qint64 from, qint64 to, int bucketSeconds, bool previous)
{
    if (to <= from)
        return;
    // Hour rows only when a display bucket holds whole hours (display buckets of 1 h and more are
    // aligned to the epoch, so an hour never straddles two of them).
    const qint64 h1 = ceilTo(from, 3600), h2 = floorTo(to, 3600);
    if (bucketSeconds < 3600 || h1 >= h2) {
        plan.push_back({Level::Minute, from, to, previous});
        return;
    }
    if (from < h1)
        plan.push_back({Level::Minute, from, h1, previous});
    plan.push_back({Level::Hour, h1, h2, previous});
    if (h2 < to)
        plan.push_back({Level::Minute, h2, to, previous});
}

// Before the deployment's minute horizon retention folded the minute rows into their hours: a boundary
// there moves down to its hour, so that only hour rows are read (resources/contract/retention.md).
qint64 boundary(qint64 t, qint64 minuteHorizon)
{
    return t < minuteHorizon ? floorTo(t, 3600) : t;
}

std::vector<Segment> planFor(const KpiQuery &q, int bucketSeconds, qint64 minuteHorizon)
{
    std::vector<Segment> plan;
    const qint64 previous = boundary(q.fromSecs - q.rangeSeconds(), minuteHorizon);
    const qint64 from = boundary(q.fromSecs, minuteHorizon), to = boundary(q.toSecs, minuteHorizon);
    // The previous period is one figure, never split into display buckets: hour rows always fit it.
    addPlan(plan, previous, from, 3600, true);
    addPlan(plan, from, to, bucketSeconds, false);
    return plan;
}

// [from, to) minus every same-level segment of `old`: what a refresh must read whole.
std::vector<std::pair<qint64, qint64>> uncovered(const Segment &s, const std::vector<Segment> &old)
{
    std::vector<std::pair<qint64, qint64>> covered;
    for (const Segment &o : old)
        if (o.level == s.level && o.to > s.from && o.from < s.to)
            covered.emplace_back(std::max(o.from, s.from), std::min(o.to, s.to));
    std::sort(covered.begin(), covered.end());
    std::vector<std::pair<qint64, qint64>> out;
    qint64 at = s.from;
    for (const auto &[a, b] : covered) {
        if (a > at)
            out.emplace_back(at, a);
        at = std::max(at, b);
    }
    if (at < s.to)
        out.emplace_back(at, s.to);
    return out;
}

struct RowKey
{
    bool feedback = false;
    int seconds = 60;
    qint64 start = 0;
    QString path;
    QString version;
    bool operator<(const RowKey &o) const
    {
        return std::tie(feedback, seconds, start, path, version) <
               std::tie(o.feedback, o.seconds, o.start, o.path, o.version);
    }
};

struct Row
{
    stats::KpiAccumulator sums;
    stats::FeedbackAccumulator feedback;
    qint64 cell = kNoCell;
};

// The merged sums of one display bucket (or of the whole previous period).
struct Cell
{
    stats::PathSums sums;
    std::map<QString, stats::KpiAccumulator> byVersion;
};

stats::KpiAccumulator *pathSlot(stats::PathSums &s, const QString &path)
{
    if (path == QLatin1String("ml"))
        return &s.ml;
    if (path == QLatin1String("heuristic"))
        return &s.heuristic;
    if (path == QLatin1String("fallback"))
        return &s.fallback;
    return nullptr;
}

} // namespace

struct KpiCache::State
{
    bool loaded = false;
    KpiQuery query;
    int bucketSeconds = 60;
    qint64 minuteHorizon = 0;
    qint64 rawRowsBefore = 0;
    std::vector<Segment> plan;
    quint64 watermark = 0;
    KpiTargets targets;
    QString task = QStringLiteral("regression");
    ClassSpec classSpec;
    stats::Calibration calibration; // fitted at load, kept for the refreshes
    QList<AuditMarker> markers;
    std::map<RowKey, Row> rows;
    std::map<qint64, Cell> cells;
    std::set<qint64> dirty;
    qint64 rowsRead = 0;

    qint64 cellOf(const RowKey &key) const
    {
        const Level level = key.seconds == 3600 ? Level::Hour : Level::Minute;
        for (const Segment &s : plan) {
            if (s.level == level && key.start >= s.from && key.start < s.to)
                return s.previous ? kPreviousCell : floorTo(key.start, bucketSeconds);
        }
        return kNoCell;
    }

    void markDirty(qint64 cell)
    {
        if (cell != kNoCell)
            dirty.insert(cell);
    }

    void put(const RowKey &key, const stats::KpiAccumulator *sums, const stats::FeedbackAccumulator *feedback)
    {
        const qint64 cell = cellOf(key);
        auto it = rows.find(key);
        if (cell == kNoCell) { // outside the plan: a row next to the range
            if (it != rows.end()) {
                markDirty(it->second.cell);
                rows.erase(it);
            }
            return;
        }
        if (it == rows.end())
            it = rows.emplace(key, Row{}).first;
        markDirty(it->second.cell);
        markDirty(cell);
        it->second.cell = cell;
        if (sums)
            it->second.sums = *sums;
        if (feedback)
            it->second.feedback = *feedback;
    }

    void apply(const KpiStore::Rows &r)
    {
        rowsRead += r.buckets.size() + r.feedback.size();
        for (const KpiBucket &b : r.buckets)
            put(RowKey{false, b.seconds, b.startSecs, b.path, b.modelVersion}, &b.sums, nullptr);
        for (const FeedbackBucket &f : r.feedback)
            put(RowKey{true, f.seconds, f.startSecs, {}, {}}, nullptr, &f.sums);
    }

    // After the plan moved: rows change cells or leave.
    void reassign()
    {
        for (auto it = rows.begin(); it != rows.end();) {
            const qint64 cell = cellOf(it->first);
            if (cell != it->second.cell) {
                markDirty(it->second.cell);
                markDirty(cell);
                it->second.cell = cell;
            }
            if (cell == kNoCell)
                it = rows.erase(it);
            else
                ++it;
        }
    }

    // Re-merges only the display buckets whose rows changed.
    void remergeDirty()
    {
        if (dirty.empty())
            return;
        for (qint64 c : dirty)
            cells.erase(c);
        for (const auto &[key, row] : rows) {
            if (!dirty.count(row.cell))
                continue;
            Cell &cell = cells[row.cell];
            if (key.feedback) {
                cell.sums.feedback.merge(row.feedback);
                continue;
            }
            if (auto *slot = pathSlot(cell.sums, key.path))
                slot->merge(row.sums);
            cell.byVersion[key.version].merge(row.sums);
        }
        dirty.clear();
    }

    // The deployment's task and classes; a classifier's calibration map, fitted again on its labelled
    // reference rows (the reference may have filled or changed since the last load).
    Status readDeployment(PgConnection &conn, qint64 nowMicros)
    {
        auto info = DeploymentStore(conn).show(query.deployment);
        if (!info)
            return info.error();
        task = info->task;
        classSpec = info->classSpec;
        calibration = stats::Calibration{};
        if (task != QLatin1String("classification"))
            return {};
        auto reference = ClassificationStore(conn).referenceRows(query.deployment, nowMicros);
        if (!reference)
            return reference.error();
        calibration = stats::fitCalibration(reference->score, reference->outcome);
        // Retention removed the reference's raw rows: no map rather than one fitted on the rows left, and the
        // estimate says why (the figures themselves come from the kept aggregates).
        calibration.unavailable = reference->gone;
        return {};
    }

    Status readPlan(KpiStore &store, const std::vector<Segment> &segments, std::optional<quint64> since,
                    quint64 &minWatermark)
    {
        for (const Segment &s : segments) {
            auto r = store.read(query.deployment, s.from, s.to, s.level, since);
            if (!r)
                return r.error();
            minWatermark = std::min(minWatermark, r->nextSinceXid);
            apply(r.value());
        }
        return {};
    }

    KpiSnapshot snapshot(double elapsedMs) const
    {
        KpiSnapshot snap;
        snap.query = query;
        snap.bucketSeconds = bucketSeconds;
        snap.targets = targets;
        snap.markers = markers;
        snap.bucketRowsRead = rowsRead;
        snap.task = task;
        snap.classSpec = classSpec;
        snap.calibration = calibration;
        snap.rawRowsBeforeSecs = rawRowsBefore;
        snap.minuteHorizonSecs = minuteHorizon;
        const int x = targets.anticipationMinutes;
        const double seconds = double(query.rangeSeconds());
        // The map is fitted on the ML path's reference rows: the heuristic's and the fallback's own
        // probabilities are read as they are (their estimates say they have no reference).
        const stats::Calibration none;
        const stats::Calibration *calib = snap.isClassification() ? &calibration : nullptr;
        const stats::Calibration *raw = snap.isClassification() ? &none : nullptr;
        const auto figuresOf = [&](const auto &sums, double secs, const stats::Calibration *c) {
            return stats::computeFigures(sums, secs, x, c);
        };

        stats::PathSums total;
        std::map<QString, stats::KpiAccumulator> versions;
        for (const auto &[start, cell] : cells) {
            if (start == kPreviousCell)
                continue;
            total.ml.merge(cell.sums.ml);
            total.heuristic.merge(cell.sums.heuristic);
            total.fallback.merge(cell.sums.fallback);
            total.feedback.merge(cell.sums.feedback);
            for (const auto &[v, acc] : cell.byVersion)
                versions[v].merge(acc);
        }
        snap.overall = figuresOf(total, seconds, calib);
        snap.byPath.insert(QStringLiteral("ml"), figuresOf(total.ml, seconds, calib));
        snap.byPath.insert(QStringLiteral("heuristic"), figuresOf(total.heuristic, seconds, raw));
        snap.byPath.insert(QStringLiteral("fallback"), figuresOf(total.fallback, seconds, raw));
        for (const auto &[v, acc] : versions)
            snap.byVersion.insert(v, figuresOf(acc, seconds, v.isEmpty() ? raw : calib));
        if (auto it = cells.find(kPreviousCell); it != cells.end())
            snap.previous = figuresOf(it->second.sums, seconds, calib);
        else
            snap.previous = figuresOf(stats::PathSums{}, seconds, calib);
        if (snap.isClassification()) {
            snap.classSums = total.all().classification;
            snap.classSumsByPath.insert(QStringLiteral("ml"), total.ml.classification);
            snap.classSumsByPath.insert(QStringLiteral("heuristic"), total.heuristic.classification);
            snap.classSumsByPath.insert(QStringLiteral("fallback"), total.fallback.classification);
            for (const auto &[v, acc] : versions)
                snap.classSumsByVersion.insert(v, acc.classification);
        }

        const Cell empty;
        QVector<KpiPoint> all, ml, heuristic, fallback;
        for (qint64 start = floorTo(query.fromSecs, bucketSeconds); start < query.toSecs; start += bucketSeconds) {
            const auto it = cells.find(start);
            const Cell &cell = it == cells.end() ? empty : it->second;
            const int secs = int(std::min(start + bucketSeconds, query.toSecs) - std::max(start, query.fromSecs));
            all.push_back({start, secs, figuresOf(cell.sums, secs, calib)});
            ml.push_back({start, secs, figuresOf(cell.sums.ml, secs, calib)});
            heuristic.push_back({start, secs, figuresOf(cell.sums.heuristic, secs, raw)});
            fallback.push_back({start, secs, figuresOf(cell.sums.fallback, secs, raw)});
        }
        snap.seriesByPath.insert(QStringLiteral("all"), all);
        snap.seriesByPath.insert(QStringLiteral("ml"), ml);
        snap.seriesByPath.insert(QStringLiteral("heuristic"), heuristic);
        snap.seriesByPath.insert(QStringLiteral("fallback"), fallback);
        snap.computedAt = QDateTime::currentDateTimeUtc();
        snap.elapsedMs = elapsedMs;
        return snap;
    }
};

KpiCache::KpiCache() : d(std::make_unique<State>()) {}
KpiCache::~KpiCache() = default;

bool KpiCache::isLoaded() const
{
    return d->loaded;
}

Result<KpiSnapshot> KpiCache::load(PgConnection &conn, const KpiQuery &query, qint64 nowSecs)
{
    QElapsedTimer timer;
    timer.start();
    if (query.deployment.isEmpty())
        return Error{ServiceText::tr("No deployment given.")};
    if (query.toSecs <= query.fromSecs)
        return Error{ServiceText::tr("The range is empty: it must end after it starts.")};
    *d = State{};
    d->query = query;
    if (query.live) { // a live range follows the clock
        d->query.toSecs = nowSecs;
        d->query.fromSecs = nowSecs - query.rangeSeconds();
    }
    auto horizons = RetentionStore(conn).horizons(d->query.deployment);
    if (!horizons)
        return horizons.error();
    d->minuteHorizon = horizons->minutesBeforeSecs;
    d->rawRowsBefore = horizons->rawBeforeSecs;
    d->bucketSeconds = displayBucketSeconds(d->query.rangeSeconds());
    if (d->query.fromSecs < d->minuteHorizon) // minute resolution falls back to hours there
        d->bucketSeconds = std::max(d->bucketSeconds, 3600);
    d->plan = planFor(d->query, d->bucketSeconds, d->minuteHorizon);

    KpiStore store(conn);
    if (auto applied = store.applyPendingOutcomes(); !applied)
        return applied.error();
    const auto awaiting = store.outcomesAwaitingPrimary(d->query.deployment); // a standby cannot apply them
    if (!awaiting)
        return awaiting.error();
    auto targets = store.targets(d->query.deployment);
    if (!targets)
        return targets.error();
    d->targets = targets.value();
    if (auto st = d->readDeployment(conn, nowSecs * 1'000'000); !st) {
        *d = State{};
        return st.error();
    }
    quint64 watermark = std::numeric_limits<quint64>::max();
    if (auto st = d->readPlan(store, d->plan, std::nullopt, watermark); !st) {
        *d = State{};
        return st.error();
    }
    auto markers = store.auditMarkers(d->query.deployment, d->query.fromSecs, d->query.toSecs);
    if (!markers) {
        *d = State{};
        return markers.error();
    }
    d->markers = markers.value();
    d->watermark = watermark == std::numeric_limits<quint64>::max() ? 0 : watermark;
    const double readMs = double(timer.nsecsElapsed()) / 1e6;
    d->remergeDirty();
    const double mergeMs = double(timer.nsecsElapsed()) / 1e6;
    d->loaded = true;
    KpiSnapshot snap = d->snapshot(0);
    snap.outcomesAwaitingPrimary = *awaiting;
    snap.elapsedMs = double(timer.nsecsElapsed()) / 1e6;
    qCDebug(lcKpiCache, "load %s: %lld rows, read %.1f ms, merge %.1f ms, figures %.1f ms",
            qPrintable(query.deployment), d->rowsRead, readMs, mergeMs - readMs, snap.elapsedMs - mergeMs);
    return snap;
}

Result<KpiSnapshot> KpiCache::refresh(PgConnection &conn, qint64 nowSecs)
{
    QElapsedTimer timer;
    timer.start();
    if (!d->loaded)
        return Error{ServiceText::tr("Nothing loaded to refresh.")};
    KpiStore store(conn);
    if (auto applied = store.applyPendingOutcomes(); !applied)
        return applied.error();
    const auto awaiting = store.outcomesAwaitingPrimary(d->query.deployment); // a standby cannot apply them
    if (!awaiting)
        return awaiting.error();
    auto targets = store.targets(d->query.deployment);
    if (!targets)
        return targets.error();

    // On failure the cache keeps its previous state (the next refresh retries from the same watermark),
    // so everything is computed aside first and swapped in at the end.
    KpiQuery next = d->query;
    if (next.live && nowSecs > next.toSecs) {
        next.fromSecs += nowSecs - next.toSecs;
        next.toSecs = nowSecs;
    }
    const std::vector<Segment> nextPlan = planFor(next, d->bucketSeconds, d->minuteHorizon);

    // 1. What changed since the watermark, segment by segment (touching segments of one level read
    // together). Never one span over the whole range: the store filters writer_xid row by row, so a
    // 30-day span of minute rows would cost what a full read costs.
    std::vector<Segment> changedSpans;
    for (Level level : {Level::Minute, Level::Hour}) {
        std::vector<Segment> same;
        for (const Segment &s : nextPlan)
            if (s.level == level)
                same.push_back(s);
        std::sort(same.begin(), same.end(), [](const Segment &a, const Segment &b) { return a.from < b.from; });
        for (const Segment &s : same) {
            if (!changedSpans.empty() && changedSpans.back().level == level && changedSpans.back().to >= s.from)
                changedSpans.back().to = std::max(changedSpans.back().to, s.to);
            else
                changedSpans.push_back({level, s.from, s.to, false});
        }
    }
    // 2. Pieces the old plan did not hold at that level, read whole: the few seconds at the right
    // edge, and an edge hour that turns from whole to partial (or back) as the range slides.
    std::vector<Segment> newPieces;
    for (const Segment &s : nextPlan)
        for (const auto &[a, b] : uncovered(s, d->plan))
            newPieces.push_back({s.level, a, b, s.previous});

    std::vector<KpiStore::Rows> reads;
    quint64 watermark = std::numeric_limits<quint64>::max();
    for (const Segment &s : changedSpans) {
        auto r = store.read(d->query.deployment, s.from, s.to, s.level, d->watermark);
        if (!r)
            return r.error();
        watermark = std::min(watermark, r->nextSinceXid);
        reads.push_back(std::move(r.value()));
    }
    for (const Segment &s : newPieces) {
        auto r = store.read(d->query.deployment, s.from, s.to, s.level);
        if (!r)
            return r.error();
        watermark = std::min(watermark, r->nextSinceXid);
        reads.push_back(std::move(r.value()));
    }
    QList<AuditMarker> newMarkers;
    if (next.toSecs > d->query.toSecs) {
        auto m = store.auditMarkers(next.deployment, d->query.toSecs, next.toSecs);
        if (!m)
            return m.error();
        newMarkers = m.value();
    }

    // Everything read: apply.
    const double readMs = double(timer.nsecsElapsed()) / 1e6;
    d->rowsRead = 0;
    d->targets = targets.value();
    d->query = next;
    d->plan = nextPlan;
    d->reassign();
    for (const KpiStore::Rows &r : reads)
        d->apply(r);
    if (watermark != std::numeric_limits<quint64>::max())
        d->watermark = watermark;
    d->markers.append(newMarkers);
    d->markers.erase(std::remove_if(d->markers.begin(), d->markers.end(),
                                    [&](const AuditMarker &m) { return m.at.toSecsSinceEpoch() < next.fromSecs; }),
                     d->markers.end());
    const size_t dirtyCells = d->dirty.size();
    d->remergeDirty();
    const double mergeMs = double(timer.nsecsElapsed()) / 1e6;
    KpiSnapshot snap = d->snapshot(0);
    snap.outcomesAwaitingPrimary = *awaiting;
    snap.elapsedMs = double(timer.nsecsElapsed()) / 1e6;
    qCDebug(lcKpiCache,
            "refresh %s: %lld rows in %zu reads, read %.1f ms, %zu cells re-merged in %.1f ms, figures %.1f ms",
            qPrintable(next.deployment), d->rowsRead, reads.size(), readMs, dirtyCells, mergeMs - readMs,
            snap.elapsedMs - mergeMs);
    return snap;
}

} // namespace mldeck
