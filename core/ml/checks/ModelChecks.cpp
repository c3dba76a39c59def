#include "core/ml/checks/ModelChecks.h"

#include "core/Text.h"
#include "core/io/CsvReader.h"
#include "core/ml/Dataset.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QMap>
#include <QSet>

#include <cmath>

namespace mldeck::checks {

namespace {

// Dataset's CSV number parser, after any surrounding whitespace; a golden value must also be finite.
std::optional<double> parseNumber(QByteArrayView text)
{
    const auto value = parseCsvNumber(text.trimmed());
    return value && std::isfinite(*value) ? value : std::nullopt;
}

QString number(double v, int decimals = 4)
{
    return QString::number(v, 'f', decimals);
}

QString percent(double share)
{
    return QString::number(share * 100.0, 'f', 1) + QStringLiteral(" %");
}

// A data row's faults are collected, not returned one by one: the user fixes the file once.
struct RowErrors
{
    qint64 count = 0;
    QStringList listed;
    void add(const QString &message)
    {
        ++count;
        if (listed.size() < kMaxListedRowErrors)
            listed << message;
    }
};

} // namespace

Result<GoldenSet> parseGolden(const QByteArray &bytes, const QString &fileName, const FeatureSchema &schema,
                              const QString &targetColumn, const QString &segmentColumn, bool classifier,
                              const ClassSpec &classSpec)
{
    if (bytes.size() > kMaxGoldenBytes)
        return Error{MlText::tr("The golden dataset %1 has %2 MB; at most %3 MB are accepted (a golden set is a "
                                "small, fixed sample).")
                         .arg(fileName)
                         .arg(double(bytes.size()) / (1024.0 * 1024.0), 0, 'f', 1)
                         .arg(kMaxGoldenBytes / (1024 * 1024))};
    if (schema.features.empty())
        return Error{MlText::tr("The deployment has no feature schema yet: register a model first.")};
    if (targetColumn.trimmed().isEmpty())
        return Error{MlText::tr("No target column named for the golden dataset.")};
    if (classifier && classSpec.classes.isEmpty())
        return Error{MlText::tr("The deployment's classes are not known yet: register a model first.")};

    GoldenSet golden;
    golden.fileName = fileName;
    golden.sha256 = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    golden.targetColumn = targetColumn;
    golden.segmentColumn = segmentColumn;
    const QStringList numericNames = schema.numericNames();
    const QStringList categoricalNames = schema.categoricalNames();
    QStringList header;
    std::vector<int> numericAt, categoricalAt;
    int targetAt = -1, segmentAt = -1;
    RowErrors errors;

    const auto onHeader = [&](const QStringList &h) -> Status {
        header = h;
        QStringList missing;
        const auto find = [&](const QString &name) {
            const int i = int(h.indexOf(name));
            if (i < 0)
                missing << name;
            return i;
        };
        for (const QString &n : numericNames)
            numericAt.push_back(find(n));
        for (const QString &n : categoricalNames)
            categoricalAt.push_back(find(n));
        targetAt = find(targetColumn);
        if (!segmentColumn.isEmpty())
            segmentAt = find(segmentColumn);
        if (!missing.isEmpty())
            return Error{MlText::tr("The golden dataset %1 lacks the column(s) %2 (it has: %3).")
                             .arg(fileName, missing.join(QStringLiteral(", ")), h.join(QStringLiteral(", ")))};
        return {};
    };
    const auto onRecord = [&](const CsvRecord &record) -> Status {
        const auto where = [&](int col) {
            return MlText::tr("line %1, column %2 (%3)").arg(record.line).arg(col + 1).arg(header[col]);
        };
        FeatureRow row;
        bool ok = true;
        for (int col : numericAt) {
            const auto v = parseNumber(record.fields[size_t(col)]);
            if (!v) {
                errors.add(MlText::tr("%1: \"%2\" is not a finite number")
                               .arg(where(col), QString::fromUtf8(record.fields[size_t(col)])));
                ok = false;
                continue;
            }
            row.numeric.push_back(float(*v));
        }
        for (int col : categoricalAt)
            row.categorical << QString::fromUtf8(record.fields[size_t(col)].trimmed());
        const QByteArrayView targetText = record.fields[size_t(targetAt)].trimmed();
        double target = 0;
        if (classifier) {
            // A class name, or its index in the deployment's class order (0/1 labels of a binary classifier).
            int k = int(classSpec.classes.indexOf(QString::fromUtf8(targetText)));
            if (const auto index = parseNumber(targetText);
                k < 0 && index && *index == std::floor(*index) && *index >= 0 && *index < classSpec.count())
                k = int(*index);
            if (k < 0) {
                errors.add(MlText::tr("%1: \"%2\" is not one of the classes %3")
                               .arg(where(targetAt), QString::fromUtf8(targetText),
                                    classSpec.classes.join(QStringLiteral(", "))));
                ok = false;
            }
            target = k;
        } else if (const auto v = parseNumber(targetText)) {
            target = *v;
        } else {
            errors.add(MlText::tr("%1: the outcome \"%2\" is not a finite number")
                           .arg(where(targetAt), QString::fromUtf8(targetText)));
            ok = false;
        }
        if (!ok)
            return {};
        golden.rows.push_back(std::move(row));
        golden.target.push_back(target);
        if (segmentAt >= 0)
            golden.segments << QString::fromUtf8(record.fields[size_t(segmentAt)].trimmed());
        return {};
    };
    if (Status read = CsvReader::parse(bytes, fileName, {onHeader, onRecord}); !read)
        return read.error();
    if (errors.count > 0)
        return Error{
            MlText::tr("The golden dataset %1 is refused: %n row(s) with errors. %2", nullptr, int(errors.count))
                .arg(fileName,
                     errors.listed.join(QStringLiteral("; ")) +
                         (errors.count > errors.listed.size() ? QStringLiteral("; …") : QStringLiteral(".")))};
    if (golden.rows.empty())
        return Error{MlText::tr("The golden dataset %1 has a header but no rows.").arg(fileName)};
    return golden;
}

// --- settings -------------------------------------------------------------------------------------

QJsonObject ModelCheckSettings::toJson() const
{
    QJsonArray inv;
    for (const InvarianceCheck &c : invariance) {
        QJsonObject o{{QStringLiteral("feature"), c.feature}, {QStringLiteral("max_change"), c.maxChange}};
        if (c.delta)
            o.insert(QStringLiteral("delta"), *c.delta);
        else
            o.insert(QStringLiteral("values"), QJsonArray::fromVariantList(c.values));
        inv.append(o);
    }
    QJsonObject input;
    if (maxUnknownShare)
        input.insert(QStringLiteral("max_unknown_share"), *maxUnknownShare);
    return {{QStringLiteral("non_regression"), QJsonObject{{QStringLiteral("enabled"), nonRegression},
                                                           {QStringLiteral("margin"), margin},
                                                           {QStringLiteral("min_segment_rows"), minSegmentRows}}},
            {QStringLiteral("stability"), QJsonObject{{QStringLiteral("enabled"), stability},
                                                      {QStringLiteral("max_change"), maxChange},
                                                      {QStringLiteral("max_share"), maxShare}}},
            {QStringLiteral("invariance"), inv},
            {QStringLiteral("input"), input}};
}

namespace {

// Reads an object's keys with checks; the first problem wins and names its key path.
class Reader
{
public:
    Reader(const QJsonObject &o, QString path) : m_o(o), m_path(std::move(path)) {}

