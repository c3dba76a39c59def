#include "core/ml/InputEncoding.h"
#include "core/Text.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

// The messages were ModelRunner's before the encoding was shared: same context, same translations.

} // namespace

InputEncoder::InputEncoder(const ModelInfo &info)
    : m_modelName(info.name), m_numericNames(info.schema.numericNames()),
      m_categoricalNames(info.schema.categoricalNames())
{
    for (size_t i = 0; i < info.scalerMean.size(); ++i) {
        m_mean.push_back(float(info.scalerMean[i]));
        m_std.push_back(float(info.scalerStd[i]));
    }
    m_numericCount = int(info.scalerMean.size());
    for (const FeatureSpec &f : info.schema.features) {
        if (f.kind != FeatureSpec::Kind::Categorical)
            continue;
        QHash<QString, int> positions;
        for (int i = 0; i < f.categories.size(); ++i)
            positions.insert(f.categories.at(i), i);
        m_levels.push_back(positions);
    }
    m_width = info.inputWidth;
}

Status InputEncoder::encode(const std::vector<FeatureRow> &rows, float *out, qint64 *unknownValues,
                            qint64 rowBase) const
{
    const int categoricalCount = int(m_levels.size());
    const auto n = qint64(rows.size());
    std::fill(out, out + size_t(n) * size_t(m_width), 0.0f);
    for (qint64 i = 0; i < n; ++i) {
        const FeatureRow &r = rows[size_t(i)];
        if (int(r.numeric.size()) != m_numericCount || int(r.categorical.size()) != categoricalCount)
            return Error{
                MlText::tr("Row %1 has %2 numeric and %3 categorical values; model %4 expects %5 numeric (%6) and "
                           "%7 categorical (%8).")
                    .arg(rowBase + i + 1)
                    .arg(r.numeric.size())
                    .arg(r.categorical.size())
                    .arg(m_modelName)
                    .arg(m_numericCount)
                    .arg(m_numericNames.join(QStringLiteral(", ")))
                    .arg(categoricalCount)
                    .arg(m_categoricalNames.join(QStringLiteral(", ")))};
        float *row = out + size_t(i) * size_t(m_width);
        for (int k = 0; k < m_numericCount; ++k) {
            const float v = r.numeric[size_t(k)];
            if (!std::isfinite(v))
                return Error{
                    MlText::tr("Row %1: %2 is not a finite number.").arg(rowBase + i + 1).arg(m_numericNames.value(k))};
            row[k] = (v - m_mean[size_t(k)]) / m_std[size_t(k)]; // float arithmetic, as the Python encoder
        }
        int offset = m_numericCount;
        for (int c = 0; c < categoricalCount; ++c) {
            const auto &positions = m_levels[size_t(c)];
            const auto it = positions.constFind(r.categorical.at(c));
            if (it != positions.constEnd())
                row[offset + it.value()] = 1.0f;
            else if (unknownValues)
                ++*unknownValues; // all-zero one-hot, as the Python encoder does (models.md)
            offset += int(positions.size());
        }
    }
    return {};
}

std::vector<int64_t> InputEncoder::windowIndex(qint64 n, int length)
{
    std::vector<int64_t> index;
    index.reserve(size_t(n) * size_t(length));
    for (qint64 i = 0; i < n; ++i)
        appendWindow(i, length, index);
    return index;
}

void InputEncoder::appendWindow(qint64 i, int length, std::vector<int64_t> &out)
{
    for (int k = 0; k < length; ++k)
        out.push_back(std::max<int64_t>(0, i - length + 1 + k));
}

} // namespace mldeck
