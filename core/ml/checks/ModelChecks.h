#pragma once

#include "core/domain/ClassSpec.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/Prediction.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QStringList>
#include <QVariant>

#include <optional>
#include <vector>

// The promotion test suite (resources/contract/model-checks.md): pure logic, no torch, no server.
namespace mldeck::checks {

// A deployment's golden dataset: fixed rows with their outcome (and an optional segment), in file order.
struct GoldenSet
{
    QString fileName;
    QByteArray sha256; // hex, of the bytes as registered
    QString targetColumn;
    QString segmentColumn; // empty: no segments
    std::vector<FeatureRow> rows;
    std::vector<double> target; // regression: the outcome; classification: the class index in classSpec
    QStringList segments;       // one per row when segmentColumn is set

    qint64 rowCount() const { return qint64(rows.size()); }
};

inline constexpr qint64 kMaxGoldenBytes = 20 * 1024 * 1024;
inline constexpr int kMaxListedRowErrors = 20;

// Reads golden CSV bytes against the deployment's schema: every feature of the schema, the target column
// and the segment column (when named) must be in the header; each row's numeric values and target must be
// finite numbers (a classifier's target: one of classSpec's classes, by name or index). Every faulty row is
// counted and the
// first kMaxListedRowErrors are named (line, column, value) in the Error. Categorical values are not
// checked here: a value a model does not know is what the input check counts.
Result<GoldenSet> parseGolden(const QByteArray &bytes, const QString &fileName, const FeatureSchema &schema,
                              const QString &targetColumn, const QString &segmentColumn, bool classifier,
                              const ClassSpec &classSpec);

// One declared invariance: changing `feature` alone (to each of `values`, or by +delta) must not move any
// golden row's prediction by more than maxChange (a classifier: any class probability).
struct InvarianceCheck
{
    QString feature;
    QVariantList values;         // numbers for a numeric feature, texts for a categorical one
    std::optional<double> delta; // numeric features only; exclusive with values
    double maxChange = 0;
};

// The declared checks of a deployment (mldeck.model_check_settings; JSON keys in parentheses).
struct ModelCheckSettings
{
    // (non_regression) The candidate's metric on the golden rows, overall and per segment, may be worse than
    // the champion's by at most `margin`: MAE relative to the champion's (0.05 = 5 %), accuracy in points.
    bool nonRegression = true;
    double margin = 0.05;
    int minSegmentRows = 20; // a smaller segment is "no data" (never blocking, shown as such)
    // (stability) At most maxShare of the rows may move by more than maxChange (a classifier: flip class).
    bool stability = false;
    double maxChange = 1.0;
    double maxShare = 0.05;
    QList<InvarianceCheck> invariance; // (invariance)
    // (input) Every golden row must be accepted; unknown categorical values are counted and, when set,
    // their share of the rows may not exceed maxUnknownShare.
    std::optional<double> maxUnknownShare;

    QJsonObject toJson() const;
    // Refuses unknown keys, wrong types and out-of-range values, naming the key; features are checked
    // against the schema when one is given (non-empty).
    static Result<ModelCheckSettings> fromJson(const QJsonObject &o, const FeatureSchema &schema = {});
};

enum class Outcome
{
    Pass,
    Fail,
    NoData // could not be judged (no champion, a segment too small): shown, never blocking
};
QString outcomeKey(Outcome o);  // "pass", "fail", "no_data"
QString outcomeText(Outcome o); // translated

struct CheckResult
{
    QString check; // "non_regression", "stability", "invariance", "input"
    QString scope; // "overall", a segment value, an invariance's feature; empty for the others
    Outcome outcome = Outcome::NoData;
    QString detail;      // one sentence with the figures, translated when made
    QJsonObject figures; // the same figures for machines

    QString title() const; // "non-regression (segment airport)", "invariance of weekday", ...
};

struct CheckReport
{
    QString deployment;
    QString candidate;       // version
    QString champion;        // version; empty when the deployment has none
    bool configured = false; // false: no golden data, nothing ran (never shown as passed)
    // Why the candidate could not be compared with the champion (its file cannot be read here, or it fails on
    // the golden rows): the comparative checks are "no data" and the summary says so first. Empty: compared,
    // or there is no champion.
    QString championUnavailable;
    // Not in the JSON: the champion's registry id when the checks ran (0: none), which the registry requires
    // to be still the champion when it moves the alias.
    qint64 championId = 0;
    QByteArray goldenSha256;
    qint64 goldenRows = 0;
    QList<CheckResult> results;

    bool passed() const;      // configured and no result failed
    bool comparedAll() const; // passed, and nothing was left without data: the one state shown as "passed"
    int noDataCount() const;
    QList<CheckResult> failures() const;
    // "non-regression (segment airport): the candidate's MAE ..." for the first failure; "" when none.
    QString failureSummary() const;
    QString summary() const; // "passed 5 of 5 checks (1 without data)", "failed: ...", "no promotion checks configured"

    QJsonObject toJson() const;
    static CheckReport fromJson(const QJsonObject &o);
};

// What the models said on the golden rows: a regression model's value per row, or a classifier's class
// probabilities (row-major, `classes` per row) and its decided class per row.
struct Scores
{
    std::vector<double> value;
    int classes = 0;
    std::vector<double> probabilities;
    std::vector<int> decided;

    bool classifier() const { return classes > 0; }
    qint64 rows() const { return classifier() ? qint64(decided.size()) : qint64(value.size()); }
    // How far row i moved between a and b: |Δ value|, or a classifier's largest |Δ probability|.
    static double moved(const Scores &a, const Scores &b, qint64 i);
};

// The checks on scores already computed (the runner calls the models).
QList<CheckResult> nonRegression(const ModelCheckSettings &s, const GoldenSet &golden, const Scores &candidate,
                                 const Scores *champion);
CheckResult stability(const ModelCheckSettings &s, const Scores &candidate, const Scores *champion);
// perturbed: the candidate's scores with the feature changed, one per value (or one for the delta).
CheckResult invariance(const InvarianceCheck &c, const Scores &base, const QList<Scores> &perturbed);
// unknownByFeature: per categorical feature, the golden rows whose value the candidate does not know;
// unlisted: the categorical features whose categories the candidate's metadata does not list (nothing can
// be counted for them: reported as such, not as unknown values).
CheckResult inputValidation(const ModelCheckSettings &s, qint64 rows, const QMap<QString, qint64> &unknownByFeature,
                            const QString &rejection, const QStringList &unlisted = {});

// Per categorical feature of schema, the golden rows whose value modelSchema (the candidate's metadata) does
// not list; the features it lists no categories for (a model without metadata) go to `unlisted`, uncounted.
QMap<QString, qint64> unknownCategories(const FeatureSchema &modelSchema, const GoldenSet &golden,
                                        const FeatureSchema &schema, QStringList &unlisted);

// The golden rows with one feature changed (to value, or by delta).
Result<std::vector<FeatureRow>> perturb(const std::vector<FeatureRow> &rows, const FeatureSchema &schema,
                                        const QString &feature, const std::optional<QVariant> &value,
                                        std::optional<double> delta);

} // namespace mldeck::checks