    Status only(const QStringList &keys) const
    {
        for (auto it = m_o.begin(); it != m_o.end(); ++it)
            if (!keys.contains(it.key()))
                return Error{MlText::tr("Model checks: unknown key \"%1\" (known: %2).")
                                 .arg(key(it.key()), keys.join(QStringLiteral(", ")))};
        return {};
    }
    Status number(const QString &k, double low, double high, double &out) const
    {
        if (!m_o.contains(k))
            return {};
        const QJsonValue v = m_o.value(k);
        if (!v.isDouble() || v.toDouble() < low || v.toDouble() > high)
            return Error{
                MlText::tr("Model checks: \"%1\" must be a number from %2 to %3.").arg(key(k)).arg(low).arg(high)};
        out = v.toDouble();
        return {};
    }
    Status flag(const QString &k, bool &out) const
    {
        if (!m_o.contains(k))
            return {};
        if (!m_o.value(k).isBool())
            return Error{MlText::tr("Model checks: \"%1\" must be true or false.").arg(key(k))};
        out = m_o.value(k).toBool();
        return {};
    }
    QString key(const QString &k) const { return m_path.isEmpty() ? k : m_path + QLatin1Char('.') + k; }

private:
    const QJsonObject &m_o;
    QString m_path;
};

Result<QJsonObject> section(const QJsonObject &o, const QString &k)
{
    if (!o.contains(k))
        return QJsonObject();
    if (!o.value(k).isObject())
        return Error{MlText::tr("Model checks: \"%1\" must be an object.").arg(k)};
    return o.value(k).toObject();
}

} // namespace

Result<ModelCheckSettings> ModelCheckSettings::fromJson(const QJsonObject &o, const FeatureSchema &schema)
{
    ModelCheckSettings s;
    const QStringList top{QStringLiteral("non_regression"), QStringLiteral("stability"), QStringLiteral("invariance"),
                          QStringLiteral("input")};
    if (Status st = Reader(o, {}).only(top); !st)
        return st.error();

    const auto nr = section(o, QStringLiteral("non_regression"));
    if (!nr)
        return nr.error();
    Reader r(*nr, QStringLiteral("non_regression"));
    double minRows = s.minSegmentRows;
    for (Status st :
         {r.only({QStringLiteral("enabled"), QStringLiteral("margin"), QStringLiteral("min_segment_rows")}),
          r.flag(QStringLiteral("enabled"), s.nonRegression), r.number(QStringLiteral("margin"), 0, 1, s.margin),
          r.number(QStringLiteral("min_segment_rows"), 1, 1e6, minRows)})
        if (!st)
            return st.error();
    s.minSegmentRows = int(minRows);

    const auto st = section(o, QStringLiteral("stability"));
    if (!st)
        return st.error();
    Reader rs(*st, QStringLiteral("stability"));
    for (Status x : {rs.only({QStringLiteral("enabled"), QStringLiteral("max_change"), QStringLiteral("max_share")}),
                     rs.flag(QStringLiteral("enabled"), s.stability),
                     rs.number(QStringLiteral("max_change"), 0, 1e12, s.maxChange),
                     rs.number(QStringLiteral("max_share"), 0, 1, s.maxShare)})
        if (!x)
            return x.error();

    const auto in = section(o, QStringLiteral("input"));
    if (!in)
        return in.error();
    Reader ri(*in, QStringLiteral("input"));
    double share = -1;
    for (Status x :
         {ri.only({QStringLiteral("max_unknown_share")}), ri.number(QStringLiteral("max_unknown_share"), 0, 1, share)})
        if (!x)
            return x.error();
    if (share >= 0)
        s.maxUnknownShare = share;

    const QJsonValue invValue = o.value(QStringLiteral("invariance"));
    if (!invValue.isUndefined() && !invValue.isArray())
        return Error{MlText::tr("Model checks: \"invariance\" must be a list.")};
    const QJsonArray inv = invValue.toArray();
    for (qsizetype i = 0; i < inv.size(); ++i) {
        const QString path = QStringLiteral("invariance[%1]").arg(i);
        if (!inv[i].isObject())
            return Error{MlText::tr("Model checks: \"%1\" must be an object.").arg(path)};
        const QJsonObject c = inv[i].toObject();
        Reader rc(c, path);
        InvarianceCheck check;
        check.feature = c.value(QStringLiteral("feature")).toString();
        double delta = 0;
        for (Status x : {rc.only({QStringLiteral("feature"), QStringLiteral("values"), QStringLiteral("delta"),
                                  QStringLiteral("max_change")}),
                         rc.number(QStringLiteral("max_change"), 0, 1e12, check.maxChange),
                         rc.number(QStringLiteral("delta"), -1e12, 1e12, delta)})
            if (!x)
                return x.error();
        if (!c.contains(QStringLiteral("max_change")))
            return Error{MlText::tr("Model checks: \"%1\" is required.").arg(rc.key(QStringLiteral("max_change")))};
        if (check.feature.isEmpty())
            return Error{
                MlText::tr("Model checks: \"%1\" must name a feature.").arg(rc.key(QStringLiteral("feature")))};
        const bool hasValues = c.contains(QStringLiteral("values"));
        const bool hasDelta = c.contains(QStringLiteral("delta"));
        if (hasValues == hasDelta)
            return Error{MlText::tr("Model checks: \"%1\" needs either \"values\" or \"delta\", not both.").arg(path)};
        const FeatureSpec *spec = nullptr;
        for (const FeatureSpec &f : schema.features)
            if (f.name == check.feature)
                spec = &f;
        if (!schema.features.empty() && !spec)
            return Error{MlText::tr("Model checks: \"%1\": the deployment has no feature \"%2\".")
                             .arg(rc.key(QStringLiteral("feature")), check.feature)};
        const bool categorical = spec && spec->kind == FeatureSpec::Kind::Categorical;
        if (hasDelta) {
            if (categorical)
                return Error{MlText::tr("Model checks: \"%1\": \"%2\" is categorical; give \"values\", not \"delta\".")
                                 .arg(path, check.feature)};
            check.delta = delta;
        } else {
            const QJsonValue values = c.value(QStringLiteral("values"));
            if (!values.isArray() || values.toArray().isEmpty())
                return Error{
                    MlText::tr("Model checks: \"%1\" must be a non-empty list.").arg(rc.key(QStringLiteral("values")))};
            for (const QJsonValue &v : values.toArray()) {
                if (spec && (categorical ? !v.isString() : !v.isDouble()))
                    return Error{MlText::tr("Model checks: \"%1\" must hold %2.")
                                     .arg(rc.key(QStringLiteral("values")),
                                          categorical ? MlText::tr("texts (\"%1\" is categorical)").arg(check.feature)
                                                      : MlText::tr("numbers (\"%1\" is numeric)").arg(check.feature))};
                check.values << v.toVariant();
            }
        }
        s.invariance << check;
    }
    return s;
}

// --- results --------------------------------------------------------------------------------------

QString outcomeKey(Outcome o)
{
    switch (o) {
    case Outcome::Pass:
        return QStringLiteral("pass");
    case Outcome::Fail:
        return QStringLiteral("fail");
    case Outcome::NoData:
        break;
    }
    return QStringLiteral("no_data");
}

QString outcomeText(Outcome o)
{
    switch (o) {
    case Outcome::Pass:
        return MlText::tr("passed");
    case Outcome::Fail:
        return MlText::tr("failed");
    case Outcome::NoData:
        break;
    }
    return MlText::tr("no data");
}

QString CheckResult::title() const
{
    if (check == QLatin1String("non_regression"))
        return scope == QLatin1String("overall") ? MlText::tr("non-regression (overall)")
                                                 : MlText::tr("non-regression (segment %1)").arg(scope);
    if (check == QLatin1String("stability"))
        return MlText::tr("prediction stability");
    if (check == QLatin1String("invariance"))
        return MlText::tr("invariance of %1").arg(scope);
    return MlText::tr("input validation");
}

bool CheckReport::passed() const
{
    return configured && failures().isEmpty();
}

int CheckReport::noDataCount() const
{
    int n = 0;
    for (const CheckResult &r : results)
        n += r.outcome == Outcome::NoData ? 1 : 0;
    return n;
}

bool CheckReport::comparedAll() const
{
    return passed() && noDataCount() == 0 && championUnavailable.isEmpty();
}

QList<CheckResult> CheckReport::failures() const
{
    QList<CheckResult> out;
    for (const CheckResult &r : results)
        if (r.outcome == Outcome::Fail)
            out << r;
    return out;
}

QString CheckReport::failureSummary() const
{
    const auto failed = failures();
    if (failed.isEmpty())
        return {};
    QString text = failed.first().title() + QStringLiteral(": ") + failed.first().detail;
    if (failed.size() > 1)
        text += QLatin1Char(' ') + MlText::tr("(and %n more failed check(s))", nullptr, int(failed.size() - 1));
    return text;
}

QString CheckReport::summary() const
{
    if (!configured)
        return MlText::tr("no promotion checks configured (no golden dataset)");
    QString text;
    if (!passed()) {
        text = MlText::tr("failed: %1").arg(failureSummary());
    } else {
        const int noData = noDataCount();
        const int n = int(results.size());
        text = noData > 0 ? MlText::tr("passed %1 of %2 checks (%3 without data)").arg(n - noData).arg(n).arg(noData)
                          : MlText::tr("passed %1 of %2 checks").arg(n).arg(n);
    }
    if (!championUnavailable.isEmpty())
        return MlText::tr("not compared with the champion (%1); %2").arg(championUnavailable, text);
    return text;
}

QJsonObject CheckReport::toJson() const
{
    QJsonArray list;
    for (const CheckResult &r : results)
        list.append(QJsonObject{{QStringLiteral("check"), r.check},
                                {QStringLiteral("scope"), r.scope},
                                {QStringLiteral("outcome"), outcomeKey(r.outcome)},
                                {QStringLiteral("title"), r.title()},
                                {QStringLiteral("detail"), r.detail},
                                {QStringLiteral("figures"), r.figures}});
    return {{QStringLiteral("deployment"), deployment},
            {QStringLiteral("candidate"), candidate},
            {QStringLiteral("champion"), champion},
            {QStringLiteral("configured"), configured},
            {QStringLiteral("passed"), passed()},
            {QStringLiteral("summary"), summary()},
            {QStringLiteral("champion_unavailable"), championUnavailable},
            {QStringLiteral("golden_sha256"), QString::fromLatin1(goldenSha256)},
            {QStringLiteral("golden_rows"), double(goldenRows)},
            {QStringLiteral("checks"), list}};
}

CheckReport CheckReport::fromJson(const QJsonObject &o)
{
    CheckReport r;
    r.deployment = o.value(QStringLiteral("deployment")).toString();
    r.candidate = o.value(QStringLiteral("candidate")).toString();
    r.champion = o.value(QStringLiteral("champion")).toString();
    r.configured = o.value(QStringLiteral("configured")).toBool();
    r.championUnavailable = o.value(QStringLiteral("champion_unavailable")).toString();
    r.goldenSha256 = o.value(QStringLiteral("golden_sha256")).toString().toLatin1();
    r.goldenRows = qint64(o.value(QStringLiteral("golden_rows")).toDouble());
    for (const QJsonValue &v : o.value(QStringLiteral("checks")).toArray()) {
        const QJsonObject c = v.toObject();
        CheckResult res;
        res.check = c.value(QStringLiteral("check")).toString();
        res.scope = c.value(QStringLiteral("scope")).toString();
        const QString key = c.value(QStringLiteral("outcome")).toString();
        res.outcome = key == QLatin1String("pass")   ? Outcome::Pass
                      : key == QLatin1String("fail") ? Outcome::Fail
                                                     : Outcome::NoData;
        res.detail = c.value(QStringLiteral("detail")).toString();
        res.figures = c.value(QStringLiteral("figures")).toObject();
        r.results << res;
    }
    return r;
}

// --- the checks -----------------------------------------------------------------------------------

double Scores::moved(const Scores &a, const Scores &b, qint64 i)
{
    if (!a.classifier())
        return std::abs(a.value[size_t(i)] - b.value[size_t(i)]);
    double most = 0;
    for (int k = 0; k < a.classes; ++k) {
        const size_t at = size_t(i) * size_t(a.classes) + size_t(k);
        most = std::max(most, std::abs(a.probabilities[at] - b.probabilities[at]));
    }
    return most;
}

namespace {

// A regression model's MAE or a classifier's accuracy over the rows of one segment (all rows: nullptr).
double metricOn(const GoldenSet &golden, const Scores &s, const QString *segment, qint64 &rows)
{
    double sum = 0;
    rows = 0;
    for (qint64 i = 0; i < golden.rowCount(); ++i) {
        if (segment && golden.segments[i] != *segment)
            continue;
        ++rows;
        sum += s.classifier() ? (s.decided[size_t(i)] == int(golden.target[size_t(i)]) ? 1.0 : 0.0)
                              : std::abs(s.value[size_t(i)] - golden.target[size_t(i)]);
    }
    return rows > 0 ? sum / double(rows) : 0.0;
}

CheckResult compareOn(const ModelCheckSettings &s, const GoldenSet &golden, const Scores &candidate,
                      const Scores *champion, const QString *segment)
{
    CheckResult r;
    r.check = QStringLiteral("non_regression");
    r.scope = segment ? *segment : QStringLiteral("overall");
    const bool accuracy = candidate.classifier();
    const QString metric = accuracy ? MlText::tr("accuracy") : QStringLiteral("MAE");
    qint64 rows = 0;
    const double cand = metricOn(golden, candidate, segment, rows);
    r.figures = {{QStringLiteral("metric"), accuracy ? QStringLiteral("accuracy") : QStringLiteral("mae")},
                 {QStringLiteral("rows"), double(rows)},
                 {QStringLiteral("candidate"), cand},
                 {QStringLiteral("margin"), s.margin}};
    if (!champion) {
        r.detail = MlText::tr("no champion to compare with (the candidate's %1: %2).").arg(metric, number(cand));
        return r;
    }
    if (segment && rows < s.minSegmentRows) {
        r.detail = MlText::tr("%n golden row(s) in this segment; at least %1 are needed.", nullptr, int(rows))
                       .arg(s.minSegmentRows);
        return r;
    }
    qint64 championRows = 0;
    const double champ = metricOn(golden, *champion, segment, championRows);
    r.figures.insert(QStringLiteral("champion"), champ);
    // MAE may grow by margin relative to the champion's; accuracy may drop by margin points.
    const double limit = accuracy ? champ - s.margin : champ * (1.0 + s.margin);
    r.figures.insert(QStringLiteral("limit"), limit);
    const bool worse = accuracy ? cand < limit - 1e-12 : cand > limit + 1e-12;
    r.outcome = worse ? Outcome::Fail : Outcome::Pass;
    if (accuracy)
        r.detail = MlText::tr("the candidate's accuracy is %1 against the champion's %2 on %n row(s) (at least %3 "
                              "needed: %4 points of margin).",
                              nullptr, int(rows))
                       .arg(percent(cand), percent(champ), percent(limit), number(s.margin * 100.0, 1));
    else
        r.detail = MlText::tr("the candidate's MAE is %1 against the champion's %2 on %n row(s) (at most %3 allowed: "
                              "%4 of margin).",
                              nullptr, int(rows))
                       .arg(number(cand), number(champ), number(limit), percent(s.margin));
    return r;
}

} // namespace

QList<CheckResult> nonRegression(const ModelCheckSettings &s, const GoldenSet &golden, const Scores &candidate,
                                 const Scores *champion)
{
    QList<CheckResult> out;
    if (!s.nonRegression)
        return out;
    out << compareOn(s, golden, candidate, champion, nullptr);
    QStringList segments;
    for (const QString &seg : golden.segments)
        if (!segments.contains(seg))
            segments << seg;
    segments.sort();
    for (const QString &seg : segments)
        out << compareOn(s, golden, candidate, champion, &seg);
    return out;
}

CheckResult stability(const ModelCheckSettings &s, const Scores &candidate, const Scores *champion)
{
    CheckResult r;
    r.check = QStringLiteral("stability");
    const qint64 n = candidate.rows();
    if (!champion) {
        r.detail = MlText::tr("no champion to compare with.");
        return r;
    }
    qint64 moved = 0;
    double most = 0;
    for (qint64 i = 0; i < n; ++i) {
        const double d = Scores::moved(candidate, *champion, i);
        most = std::max(most, d);
        const bool counts =
            candidate.classifier() ? candidate.decided[size_t(i)] != champion->decided[size_t(i)] : d > s.maxChange;
        moved += counts ? 1 : 0;
    }
    const double share = n > 0 ? double(moved) / double(n) : 0.0;
    r.figures = {{QStringLiteral("rows"), double(n)},
                 {QStringLiteral("moved"), double(moved)},
                 {QStringLiteral("share"), share},
                 {QStringLiteral("max_share"), s.maxShare},
                 {QStringLiteral("largest_change"), most}};
    if (!candidate.classifier())
        r.figures.insert(QStringLiteral("max_change"), s.maxChange);
    r.outcome = share > s.maxShare + 1e-12 ? Outcome::Fail : Outcome::Pass;
    r.detail =
        candidate.classifier()
            ? MlText::tr("%1 of %n row(s) change class (%2; at most %3 allowed).", nullptr, int(n))
                  .arg(moved)
                  .arg(percent(share), percent(s.maxShare))
            : MlText::tr("%1 of %n row(s) move by more than %2 (%3; at most %4 allowed); the largest move is %5.",
                         nullptr, int(n))
                  .arg(moved)
                  .arg(number(s.maxChange), percent(share), percent(s.maxShare), number(most));
    return r;
}

CheckResult invariance(const InvarianceCheck &c, const Scores &base, const QList<Scores> &perturbed)
{
    CheckResult r;
    r.check = QStringLiteral("invariance");
    r.scope = c.feature;
    double most = 0;
    qint64 moved = 0;      // rows: one row moved by several values counts once
    qint64 movedCases = 0; // (row, value) pairs, for machines
    std::vector<bool> rowMoved(size_t(base.rows()), false);
    QString worstChange;
    for (qsizetype k = 0; k < perturbed.size(); ++k) {
        for (qint64 i = 0; i < base.rows(); ++i) {
            const double d = Scores::moved(base, perturbed[k], i);
            if (d > c.maxChange + 1e-12) {
                ++movedCases;
                if (!rowMoved[size_t(i)]) {
                    rowMoved[size_t(i)] = true;
                    ++moved;
                }
            }
            if (d > most) {
                most = d;
                worstChange = c.delta ? MlText::tr("+%1").arg(*c.delta) : c.values.value(k).toString();
            }
        }
    }
    r.figures = {{QStringLiteral("largest_change"), most},
                 {QStringLiteral("max_change"), c.maxChange},
                 {QStringLiteral("moved"), double(moved)},
                 {QStringLiteral("moved_cases"), double(movedCases)},
                 {QStringLiteral("variants"), double(perturbed.size())}};
    if (base.rows() == 0 || perturbed.isEmpty()) {
        r.detail = MlText::tr("no golden rows to change.");
        return r;
    }
    r.outcome = moved > 0 ? Outcome::Fail : Outcome::Pass;
    r.detail = moved > 0
                   ? MlText::tr("changing %1 alone moves %n prediction(s) by more than %2; the largest move is %3 "
                                "(%1 = %4).",
                                nullptr, int(moved))
                         .arg(c.feature, number(c.maxChange), number(most), worstChange)
                   : MlText::tr("changing %1 alone moves no prediction by more than %2 (largest move %3).")
                         .arg(c.feature, number(c.maxChange), number(most));
    return r;
}

CheckResult inputValidation(const ModelCheckSettings &s, qint64 rows, const QMap<QString, qint64> &unknownByFeature,
                            const QString &rejection, const QStringList &unlisted)
{
    CheckResult r;
    r.check = QStringLiteral("input");
    qint64 unknown = 0;
    QStringList parts;
    QJsonObject perFeature;
    for (auto it = unknownByFeature.begin(); it != unknownByFeature.end(); ++it) {
        unknown += it.value();
        perFeature.insert(it.key(), double(it.value()));
        if (it.value() > 0)
            parts << QStringLiteral("%1: %2").arg(it.key()).arg(it.value());
    }
    const double share = rows > 0 ? double(unknown) / double(rows) : 0.0;
    r.figures = {{QStringLiteral("rows"), double(rows)},
                 {QStringLiteral("unknown_categories"), double(unknown)},
                 {QStringLiteral("unknown_by_feature"), perFeature},
                 {QStringLiteral("accepted"), rejection.isEmpty()}};
    if (s.maxUnknownShare)
        r.figures.insert(QStringLiteral("max_unknown_share"), *s.maxUnknownShare);
    if (!unlisted.isEmpty())
        r.figures.insert(QStringLiteral("not_in_metadata"), QJsonArray::fromStringList(unlisted));
    QString unknownText = unknown == 0 ? MlText::tr("no unknown categorical value")
                                       : MlText::tr("%n unknown categorical value(s) (%1)", nullptr, int(unknown))
                                             .arg(parts.join(QStringLiteral(", ")));
    if (!unlisted.isEmpty())
        unknownText += MlText::tr(" (not counted for %1: the model's metadata lists no categories)")
                           .arg(unlisted.join(QStringLiteral(", ")));
    if (!rejection.isEmpty()) {
        r.outcome = Outcome::Fail;
        r.detail = MlText::tr("the candidate refuses the golden rows: %1").arg(rejection);
    } else if (s.maxUnknownShare && share > *s.maxUnknownShare + 1e-12) {
        r.outcome = Outcome::Fail;
        r.detail = MlText::tr("all %n row(s) accepted, but %1: %2 of the rows, at most %3 allowed.", nullptr, int(rows))
                       .arg(unknownText, percent(share), percent(*s.maxUnknownShare));
    } else {
        r.outcome = Outcome::Pass;
        r.detail = MlText::tr("all %n row(s) accepted; %1.", nullptr, int(rows)).arg(unknownText);
    }
    return r;
}

QMap<QString, qint64> unknownCategories(const FeatureSchema &modelSchema, const GoldenSet &golden,
                                        const FeatureSchema &schema, QStringList &unlisted)
{
    QMap<QString, qint64> out;
    const QStringList names = schema.categoricalNames();
    for (qsizetype k = 0; k < names.size(); ++k) {
        QSet<QString> known;
        for (const FeatureSpec &f : modelSchema.features)
            if (f.name == names[k])
                known = QSet<QString>(f.categories.begin(), f.categories.end());
        if (known.isEmpty()) {
            unlisted << names[k];
            continue;
        }
        qint64 n = 0;
        for (const FeatureRow &row : golden.rows)
            n += known.contains(row.categorical.value(k)) ? 0 : 1;
        out.insert(names[k], n);
    }
    return out;
}

Result<std::vector<FeatureRow>> perturb(const std::vector<FeatureRow> &rows, const FeatureSchema &schema,
                                        const QString &feature, const std::optional<QVariant> &value,
                                        std::optional<double> delta)
{
    const int numericAt = int(schema.numericNames().indexOf(feature));
    const int categoricalAt = int(schema.categoricalNames().indexOf(feature));
    if (numericAt < 0 && categoricalAt < 0)
        return Error{MlText::tr("Model checks: the deployment has no feature \"%1\".").arg(feature)};
    std::vector<FeatureRow> out = rows;
    for (FeatureRow &row : out) {
        if (numericAt >= 0) {
            float &v = row.numeric[size_t(numericAt)];
            v = delta ? float(double(v) + *delta) : float(value->toDouble());
        } else {
            if (delta)
                return Error{
                    MlText::tr("Model checks: \"%1\" is categorical; it takes values, not a delta.").arg(feature)};
            row.categorical[categoricalAt] = value->toString();
        }
    }
    return out;
}

} // namespace mldeck::checks
