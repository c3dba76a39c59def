#include "core/stats/drift/FeatureSketch.h"

#include "core/stats/drift/SortedSample.h"

#include <QDataStream>
#include <QIODevice>
#include <QStringList>

#include <algorithm>
#include <bit>
#include <cmath>

namespace mldeck::drift {

namespace {

constexpr quint8 kNumericMagic = 'N';
constexpr quint8 kCategoryMagic = 'C';
constexpr quint8 kFormat = 1;

void setupStream(QDataStream &s)
{
    s.setVersion(QDataStream::Qt_6_0);
    s.setByteOrder(QDataStream::LittleEndian);
    s.setFloatingPointPrecision(QDataStream::DoublePrecision);
}

} // namespace

NumericSketch NumericSketch::fromValues(std::span<const double> values, int k)
{
    NumericSketch s;
    const SortedSample sorted(values); // NaN dropped
    const auto &v = sorted.values();
    s.m_missing = qint64(values.size() - v.size());
    s.m_count = qint64(v.size());
    if (v.empty())
        return s;
    s.m_min = v.front();
    s.m_max = v.back();
    s.m_mean = sorted.mean();
    s.m_m2 = sorted.stddev() * sorted.stddev() * double(v.size());
    const std::size_t n = v.size(), kk = std::size_t(std::max(k, 1));
    if (n <= kk) {
        s.m_points.reserve(n);
        for (double x : v)
            s.m_points.push_back({x, 1.0});
    } else {
        // q(j) = v(ceil(j n / k)), 1-based: the class comment's bound.
        const double w = double(n) / double(kk);
        s.m_points.reserve(kk);
        for (std::size_t j = 1; j <= kk; ++j)
            s.m_points.push_back({v[(j * n + kk - 1) / kk - 1], w});
        s.m_runs.push_back({s.m_min, s.m_max, w});
    }
    std::map<double, qint64> distinct;
    for (double x : v) {
        ++distinct[x];
        if (distinct.size() > std::size_t(kSketchDistinctValues)) {
            s.m_distinct.reset();
            return s;
        }
    }
    s.m_distinct = std::move(distinct);
    return s;
}

void NumericSketch::merge(const NumericSketch &o)
{
    m_missing += o.m_missing;
    if (o.m_count > 0) {
        if (m_count == 0) {
            m_min = o.m_min;
            m_max = o.m_max;
        } else {
            m_min = std::min(m_min, o.m_min);
            m_max = std::max(m_max, o.m_max);
        }
        // Chan et al.'s pairwise update of the mean and the sum of squared deviations.
        const double na = double(m_count), nb = double(o.m_count), n = na + nb;
        const double delta = o.m_mean - m_mean;
        m_mean += delta * nb / n;
        m_m2 += o.m_m2 + delta * delta * na * nb / n;
        m_count += o.m_count;
        m_points.insert(m_points.end(), o.m_points.begin(), o.m_points.end());
        m_runs.insert(m_runs.end(), o.m_runs.begin(), o.m_runs.end());
    }
    if (m_distinct && o.m_distinct) {
        for (const auto &[value, c] : *o.m_distinct)
            (*m_distinct)[value] += c;
        if (m_distinct->size() > std::size_t(kSketchDistinctValues))
            m_distinct.reset();
    } else {
        m_distinct.reset();
    }
}

double NumericSketch::stddev() const
{
    return m_count > 0 ? std::sqrt(std::max(m_m2, 0.0) / double(m_count)) : 0;
}

double NumericSketch::countError() const
{
    double e = 0;
    for (const ErrorRun &r : m_runs)
        e += r.weight;
    return e;
}

std::vector<NumericSketch::Point> NumericSketch::points() const
{
    std::vector<Point> p = m_points;
    std::sort(p.begin(), p.end(), [](const Point &a, const Point &b) { return a.value < b.value; });
    std::vector<Point> out;
    out.reserve(p.size());
    for (const Point &x : p) {
        if (!out.empty() && out.back().value == x.value)
            out.back().weight += x.weight;
        else
            out.push_back(x);
    }
    return out;
}

QByteArray NumericSketch::serialise() const
{
    QByteArray bytes;
    QDataStream s(&bytes, QIODevice::WriteOnly);
    setupStream(s);
    s << kNumericMagic << kFormat << m_count << m_missing << m_min << m_max << m_mean << m_m2;
    s << quint32(m_runs.size());
    for (const ErrorRun &r : m_runs)
        s << r.min << r.max << r.weight;
    // One hour's points share one weight and, for values logged as real (float4), fit a float: 4 bytes each.
    const bool uniform = std::all_of(m_points.begin(), m_points.end(),
                                     [&](const Point &p) { return p.weight == m_points.front().weight; });
    const bool asFloat =
        std::all_of(m_points.begin(), m_points.end(), [](const Point &p) { return double(float(p.value)) == p.value; });
    s << quint8(uniform) << quint8(asFloat) << quint32(m_points.size());
    if (uniform)
        s << (m_points.empty() ? 0.0 : m_points.front().weight);
    for (const Point &p : m_points) {
        if (asFloat)
            s << std::bit_cast<quint32>(float(p.value));
        else
            s << p.value;
        if (!uniform)
            s << p.weight;
    }
    s << quint8(m_distinct.has_value());
    if (m_distinct) {
        s << quint32(m_distinct->size());
        for (const auto &[value, c] : *m_distinct)
            s << value << c;
    }
    return bytes;
}

std::optional<NumericSketch> NumericSketch::deserialise(const QByteArray &bytes, QString *error)
{
    auto fail = [&](const char *what) -> std::optional<NumericSketch> {
        if (error)
            *error = QString::fromLatin1(what);
        return std::nullopt;
    };
    QDataStream s(bytes);
    setupStream(s);
    quint8 magic = 0, format = 0;
    s >> magic >> format;
    if (magic != kNumericMagic || format != kFormat)
        return fail("not a numeric sketch");
    NumericSketch out;
    quint32 runs = 0;
    s >> out.m_count >> out.m_missing >> out.m_min >> out.m_max >> out.m_mean >> out.m_m2 >> runs;
    if (s.status() != QDataStream::Ok || out.m_count < 0 || out.m_missing < 0 || runs > quint32(bytes.size()))
        return fail("truncated numeric sketch");
    out.m_runs.resize(runs);
    for (ErrorRun &r : out.m_runs)
        s >> r.min >> r.max >> r.weight;
    quint8 uniform = 0, asFloat = 0;
    quint32 n = 0;
    double weight = 0;
    s >> uniform >> asFloat >> n;
    if (s.status() != QDataStream::Ok || n > quint32(bytes.size()))
        return fail("truncated numeric sketch");
    if (uniform)
        s >> weight;
    out.m_points.resize(n);
    for (Point &p : out.m_points) {
        if (asFloat) {
            quint32 bits = 0;
            s >> bits;
            p.value = double(std::bit_cast<float>(bits));
        } else {
            s >> p.value;
        }
        if (uniform)
            p.weight = weight;
        else
            s >> p.weight;
    }
    quint8 hasDistinct = 0;
    s >> hasDistinct;
    if (hasDistinct) {
        quint32 d = 0;
        s >> d;
        if (d > quint32(kSketchDistinctValues))
            return fail("bad numeric sketch");
        std::map<double, qint64> m;
        for (quint32 i = 0; i < d; ++i) {
            double v = 0;
            qint64 c = 0;
            s >> v >> c;
            m[v] = c;
        }
        out.m_distinct = std::move(m);
    } else {
        out.m_distinct.reset();
    }
    if (s.status() != QDataStream::Ok || !s.atEnd())
        return fail("truncated numeric sketch");
    return out;
}

CategorySketch CategorySketch::fromLabels(const QStringList &labels)
{
    CategorySketch s;
    for (const QString &l : labels) {
        if (l.isNull())
            ++s.m_missing;
        else
            ++s.m_counts[l];
    }
    return s;
}

void CategorySketch::merge(const CategorySketch &o)
{
    for (const auto &[label, c] : o.m_counts)
        m_counts[label] += c;
    m_missing += o.m_missing;
}

qint64 CategorySketch::count() const
{
    qint64 n = 0;
    for (const auto &[label, c] : m_counts)
        n += c;
    return n;
}

QByteArray CategorySketch::serialise() const
{
    QByteArray bytes;
    QDataStream s(&bytes, QIODevice::WriteOnly);
    setupStream(s);
    s << kCategoryMagic << kFormat << m_missing << quint32(m_counts.size());
    for (const auto &[label, c] : m_counts)
        s << label << c;
    return bytes;
}

std::optional<CategorySketch> CategorySketch::deserialise(const QByteArray &bytes, QString *error)
{
    QDataStream s(bytes);
    setupStream(s);
    quint8 magic = 0, format = 0;
    CategorySketch out;
    quint32 n = 0;
    s >> magic >> format >> out.m_missing >> n;
    if (magic != kCategoryMagic || format != kFormat || s.status() != QDataStream::Ok || n > quint32(bytes.size())) {
        if (error)
            *error = QStringLiteral("not a category sketch");
        return std::nullopt;
    }
    for (quint32 i = 0; i < n; ++i) {
        QString label;
        qint64 c = 0;
        s >> label >> c;
        out.m_counts[label] += c;
    }
    if (s.status() != QDataStream::Ok || !s.atEnd()) {
        if (error)
            *error = QStringLiteral("truncated category sketch");
        return std::nullopt;
    }
    return out;
}

} // namespace mldeck::drift
