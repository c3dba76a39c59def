#include "core/stats/drift/DriftConfig.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>

namespace mldeck::drift {

namespace {

// The longest duration a setting may name: longer ones have no use, and their microseconds would
// overflow where windows are computed.
constexpr qint64 kMaxSeconds = 100LL * 365 * 86400;

QDateTime parseTime(const QString &text)
{
    QDateTime t = QDateTime::fromString(text.trimmed(), Qt::ISODateWithMs);
    if (t.isValid() && t.timeSpec() == Qt::LocalTime)
        t = QDateTime(t.date(), t.time(), Qt::UTC);
    return t.toUTC();
}

} // namespace

Result<qint64> parseSeconds(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d{1,10})\\s*(s|m|h|d)?\\s*$"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return Error{StatsText::tr("\"%1\" is not a duration: use a whole number with s, m, h or d, e.g. 30s or 10m.")
                         .arg(text)};
    const qint64 n = m.captured(1).toLongLong();
    const QString unit = m.captured(2);
    const qint64 mult = unit == QLatin1String("m")   ? 60
                        : unit == QLatin1String("h") ? 3600
                        : unit == QLatin1String("d") ? 86400
                                                     : 1;
    if (n <= 0)
        return Error{StatsText::tr("The duration \"%1\" must be above zero.").arg(text)};
    if (n > kMaxSeconds / mult)
        return Error{StatsText::tr("The duration \"%1\" is longer than 100 years.").arg(text)};
    return n * mult;
}

Result<ReferenceSpec> ReferenceSpec::parse(const QString &text)
{
    ReferenceSpec r;
    const QString t = text.trimmed();
    const QString head = t.section(QLatin1Char(':'), 0, 0).toLower();
    const QString rest = t.section(QLatin1Char(':'), 1);
    if (t.isEmpty()) {
        r.kind = Kind::FirstRows;
    } else if (head == QLatin1String("first_rows")) {
        static const QRegularExpression digits(QStringLiteral("^\\s*(\\d{1,9})\\s*$"));
        const auto m = digits.match(rest);
        const qint64 n = m.hasMatch() ? m.captured(1).toLongLong() : 0;
        if (n < kMinReferenceRows || n > kMaxReferenceRows)
            return Error{
                StatsText::tr("\"%1\" is not a row count: use first_rows:N with N a whole number from %2 to %3.")
                    .arg(t)
                    .arg(kMinReferenceRows)
                    .arg(kMaxReferenceRows)};
        r.kind = Kind::FirstRows;
        r.rows = n;
    } else if (head == QLatin1String("auto")) {
        r.kind = Kind::Auto;
    } else if (head == QLatin1String("model")) {
        r.kind = Kind::Model;
    } else if (head == QLatin1String("snapshot") && !rest.trimmed().isEmpty()) {
        r.kind = Kind::Snapshot;
        r.snapshot = rest.trimmed();
    } else if (head == QLatin1String("first") || head == QLatin1String("previous")) {
        const auto s = parseSeconds(rest);
        if (!s)
            return s.error();
        r.kind = head == QLatin1String("first") ? Kind::First : Kind::Previous;
        r.seconds = *s;
    } else if (head == QLatin1String("period")) {
        const QStringList parts = rest.split(QLatin1Char('/'));
        if (parts.size() == 2) {
            r.kind = Kind::Period;
            r.from = parseTime(parts[0]);
            r.to = parseTime(parts[1]);
        }
        if (!r.from.isValid() || !r.to.isValid() || r.to <= r.from)
            return Error{
                StatsText::tr("\"%1\" is not a period: use period:FROM/TO with ISO 8601 times, FROM before TO.")
                    .arg(t)};
    } else {
        return Error{StatsText::tr("Unknown reference \"%1\": use first_rows:N, model, snapshot:NAME, period:FROM/TO, "
                                   "auto, first:DURATION or previous:DURATION.")
                         .arg(t)};
    }
    return r;
}

ReferenceSpec ReferenceSpec::firstRows(qint64 rows)
{
    ReferenceSpec r;
    r.kind = Kind::FirstRows;
    r.rows = rows;
    return r;
}

QString defaultReferenceSpec(qint64 rows)
{
    return ReferenceSpec::firstRows(rows).toString();
}

QString ReferenceSpec::toString() const
{
    switch (kind) {
    case Kind::FirstRows:
        return QStringLiteral("first_rows:%1").arg(rows);
    case Kind::Auto:
        return QStringLiteral("auto");
    case Kind::Model:
        return QStringLiteral("model");
    case Kind::Snapshot:
        return QStringLiteral("snapshot:") + snapshot;
    case Kind::First:
        return QStringLiteral("first:%1s").arg(seconds);
    case Kind::Previous:
        return QStringLiteral("previous:%1s").arg(seconds);
    case Kind::Period:
        return QStringLiteral("period:%1/%2").arg(from.toString(Qt::ISODate), to.toString(Qt::ISODate));
    }
    return {};
}

