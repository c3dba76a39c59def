#include "core/ml/Dataset.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>

#include <charconv>
#include <cmath>

namespace mldeck {

namespace {

// Splits one CSV line (no embedded newlines) into fields; RFC 4180 double quotes are understood.
// Returns false for an unterminated quote.
bool splitCsvLine(QByteArrayView line, std::vector<QByteArrayView> &fields, std::vector<QByteArray> &unquoted)
{
    fields.clear();
    unquoted.clear();
    if (line.endsWith('\r'))
        line.chop(1);
    qsizetype i = 0;
    const qsizetype n = line.size();
    while (true) {
        if (i < n && line[i] == '"') {
            QByteArray value;
            ++i;
            bool closed = false;
            while (i < n) {
                if (line[i] == '"') {
                    if (i + 1 < n && line[i + 1] == '"') {
                        value += '"';
                        i += 2;
                        continue;
                    }
                    closed = true;
                    ++i;
                    break;
                }
                value += line[i++];
            }
            if (!closed)
                return false;
            // The view points at the QByteArray's heap data (no small-string buffer in Qt 6), which stays
            // put when `unquoted` grows.
            unquoted.push_back(value);
            fields.push_back(QByteArrayView(unquoted.back()));
            while (i < n && line[i] != ',')
                ++i;
        } else {
            const qsizetype start = i;
            while (i < n && line[i] != ',')
                ++i;
            fields.push_back(line.sliced(start, i - start));
        }
        if (i >= n)
            break;
        ++i; // the comma
        if (i == n) {
            fields.push_back(QByteArrayView());
            break;
        }
    }
    return true;
}

std::optional<double> parseNumber(QByteArrayView text)
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
    if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') || t[13] != ':' ||
        t[16] != ':')
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
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{MlText::tr("Cannot read %1: %2").arg(path, file.errorString())};
    QByteArray line = file.readLine();
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    if (line.startsWith("\xEF\xBB\xBF"))
        line.remove(0, 3);
    if (line.trimmed().isEmpty())
        return Error{MlText::tr("%1 is empty: the first line must name the columns.").arg(path)};
    std::vector<QByteArrayView> fields;
    std::vector<QByteArray> unquoted;
    if (!splitCsvLine(line, fields, unquoted))
        return Error{MlText::tr("%1, line 1: unterminated quote in the header.").arg(path)};
    QStringList header;
    for (QByteArrayView f : fields) {
        const QString name = QString::fromUtf8(f).trimmed();
        if (name.isEmpty())
            return Error{MlText::tr("%1, line 1: column %2 has no name.").arg(path).arg(header.size() + 1)};
        if (header.contains(name))
            return Error{MlText::tr("%1, line 1: the column \"%2\" appears twice.").arg(path, name)};
        header << name;
    }
    return header;
}

Result<Dataset> readCsvDataset(const QString &path, const DatasetColumns &columns, const std::atomic<bool> *cancel)
{
    auto header = readCsvHeader(path);
    if (!header)
        return header.error();
    Dataset ds;
    ds.source = path;
    ds.header = header.value();
    const auto indexOf = [&](const QString &name) -> Result<int> {
        const int i = int(ds.header.indexOf(name));
        if (i < 0)
            return Error{MlText::tr("%1 has no column \"%2\" (columns: %3).").arg(path, name, ds.header.join(QStringLiteral(", ")))};
        return i;
    };
    auto targetIndex = indexOf(columns.target);
    if (!targetIndex)
        return targetIndex.error();
    std::vector<std::pair<int, std::vector<float> *>> numericCols;
    std::vector<std::pair<int, CategoricalColumn *>> categoricalCols;
    std::vector<QHash<QByteArray, int>> levelIndex(size_t(columns.categorical.size()));
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
    const int tsIndex = columns.timestamp.isEmpty() ? -1 : int(ds.header.indexOf(columns.timestamp));

    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{MlText::tr("Cannot read %1: %2").arg(path, file.errorString())};
    const QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error{MlText::tr("Cannot read %1: %2").arg(path, file.errorString())};

    std::vector<QByteArrayView> fields;
    std::vector<QByteArray> unquoted;
    qsizetype pos = bytes.indexOf('\n');
    pos = pos < 0 ? bytes.size() : pos + 1;
    qint64 lineNo = 1;
    const qsizetype expected = ds.header.size();
    const auto where = [&](int col) {
        return MlText::tr("%1, line %2, column %3 (%4)").arg(path).arg(lineNo).arg(col + 1).arg(ds.header[col]);
    };
    while (pos < bytes.size()) {
        qsizetype end = bytes.indexOf('\n', pos);
        if (end < 0)
            end = bytes.size();
        const QByteArrayView line(bytes.constData() + pos, end - pos);
        pos = end + 1;
        ++lineNo;
        if (line.trimmed().isEmpty())
            continue;
        if (cancel && (lineNo & 0xFFFF) == 0 && cancel->load(std::memory_order_relaxed))
            return Error{MlText::tr("cancelled")};
        if (!splitCsvLine(line, fields, unquoted))
            return Error{MlText::tr("%1, line %2: unterminated quote.").arg(path).arg(lineNo)};
        if (qsizetype(fields.size()) != expected)
            return Error{MlText::tr("%1, line %2: %3 fields where the header has %4.")
                             .arg(path)
                             .arg(lineNo)
                             .arg(fields.size())
                             .arg(expected)};
        const auto target = parseNumber(fields[size_t(targetIndex.value())]);
        if (!target || !std::isfinite(*target))
            return Error{MlText::tr("%1: the target must be a finite number, not \"%2\" (an empty or NaN target "
                            "cannot be scored).")
                             .arg(where(targetIndex.value()), QString::fromUtf8(fields[size_t(targetIndex.value())]))};
        ds.target.push_back(*target);
        for (auto &[col, values] : numericCols) {
            const auto v = parseNumber(fields[size_t(col)]);
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
    }
    if (ds.target.empty())
        return Error{MlText::tr("%1 has a header but no data rows: nothing to evaluate.").arg(path)};
    return ds;
}

} // namespace mldeck
