#include "core/stats/drift/DriftConfig.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>

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
    if (t.isEmpty() || head == QLatin1String("auto")) {
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
        return Error{
            StatsText::tr("Unknown reference \"%1\": use auto, model, snapshot:NAME, period:FROM/TO, first:DURATION "
                          "or previous:DURATION.")
                .arg(t)};
    }
    return r;
}

QString ReferenceSpec::toString() const
{
    switch (kind) {
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
    for (const char *key : {"window", "interval"})
        if (const QString e = seconds(key, key[0] == 'w' ? c.windowSeconds : c.intervalSeconds); !e.isEmpty())
            return Error{e};
    if (json.contains(QStringLiteral("k"))) {
        const int k = json.value(QStringLiteral("k")).toInt(-1);
        if (k < 1 || k > 1000)
            return Error{StatsText::tr("drift setting \"k\" must be a whole number from 1 to 1000.")};
        c.consecutiveWindows = k;
    }
    if (json.contains(QStringLiteral("reference"))) {
        const auto r = ReferenceSpec::parse(json.value(QStringLiteral("reference")).toString());
        if (!r)
            return r.error();
        c.reference = *r;
    }
    if (json.contains(QStringLiteral("min_samples")))
        c.options.minSamples = std::max<qint64>(1, json.value(QStringLiteral("min_samples")).toInteger(100));
    if (json.contains(QStringLiteral("max_rows")))
        c.maxRows = std::max<qint64>(100, json.value(QStringLiteral("max_rows")).toInteger(c.maxRows));
    if (json.contains(QStringLiteral("dataset_share"))) {
        const double s = json.value(QStringLiteral("dataset_share")).toDouble(-1);
        if (!(s > 0 && s <= 1))
            return Error{StatsText::tr("drift setting \"dataset_share\" must be above 0 and at most 1.")};
        c.options.datasetShare = s;
    }
    if (json.contains(QStringLiteral("p_value")))
        c.options.pValueThreshold = json.value(QStringLiteral("p_value")).toDouble(0.05);
    if (json.contains(QStringLiteral("distance")))
        c.options.distanceThreshold = json.value(QStringLiteral("distance")).toDouble(0.1);
    for (const QJsonValue &v : json.value(QStringLiteral("ignore")).toArray())
        c.ignore << v.toString();
    const QJsonObject tests = json.value(QStringLiteral("tests")).toObject();
    for (auto it = tests.begin(); it != tests.end(); ++it) {
        const auto t = testFromKey(it.value().toString());
        if (!t)
            return Error{
                StatsText::tr("unknown drift test \"%1\" for feature \"%2\".").arg(it.value().toString(), it.key())};
        c.options.testOverrides.insert(it.key(), *t);
    }
    const QJsonObject thresholds = json.value(QStringLiteral("thresholds")).toObject();
    for (auto it = thresholds.begin(); it != thresholds.end(); ++it)
        c.options.thresholdOverrides.insert(it.key(), it.value().toDouble());
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
            {QStringLiteral("ignore"), QJsonArray::fromStringList(ignore)},
            {QStringLiteral("tests"), tests},
            {QStringLiteral("thresholds"), thresholds}};
}

} // namespace mldeck::drift
