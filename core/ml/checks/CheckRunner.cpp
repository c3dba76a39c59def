#include "core/ml/checks/CheckRunner.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"

#include <QSet>

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

// Per categorical feature, the golden rows whose value the model's metadata does not list.
QMap<QString, qint64> unknownCategories(const ModelInfo &info, const GoldenSet &golden, const FeatureSchema &schema)
{
    QMap<QString, qint64> out;
    const QStringList names = schema.categoricalNames();
    for (qsizetype k = 0; k < names.size(); ++k) {
        QSet<QString> known;
        for (const FeatureSpec &f : info.schema.features)
            if (f.name == names[k])
                known = QSet<QString>(f.categories.begin(), f.categories.end());
        qint64 n = 0;
        for (const FeatureRow &row : golden.rows)
            n += known.contains(row.categorical.value(k)) ? 0 : 1;
        out.insert(names[k], n);
    }
    return out;
}

bool stopped(const std::atomic<bool> *cancel)
{
    return cancel && cancel->load();
}

} // namespace

Result<CheckReport> runChecks(const ModelCheckSettings &settings, const GoldenSet &golden, const FeatureSchema &schema,
                              ModelRunner &candidate, ModelRunner *champion, const std::atomic<bool> *cancel)
{
    CheckReport report;
    report.configured = true;
    report.goldenSha256 = golden.sha256;
    report.goldenRows = golden.rowCount();

    auto base = score(candidate, golden.rows, cancel);
    if (stopped(cancel))
        return Error{MlText::tr("Cancelled.")};
    report.results << inputValidation(settings, golden.rowCount(), unknownCategories(candidate.info(), golden, schema),
                                      base ? QString() : base.errorMessage());
    if (!base)
        return report; // nothing else can be judged on rows the candidate refuses

    std::optional<Scores> yardstick;
    if (champion) {
        auto c = score(*champion, golden.rows, cancel);
        if (stopped(cancel))
            return Error{MlText::tr("Cancelled.")};
        if (!c)
            return Error{MlText::tr("The champion fails on the golden rows, so nothing can be compared: %1")
                             .arg(c.errorMessage())};
        yardstick = std::move(c).value();
    }
    const Scores *championScores = yardstick ? &*yardstick : nullptr;
    report.results << nonRegression(settings, golden, *base, championScores);
    if (settings.stability)
        report.results << stability(settings, *base, championScores);

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
        if (!failure.isEmpty()) {
            CheckResult r;
            r.check = QStringLiteral("invariance");
            r.scope = c.feature;
            r.outcome = Outcome::Fail;
            r.detail = MlText::tr("the candidate refuses the changed rows: %1").arg(failure);
            report.results << r;
            continue;
        }
        report.results << invariance(c, *base, variants);
    }
    return report;
}

} // namespace mldeck::checks
