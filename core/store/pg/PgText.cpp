#include "core/store/pg/PgText.h"
#include "core/Text.h"

#include <QCoreApplication>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace mldeck::pgtext {

namespace {

// Howard Hinnant's civil_from_days: proleptic Gregorian date of a day count since 1970-01-01.
void civilFromDays(qint64 z, qint64 &y, unsigned &m, unsigned &d)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = qint64(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        ++y;
}

template <typename F> std::string floatText(F v)
{
    if (std::isnan(v))
        return "NaN";
    if (std::isinf(v))
        return v > 0 ? "Infinity" : "-Infinity";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

} // namespace

std::string timestamp(qint64 micros)
{
    constexpr qint64 perDay = 86400LL * 1000000LL;
    qint64 days = micros / perDay;
    qint64 rest = micros % perDay;
    if (rest < 0) {
        rest += perDay;
        --days;
    }
    qint64 year = 0;
    unsigned month = 0, day = 0;
    civilFromDays(days, year, month, day);
    const qint64 secs = rest / 1000000;
    const qint64 frac = rest % 1000000;
    const bool bc = year <= 0; // astronomical year 0 is 1 BC
    const qint64 shownYear = bc ? 1 - year : year;
    char buf[80];
    const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld+00%s",
                                static_cast<long long>(shownYear), month, day, static_cast<long long>(secs / 3600),
                                static_cast<long long>((secs / 60) % 60), static_cast<long long>(secs % 60),
                                static_cast<long long>(frac), bc ? " BC" : "");
    return std::string(buf, size_t(n));
}

std::string float8(double v)
{
    return floatText(v);
}

std::string float4(float v)
{
    return floatText(v);
}

std::string realArray(const std::vector<float> &values)
{
    std::string out;
    out.reserve(values.size() * 8 + 2);
    out += '{';
    for (size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        out += floatText(values[i]);
    }
    out += '}';
    return out;
}

std::string textArray(const QStringList &values)
{
    // Every element is double-quoted, so commas, braces, spaces and the word NULL need no
    // special care; inside quotes only " and \ are escaped.
    std::string out;
    out += '{';
    for (qsizetype i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        const QString &v = values.at(i);
        if (v.isNull()) {
            out += "NULL";
            continue;
        }
        out += '"';
        const QByteArray utf8 = v.toUtf8();
        for (char c : utf8) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

Result<QStringList> parseTextArray(const QString &literal)
{
    const QString s = literal.trimmed();
    if (s.size() < 2 || s.front() != QLatin1Char('{') || s.back() != QLatin1Char('}'))
        return Error{StoreText::tr("not an array literal: %1").arg(literal.left(80))};
    QStringList out;
    if (s.size() == 2)
        return out;
    qsizetype i = 1;
    const qsizetype end = s.size() - 1;
    while (i <= end) {
        QString element;
        bool quoted = false;
        if (s.at(i) == QLatin1Char('"')) {
            quoted = true;
            ++i;
            bool closed = false;
            while (i < end) {
                const QChar c = s.at(i);
                if (c == QLatin1Char('\\') && i + 1 < end) {
                    element += s.at(i + 1);
                    i += 2;
                } else if (c == QLatin1Char('"')) {
                    ++i;
                    closed = true;
                    break;
                } else {
                    element += c;
                    ++i;
                }
            }
            if (!closed)
                return Error{StoreText::tr("unterminated quoted element in array literal: %1").arg(literal.left(80))};
            if (element.isNull())
                element = QStringLiteral("");
        } else {
            while (i < end && s.at(i) != QLatin1Char(',')) {
                if (s.at(i) == QLatin1Char('\\') && i + 1 < end)
                    ++i;
                element += s.at(i);
                ++i;
            }
            element = element.trimmed();
            if (element.isEmpty())
                return Error{StoreText::tr("empty element in array literal: %1").arg(literal.left(80))};
        }
        if (!quoted && element.compare(QLatin1String("NULL"), Qt::CaseInsensitive) == 0)
            out << QString();
        else
            out << element;
        if (i == end)
            break;
        if (s.at(i) != QLatin1Char(','))
            return Error{StoreText::tr("malformed array literal: %1").arg(literal.left(80))};
        ++i;
        if (i == end)
            return Error{StoreText::tr("trailing comma in array literal: %1").arg(literal.left(80))};
    }
    return out;
}

Result<std::vector<float>> parseRealArray(const QString &literal)
{
    auto texts = parseTextArray(literal);
    if (!texts)
        return texts.error();
    std::vector<float> out;
    out.reserve(size_t(texts->size()));
    for (const QString &t : *texts) {
        if (t.isNull())
            return Error{StoreText::tr("NULL element in a numeric feature array")};
        if (t == QLatin1String("NaN")) {
            out.push_back(std::nanf(""));
            continue;
        }
        if (t == QLatin1String("Infinity") || t == QLatin1String("-Infinity")) {
            out.push_back(t.startsWith(QLatin1Char('-')) ? -INFINITY : INFINITY);
            continue;
        }
        // from_chars rounds like PostgreSQL's float4in; QString::toFloat rejects the
        // shortest text of FLT_MAX ("3.4028235e+38") as an overflow.
        const QByteArray bytes = t.toLatin1();
        float v = 0;
        const auto r = std::from_chars(bytes.constData(), bytes.constData() + bytes.size(), v);
        if (r.ec != std::errc() || r.ptr != bytes.constData() + bytes.size())
            return Error{StoreText::tr("not a number in a numeric feature array: %1").arg(t)};
        out.push_back(v);
    }
    return out;
}

} // namespace mldeck::pgtext