Result<DriftConfig> DriftConfig::fromJson(const QJsonObject &json)
{
    DriftConfig c;
    auto seconds = [&](const char *key, qint64 &out) -> QString {
        const QJsonValue v = json.value(QLatin1String(key));
        if (v.isUndefined())
            return {};
        // A number is bounded before it becomes an integer (a double beyond qint64's range has no value
        // there); 0 is refused below.
        const double d = v.toDouble();
        const auto s =
            !v.isDouble() ? parseSeconds(v.toString()) : Result<qint64>(d > 0 && d <= kMaxSeconds ? qint64(d) : 0);
        if (!s || *s <= 0)
            return StatsText::tr("drift setting \"%1\" must be a positive duration.").arg(QLatin1String(key));
        out = *s;
        return {};
    };
    // A whole number in [lo, hi]; absent keeps `out`.
    auto whole = [&](const char *key, qint64 lo, qint64 hi, qint64 &out) -> QString {
        const QJsonValue v = json.value(QLatin1String(key));
        if (v.isUndefined())
            return {};
        const double d = v.toDouble(std::nan(""));
        if (!(d >= double(lo) && d <= double(hi)) || d != std::floor(d))
            return StatsText::tr("drift setting \"%1\" must be a whole number from %2 to %3.")
                .arg(QLatin1String(key))
                .arg(lo)
                .arg(hi);
        out = qint64(d);
        return {};
    };
    // A number in (0, hi) (or (0, hi] when `hiIncluded`); absent keeps `out`.
    auto fraction = [&](const QString &key, const QJsonValue &v, double hi, bool hiIncluded, double &out) -> QString {
        if (v.isUndefined())
            return {};
        const double d = v.toDouble(std::nan(""));
        if (!(d > 0 && (hiIncluded ? d <= hi : d < hi)))
            return (hiIncluded ? StatsText::tr("drift setting \"%1\" must be above 0 and at most %2.")
                               : StatsText::tr("drift setting \"%1\" must be above 0 and below %2."))
                .arg(key)
                .arg(hi);
        out = d;
        return {};
    };
    qint64 k = c.consecutiveWindows;
    const QString errors[] = {
        seconds("window", c.windowSeconds),
        seconds("interval", c.intervalSeconds),
        whole("k", 1, 1000, k),
        whole("min_samples", 1, 1'000'000'000, c.options.minSamples),
        whole("max_rows", 100, 100'000'000, c.maxRows),
        fraction(QStringLiteral("dataset_share"), json.value(QStringLiteral("dataset_share")), 1, true,
                 c.options.datasetShare),
        fraction(QStringLiteral("p_value"), json.value(QStringLiteral("p_value")), 1, false, c.options.pValueThreshold),
        fraction(QStringLiteral("distance"), json.value(QStringLiteral("distance")), 100, true,
                 c.options.distanceThreshold),
        // Below 1: keeping every component leaves nothing to reconstruct.
        fraction(QStringLiteral("pca_variance"), json.value(QStringLiteral("pca_variance")), 1, false,
                 c.pca.varianceShare),
        whole("pca_chunk_rows", 0, 100'000'000, c.pca.chunkRows),
        whole("image_sample", 100, 100'000, c.imageSample),
    };
    for (const QString &e : errors)
        if (!e.isEmpty())
            return Error{e};
    c.consecutiveWindows = int(k);
    c.pca.minSamples = c.options.minSamples;
    if (const QJsonValue v = json.value(QStringLiteral("multivariate")); !v.isUndefined()) {
        if (!v.isBool())
            return Error{StatsText::tr("drift setting \"multivariate\" must be true or false.")};
        c.multivariate = v.toBool();
    }
    if (json.contains(QStringLiteral("reference"))) {
        const QJsonValue v = json.value(QStringLiteral("reference"));
        if (!v.isString())
            return Error{StatsText::tr("drift setting \"reference\" must be a text such as first_rows:5000.")};
        const auto r = ReferenceSpec::parse(v.toString());
        if (!r)
            return r.error();
        c.reference = *r;
    }
    for (const QJsonValue &v : json.value(QStringLiteral("ignore")).toArray()) {
        if (!v.isString() || v.toString().trimmed().isEmpty())
            return Error{StatsText::tr("drift setting \"ignore\" must list feature names.")};
        c.ignore << v.toString();
    }
    const QJsonObject tests = json.value(QStringLiteral("tests")).toObject();
    for (auto it = tests.begin(); it != tests.end(); ++it) {
        const auto t = testFromKey(it.value().toString());
        if (!t)
            return Error{
                StatsText::tr("unknown drift test \"%1\" for feature \"%2\".").arg(it.value().toString(), it.key())};
        c.options.testOverrides.insert(it.key(), *t);
    }
    const QJsonObject thresholds = json.value(QStringLiteral("thresholds")).toObject();
    for (auto it = thresholds.begin(); it != thresholds.end(); ++it) {
        double t = 0;
        if (const QString e = fraction(QStringLiteral("thresholds.") + it.key(), it.value(), 100, true, t);
            !e.isEmpty())
            return Error{e};
        c.options.thresholdOverrides.insert(it.key(), t);
    }
    return c;
}

QJsonObject DriftConfig::toJson() const
{
    QJsonObject tests, thresholds;
    for (auto it = options.testOverrides.begin(); it != options.testOverrides.end(); ++it)
        tests.insert(it.key(), testKey(it.value()));
    for (auto it = options.thresholdOverrides.begin(); it != options.thresholdOverrides.end(); ++it)
        thresholds.insert(it.key(), it.value());
    return {{QStringLiteral("window"), windowSeconds},
            {QStringLiteral("interval"), intervalSeconds},
            {QStringLiteral("k"), consecutiveWindows},
            {QStringLiteral("reference"), reference.toString()},
            {QStringLiteral("min_samples"), options.minSamples},
            {QStringLiteral("max_rows"), maxRows},
            {QStringLiteral("dataset_share"), options.datasetShare},
            {QStringLiteral("p_value"), options.pValueThreshold},
            {QStringLiteral("distance"), options.distanceThreshold},
            {QStringLiteral("multivariate"), multivariate},
            {QStringLiteral("pca_variance"), pca.varianceShare},
            {QStringLiteral("pca_chunk_rows"), pca.chunkRows},
            {QStringLiteral("image_sample"), imageSample},
            {QStringLiteral("ignore"), QJsonArray::fromStringList(ignore)},
            {QStringLiteral("tests"), tests},
            {QStringLiteral("thresholds"), thresholds}};
}

} // namespace mldeck::drift
