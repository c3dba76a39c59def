#include "core/ml/checks/CheckRunner.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"

namespace mldeck::checks {

namespace {

Result<Scores> score(ModelRunner &model, const std::vector<FeatureRow> &rows, const std::atomic<bool> *cancel)
{
    Scores s;
    const ModelInfo &info = model.info();
    if (info.task == QLatin1String("classification")) {
        auto p = model.predictProbabilities(rows, cancel);
        if (!p)
            return p.error();
        s.classes = p->classes;
        s.decided = p->decide(info.classSpec);
        s.probabilities = std::move(p->values);
        return s;
    }
    auto v = model.predict(rows, cancel);
    if (!v)
        return v.error();
    s.value = std::move(v).value();
    return s;
}

bool stopped(const std::atomic<bool> *cancel)
{
    return cancel && cancel->load();
}

CheckResult refusedVariants(const InvarianceCheck &c, const QString &failure)
{
    CheckResult r;
    r.check = QStringLiteral("invariance");
    r.scope = c.feature;
    r.outcome = Outcome::Fail;
    r.detail = MlText::tr("the candidate refuses the changed rows: %1").arg(failure);
    return r;
}

} // namespace

Result<CheckReport> runChecks(const ModelCheckSettings &settings, const GoldenSet &golden, const FeatureSchema &schema,
                              ModelRunner &candidate, ModelRunner *champion, const std::atomic<bool> *cancel,
                              const QString &championUnavailable)
{
    CheckReport report;
    report.configured = true;
    report.goldenSha256 = golden.sha256;
    report.goldenRows = golden.rowCount();
    report.championUnavailable = championUnavailable;

    auto base = score(candidate, golden.rows, cancel);
    if (stopped(cancel))
        return Error{MlText::tr("Cancelled.")};
    QStringList unlisted;
    const auto unknown = unknownCategories(candidate.info().schema, golden, schema, unlisted);
    report.results << inputValidation(settings, golden.rowCount(), unknown, base ? QString() : base.errorMessage(),
                                      unlisted);
    if (!base)
        return report; // nothing else can be judged on rows the candidate refuses

    std::optional<Scores> yardstick;
    if (champion) {
        auto c = score(*champion, golden.rows, cancel);
        if (stopped(cancel))
            return Error{MlText::tr("Cancelled.")};
        if (c)
            yardstick = std::move(c).value();
        else
            report.championUnavailable = MlText::tr("it fails on the golden rows: %1").arg(c.errorMessage());
    }
    const Scores *championScores = yardstick ? &*yardstick : nullptr;
    QList<CheckResult> comparative = nonRegression(settings, golden, *base, championScores);
    if (settings.stability)
        comparative << stability(settings, *base, championScores);
    if (!report.championUnavailable.isEmpty())
        for (CheckResult &r : comparative)
            r.detail = MlText::tr("not compared: the champion %1.").arg(report.championUnavailable);
    report.results << comparative;

    // One worker call per variant (all its golden rows at once). Scoring every variant in one call was
    // measured slower with the demo's sequence model (a batch of 16,000 windows against 8 of 2,000).
    for (const InvarianceCheck &c : settings.invariance) {
        QList<Scores> variants;
        const qsizetype n = c.delta ? 1 : c.values.size();
        QString failure;
        for (qsizetype k = 0; k < n && failure.isEmpty(); ++k) {
            const auto rows = perturb(golden.rows, schema, c.feature,
                                      c.delta ? std::nullopt : std::optional<QVariant>(c.values[k]), c.delta);
            if (!rows) {
                failure = rows.errorMessage();
                break;
            }
            auto s = score(candidate, *rows, cancel);
            if (stopped(cancel))
                return Error{MlText::tr("Cancelled.")};
            if (!s)
                failure = s.errorMessage();
            else
                variants << std::move(s).value();
        }
        report.results << (failure.isEmpty() ? invariance(c, *base, variants) : refusedVariants(c, failure));
    }
    return report;
}

} // namespace mldeck::checks
