#include "core/services/NannyScoring.h"

#include "core/Text.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/NannyStore.h"

#include <QElapsedTimer>

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

    // The logged rows in the model's feature order.
    Status reorder(std::vector<FeatureRow> &rows) const
    {
        for (FeatureRow &row : rows) {
            if (int(row.numeric.size()) != loggedNumeric || int(row.categorical.size()) != loggedCategorical)
                return Error{ServiceText::tr("A logged row does not match feature schema %1 (%2 numeric, %3 "
                                             "categorical values).")
                                 .arg(schemaId)
                                 .arg(row.numeric.size())
                                 .arg(row.categorical.size())};
            FeatureRow mapped;
            mapped.numeric.reserve(numeric.size());
            for (int i : numeric)
                mapped.numeric.push_back(row.numeric[size_t(i)]);
            for (int i : categorical)
                mapped.categorical << row.categorical.at(i);
            row = std::move(mapped);
        }
        return {};
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

    const qint64 upTo = nowMicros - m_options.settleSeconds * 1'000'000;
    qint64 from = (*mark)->scoredToMicros;
    QElapsedTimer clock;
    while (from < upTo && report.scored < m_options.maxRowsPerRun) {
        if (cancel && cancel->load())
            break;
        auto next = store.nextBatch(deployment, report.modelVersion, use.schemaId, from, upTo, m_options.batchRows);
        if (!next)
            return next.error();
        NannyBatch batch = std::move(next).value();
        clock.start();
        if (const Status mapped = use.reorder(batch.rows); !mapped)
            return mapped.error();
        auto estimates = use.scorer->score(batch.rows, batch.predicted, cancel);
        if (!estimates)
            return estimates.error();
        report.workerMs += double(clock.nsecsElapsed()) / 1e6;
        auto added = store.addEstimates(deployment, report.nannyId, report.modelVersion, from, batch.toMicros,
                                        batch.tsMicros, *estimates);
        if (!added)
            return added.error();
        report.scored += *added;
        ++report.batches;
        from = batch.toMicros;
    }
    report.watermarkMicros = from;
    return report;
}

} // namespace mldeck
