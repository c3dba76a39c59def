#include "core/ml/Dataset.h"
#include "core/Text.h"
#include "core/io/CsvReader.h"

#include <QCoreApplication>
#include <QDateTime>

#include <charconv>
#include <cmath>

namespace mldeck {

namespace {

int digits(QByteArrayView t, qsizetype at, int count)
{
    int v = 0;
    for (int k = 0; k < count; ++k) {
        const char c = t[at + k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
qint64 daysFromCivil(int y, int m, int d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const qint64 yoe = y - era * 400;
    const qint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const qint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

} // namespace

std::optional<qint64> parseIsoMicros(QByteArrayView t)
{
    if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') || t[13] != ':' || t[16] != ':')
        return std::nullopt;
    const int y = digits(t, 0, 4), mo = digits(t, 5, 2), d = digits(t, 8, 2);
    const int h = digits(t, 11, 2), mi = digits(t, 14, 2), s = digits(t, 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return std::nullopt;
    qsizetype i = 19;
    qint64 micros = 0;
    if (i < t.size() && t[i] == '.') {
        ++i;
        int n = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
            if (n < 6) {
                micros = micros * 10 + (t[i] - '0');
                ++n;
            }
            ++i;
        }
        if (n == 0)
            return std::nullopt;
        for (; n < 6; ++n)
            micros *= 10;
    }
    qint64 offsetSeconds = 0;
    if (i < t.size()) {
        if (t[i] == 'Z' && i + 1 == t.size()) {
        } else if ((t[i] == '+' || t[i] == '-') && (t.size() - i == 6 || t.size() - i == 3)) {
            const int oh = digits(t, i + 1, 2);
            const int om = t.size() - i == 6 ? digits(t, i + 4, 2) : 0;
            if (oh < 0 || om < 0)
                return std::nullopt;
            offsetSeconds = (t[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        } else {
            return std::nullopt;
        }
    }
    const qint64 seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetSeconds;
    return seconds * 1'000'000 + micros;
}

std::vector<FeatureRow> Dataset::featureRows(const QStringList &numericNames, const QStringList &categoricalNames,
                                             qint64 begin, qint64 end) const
{
    std::vector<const std::vector<float> *> num;
    for (const QString &n : numericNames)
        num.push_back(&*numeric.constFind(n));
    std::vector<const CategoricalColumn *> cat;
    for (const QString &n : categoricalNames)
        cat.push_back(&*categorical.constFind(n));
    std::vector<FeatureRow> rows(size_t(std::max<qint64>(0, end - begin)));
    for (qint64 r = begin; r < end; ++r) {
        FeatureRow &row = rows[size_t(r - begin)];
        row.numeric.reserve(num.size());
        for (const auto *col : num)
            row.numeric.push_back((*col)[size_t(r)]);
        for (const auto *col : cat)
            row.categorical.append(col->levels[col->codes[size_t(r)]]);
    }
    return rows;
}

CategoricalColumn Dataset::hourOfDay() const
{
    CategoricalColumn hours;
    if (tsMicros.empty())
        return hours;
    for (int h = 0; h < 24; ++h)
        hours.levels << QStringLiteral("%1").arg(h, 2, 10, QLatin1Char('0'));
    hours.codes.reserve(tsMicros.size());
    constexpr qint64 day = 86'400'000'000LL;
    for (qint64 t : tsMicros)
        hours.codes.push_back(int((((t % day) + day) % day) / 3'600'000'000LL));
    return hours;
}

Result<QStringList> readCsvHeader(const QString &path)
{
    return CsvReader::readHeader(path);
}

Result<Dataset> readCsvDataset(const QString &path, const DatasetColumns &columns, const std::atomic<bool> *cancel)
{
    Dataset ds;
    ds.source = path;
    int targetIndex = -1;
    int tsIndex = -1;
    std::vector<std::pair<int, std::vector<float> *>> numericCols;
    std::vector<std::pair<int, CategoricalColumn *>> categoricalCols;
    std::vector<QHash<QByteArray, int>> levelIndex(size_t(columns.categorical.size()));

    // The requested columns are found in the header before any row is read.
    const auto onHeader = [&](const QStringList &header) -> Status {
        ds.header = header;
        const auto indexOf = [&](const QString &name) -> Result<int> {
            const int i = int(header.indexOf(name));
            if (i < 0 || name.isEmpty())
                return Error{MlText::tr("%1 has no column \"%2\" (columns: %3).")
                                 .arg(path, name, header.join(QStringLiteral(", ")))};
            return i;
        };
        auto target = indexOf(columns.target);
        if (!target)
            return target.error();
        targetIndex = *target;
        for (const QString &name : columns.numeric) {
            auto i = indexOf(name);
            if (!i)
                return i.error();
            numericCols.emplace_back(i.value(), &ds.numeric[name]);
        }
        for (const QString &name : columns.categorical) {
            auto i = indexOf(name);
            if (!i)
                return i.error();
            categoricalCols.emplace_back(i.value(), &ds.categorical[name]);
        }
        tsIndex = columns.timestamp.isEmpty() ? -1 : int(header.indexOf(columns.timestamp));
        return {};
    };

    const auto onRecord = [&](const CsvRecord &record) -> Status {
        const auto &fields = record.fields;
        const auto where = [&](int col) {
            return MlText::tr("%1, line %2, column %3 (%4)")
                .arg(path)
                .arg(record.line)
                .arg(col + 1)
                .arg(ds.header[col]);
        };
        const auto target = parseCsvNumber(fields[size_t(targetIndex)]);
        if (!target || !std::isfinite(*target))
            return Error{MlText::tr("%1: the target must be a finite number, not \"%2\" (an empty or NaN target "
                                    "cannot be scored).")
                             .arg(where(targetIndex), QString::fromUtf8(fields[size_t(targetIndex)]))};
        ds.target.push_back(*target);
        for (auto &[col, values] : numericCols) {
            const auto v = parseCsvNumber(fields[size_t(col)]);
            if (!v || !std::isfinite(*v))
                return Error{MlText::tr("%1: \"%2\" is not a finite number.")
                                 .arg(where(col), QString::fromUtf8(fields[size_t(col)]))};
            values->push_back(float(*v));
        }
        for (size_t k = 0; k < categoricalCols.size(); ++k) {
            auto &[col, column] = categoricalCols[k];
            const QByteArray text = fields[size_t(col)].trimmed().toByteArray();
            auto it = levelIndex[k].constFind(text);
            if (it == levelIndex[k].constEnd()) {
                it = levelIndex[k].insert(text, int(column->levels.size()));
                column->levels << QString::fromUtf8(text);
            }
            column->codes.push_back(*it);
        }
        if (tsIndex >= 0) {
            const auto ts = parseIsoMicros(fields[size_t(tsIndex)].trimmed());
            if (!ts)
                return Error{MlText::tr("%1: \"%2\" is not an ISO 8601 time such as 2024-05-01T08:00:00Z.")
                                 .arg(where(tsIndex), QString::fromUtf8(fields[size_t(tsIndex)]))};
            ds.tsMicros.push_back(*ts);
        }
        return {};
    };

    const Status read = CsvReader::read(path, {onHeader, onRecord}, cancel);
    if (!read)
        return read.error();
    if (ds.target.empty())
        return Error{MlText::tr("%1 has a header but no data rows: nothing to evaluate.").arg(path)};
    return ds;
}

std::optional<double> parseCsvNumber(QByteArrayView text)
{
    while (!text.isEmpty() && text.front() == ' ')
        text = text.sliced(1);
    while (!text.isEmpty() && text.back() == ' ')
        text.chop(1);
    if (text.isEmpty())
        return std::nullopt;
    const char *begin = text.data();
    if (*begin == '+')
        ++begin;
    double value = 0;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace mldeck
