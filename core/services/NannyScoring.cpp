#include "core/services/NannyScoring.h"

#include "core/Text.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/NannyStore.h"

#include <QElapsedTimer>
#include <QScopeGuard>

#include <cmath>

namespace mldeck {

// The nanny in use and how the logged feature arrays map onto its champion's input.
struct NannyScoringSession::Loaded
{
    qint64 nannyId = 0;
    int schemaId = 0;
    std::unique_ptr<NannyScorer> scorer;
    std::vector<int> numeric;     // model numeric feature k = logged numeric[numeric[k]]
    std::vector<int> categorical; // the same for categorical features
    int loggedNumeric = 0;
    int loggedCategorical = 0;

    // The logged row in the model's feature order; false when it cannot be scored (its values do not match
    // the schema, or a numeric value or the prediction is not a finite number): it gets no estimate.
    bool reorder(FeatureRow &row, double predicted) const
    {
        if (int(row.numeric.size()) != loggedNumeric || int(row.categorical.size()) != loggedCategorical ||
            !std::isfinite(predicted))
            return false;
        FeatureRow mapped;
        mapped.numeric.reserve(numeric.size());
        for (int i : numeric) {
            if (!std::isfinite(row.numeric[size_t(i)]))
                return false;
            mapped.numeric.push_back(row.numeric[size_t(i)]);
        }
        for (int i : categorical)
            mapped.categorical << row.categorical.at(i);
        row = std::move(mapped);
        return true;
    }
};

NannyScoringSession::NannyScoringSession() : NannyScoringSession(NannyScoringOptions{}) {}
NannyScoringSession::NannyScoringSession(NannyScoringOptions options) : m_options(options) {}
NannyScoringSession::~NannyScoringSession() = default;

Result<NannyScoringSession::Loaded *> NannyScoringSession::load(PgConnection &conn, const QString &deployment,
                                                                qint64 nannyId, int schemaId)
{
    if (m_loaded && m_loaded->nannyId == nannyId && m_loaded->schemaId == schemaId)
        return m_loaded.get();
    m_loaded.reset();
    auto stored = NannyStore(conn).latest(deployment);
    if (!stored)
        return stored.error();
    if (!*stored || (*stored)->id != nannyId)
        return Error{ServiceText::tr("Nanny %1 of \"%2\" is no longer the newest.").arg(nannyId).arg(deployment)};
    // The weights as stored when it was trained, as a model file is checked before it is loaded.
    const NannyModel weights{{}, (*stored)->weights};
    if (weights.sha256() != (*stored)->sha256)
        return Error{ServiceText::tr("The weights of nanny %1 of \"%2\" do not match their SHA-256.")
                         .arg(nannyId)
                         .arg(deployment)};
    auto meta = NannyMeta::fromJson((*stored)->meta);
    if (!meta)
        return meta.error();
    auto scorer = NannyScorer::create(NannyModel{*meta, (*stored)->weights});
    if (!scorer)
        return scorer.error();
    auto schema = DriftData(conn).latestSchema(deployment);
    if (!schema)
        return schema.error();
    auto loaded = std::make_unique<Loaded>();
    loaded->nannyId = nannyId;
    loaded->schemaId = schema->id;
    const QStringList loggedNumeric = schema->numericNames();
    const QStringList loggedCategorical = schema->categoricalNames();
    loaded->loggedNumeric = int(loggedNumeric.size());
    loaded->loggedCategorical = int(loggedCategorical.size());
    const ModelInfo &model = (*scorer)->champion();
    for (const QString &name : model.schema.numericNames()) {
        const auto at = loggedNumeric.indexOf(name);
        if (at < 0)
            return Error{ServiceText::tr("Feature schema %1 of \"%2\" has no numeric feature \"%3\", which model %4 "
                                         "needs.")
                             .arg(schema->id)
                             .arg(deployment, name, model.name)};
        loaded->numeric.push_back(int(at));
    }
    for (const QString &name : model.schema.categoricalNames()) {
        const auto at = loggedCategorical.indexOf(name);
        if (at < 0)
            return Error{ServiceText::tr("Feature schema %1 of \"%2\" has no categorical feature \"%3\", which model "
                                         "%4 needs.")
                             .arg(schema->id)
                             .arg(deployment, name, model.name)};
        loaded->categorical.push_back(int(at));
    }
    (*scorer)->setThreads(m_options.threads);
    loaded->scorer = std::move(scorer).value();
    m_loaded = std::move(loaded);
    return m_loaded.get();
}

Result<NannyScoringReport> NannyScoringSession::run(PgConnection &conn, const QString &deployment, qint64 nowMicros,
                                                    const std::atomic<bool> *cancel)
{
    NannyScoringReport report;
    auto champion = ModelRegistry(conn).byAlias(deployment, QStringLiteral("champion"));
    if (!champion)
        return champion.error();
    if (!*champion || (*champion)->task != QLatin1String("regression")) {
        report.noNanny = true;
        return report;
    }
    NannyStore store(conn);
    auto nanny = store.forModel(deployment, (*champion)->id);
    if (!nanny)
        return nanny.error();
    auto mark = store.watermark(deployment);
    if (!mark)
        return mark.error();
    if (!*nanny || !*mark || (*mark)->nannyId != (*nanny)->id) {
        report.noNanny = true;
        return report;
    }
    report.nannyId = (*nanny)->id;
    report.modelVersion = (*nanny)->modelVersion;
    auto schema = DriftData(conn).latestSchema(deployment);
    if (!schema)
        return schema.error();
    auto loaded = load(conn, deployment, report.nannyId, schema->id);
    if (!loaded)
        return loaded.error();
    const Loaded &use = **loaded;

    // One run per deployment at a time: a second guard (overlapping scopes) or a trainer goes first.
    auto locked = store.tryLockScoring(deployment);
    if (!locked)
        return locked.error();
    if (!*locked) {
        report.busy = true;
        return report;
    }
    const auto unlock = qScopeGuard([&] { store.unlockScoring(deployment); });
    // The mark may have moved while this session waited for the lock.
    mark = store.watermark(deployment);
    if (!mark)
        return mark.error();
    if (!*mark || (*mark)->nannyId != report.nannyId) {
        report.noNanny = true;
        return report;
    }

    const qint64 upTo = nowMicros - m_options.settleSeconds * 1'000'000;
    qint64 from = (*mark)->scoredToMicros;
    QElapsedTimer run;
    run.start();
    QElapsedTimer clock;
    while (from < upTo && report.scored < m_options.maxRowsPerRun &&
           (m_options.runBudgetMs <= 0 || run.elapsed() < m_options.runBudgetMs)) {
        if (cancel && cancel->load())
            break;
        auto next = store.nextBatch(deployment, report.modelVersion, use.schemaId, from, upTo, m_options.batchRows);
        if (!next)
            return next.error();
        NannyBatch batch = std::move(next).value();
        clock.start();
        // Rows that cannot be scored are left out; the watermark passes them (they count in `count` only).
        std::vector<qint64> ts;
        std::vector<FeatureRow> rows;
        std::vector<double> predicted;
        for (size_t i = 0; i < batch.rows.size(); ++i) {
            if (!use.reorder(batch.rows[i], batch.predicted[i]))
                continue;
            ts.push_back(batch.tsMicros[i]);
            rows.push_back(std::move(batch.rows[i]));
            predicted.push_back(batch.predicted[i]);
        }
        auto estimates = use.scorer->score(rows, predicted, cancel);
        if (!estimates)
            return estimates.error();
        // An estimate that is not a finite number >= 0 (a forward pass overflowing on extreme inputs) is
        // dropped too: one would poison the sums of its minute and hour for good.
        std::vector<qint64> keptTs;
        std::vector<double> kept;
        for (size_t i = 0; i < estimates->size(); ++i) {
            const double e = (*estimates)[i];
            if (std::isfinite(e) && e >= 0) {
                keptTs.push_back(ts[i]);
                kept.push_back(e);
            }
        }
        report.skipped += qint64(batch.tsMicros.size() - kept.size());
        report.workerMs += double(clock.nsecsElapsed()) / 1e6;
        bool moved = false;
        auto added = store.addEstimates(deployment, report.nannyId, from, batch.toMicros, keptTs, kept, &moved);
        if (!added && moved) {
            report.busy = true; // another scorer got there first: nothing was added twice
            break;
        }
        if (!added)
            return added.error();
        report.scored += *added;
        ++report.batches;
        from = batch.toMicros;
    }
    report.caughtUp = from >= upTo;
    report.watermarkMicros = from;
    return report;
}

} // namespace mldeck
