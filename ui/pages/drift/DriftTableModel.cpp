#include "ui/pages/drift/DriftTableModel.h"

#include "ui/Theme.h"

#include <QBrush>
#include <QColor>

#include <cmath>

namespace mldeck::ui {

namespace {

// A bound of a sketched figure, rounded outwards so that the interval shown still holds the exact figure (the
// 1e-9 keeps a value that is already round from moving a digit); a side without a bound as ∞.
QString boundText(double v, int digits, bool upper)
{
    if (!std::isfinite(v))
        return QStringLiteral("∞");
    if (v == 0)
        return QStringLiteral("0");
    const double scale = std::pow(10.0, digits - 1 - std::floor(std::log10(std::fabs(v))));
    const double scaled = v * scale;
    return QString::number((upper ? std::ceil(scaled - 1e-9) : std::floor(scaled + 1e-9)) / scale, 'g', digits);
}

} // namespace

DriftTableModel::DriftTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void DriftTableModel::setView(const DriftView &view)
{
    beginResetModel();
    m_features = view.report.result.features;
    m_multivariate = view.report.filling ? std::nullopt : view.report.multivariate;
    m_history.clear();
    for (const DriftScorePoint &p : view.history)
        m_history[p.feature].append(p);
    endResetModel();
}

const drift::FeatureDrift *DriftTableModel::featureAt(int row) const
{
    return row >= 0 && std::size_t(row) < m_features.size() ? &m_features[std::size_t(row)] : nullptr;
}

const drift::MultivariateDrift *DriftTableModel::multivariateAt(int row) const
{
    return m_multivariate && std::size_t(row) == m_features.size() ? &*m_multivariate : nullptr;
}

QString DriftTableModel::nameAt(int row) const
{
    if (const drift::FeatureDrift *f = featureAt(row))
        return f->name;
    return multivariateAt(row) ? kDriftMultivariateFeature : QString();
}

int DriftTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_features.size()) + (m_multivariate ? 1 : 0);
}
int DriftTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DriftTableModel::data(const QModelIndex &index, int role) const
{
    if (const drift::MultivariateDrift *m = multivariateAt(index.row()))
        return multivariateData(*m, index.column(), role);
    const drift::FeatureDrift *f = featureAt(index.row());
    if (!f)
        return {};
    if (role == DriftRole)
        return f->drift;
    if (role == SparklineRole) {
        QList<double> values;
        for (const DriftScorePoint &p : m_history.value(f->name))
            values << p.score;
        return QVariant::fromValue(values);
    }
    if (role == Qt::ForegroundRole && index.column() == Status)
        return f->drift ? QBrush(themeColor(Palette::Bad)) : QBrush(themeColor(Palette::Good));
    if (role == Qt::TextAlignmentRole && index.column() >= Score && index.column() <= Effect)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == Feature && isImageDriftFeature(f->name))
        return tr("An image statistic computed by MLDeck from a sample of the images (%L1 of the window, %L2 of the "
                  "reference), not a logged feature.")
            .arg(f->currentCount)
            .arg(f->referenceCount);
    if (role == Qt::ToolTipRole && f->sketch && (index.column() == Score || index.column() == Status)) {
        const drift::SketchBound &b = *f->sketch;
        QString tip = tr("Computed from hourly sketches: the exact score is between %1 and %2")
                          .arg(boundText(b.statisticLow, 4, false), boundText(b.statisticHigh, 4, true));
        if (b.pValueLow && b.pValueHigh)
            tip += tr(", the exact p-value between %1 and %2")
                       .arg(boundText(*b.pValueLow, 3, false), boundText(*b.pValueHigh, 3, true));
        tip += tr(" (CDF error at most %1 %).").arg(b.rankError * 100, 0, 'g', 2);
        if (!b.decided)
            tip += QLatin1Char(' ') + tr("That interval straddles the threshold: no verdict for this window.");
        return tip;
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Feature:
        return driftFeatureLabel(f->name);
    case Test:
        return drift::testKey(f->test);
    case Score:
        if (f->sketch && f->sketch->statisticHigh > f->sketch->statisticLow) // from sketches: with its bound
            return tr("%1 (%2–%3)")
                .arg(QString::number(f->statistic, 'g', 4), boundText(f->sketch->statisticLow, 3, false),
                     boundText(f->sketch->statisticHigh, 3, true));
        return QString::number(f->statistic, 'g', 4);
    case PValue:
        return f->pValue ? QString::number(*f->pValue, 'g', 3) : QStringLiteral("—");
    case Threshold:
        return drift::testHasPValue(f->test) ? QStringLiteral("p < %1").arg(f->threshold)
                                             : QStringLiteral("≥ %1").arg(f->threshold);
    case Effect:
        return QStringLiteral("%1 %2").arg(f->effectSizeName).arg(f->effectSize, 0, 'f', 2);
    case Status:
        if (f->sketch && !f->sketch->decided)
            return tr("Undecided");
        if (!f->enoughSamples)
            return tr("Too few rows");
        return f->drift ? tr("Drift") : tr("OK");
    default:
        return {};
    }
}

// The multivariate line: its score is the window's mean reconstruction error, its threshold the band.
QVariant DriftTableModel::multivariateData(const drift::MultivariateDrift &m, int column, int role) const
{
    if (role == DriftRole)
        return m.drift;
    if (role == SparklineRole) {
        QList<double> values;
        for (const DriftScorePoint &p : m_history.value(kDriftMultivariateFeature))
            values << p.score;
        return QVariant::fromValue(values);
    }
    if (role == Qt::ForegroundRole && column == Status)
        return m.drift ? QBrush(themeColor(Palette::Bad)) : QBrush(themeColor(Palette::Good));
    if (role == Qt::TextAlignmentRole && column >= Score && column <= Effect)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole)
        return m.enoughSamples ? tr("Mean reconstruction error of the window's rows by a PCA of the reference "
                                    "(%1 of %2 encoded inputs kept, %3 % of the variance); the band is the mean "
                                    "± 3 standard deviations over %4 reference chunks of %5 rows.")
                                     .arg(m.components)
                                     .arg(m.inputs)
                                     .arg(m.explainedShare * 100, 0, 'f', 1)
                                     .arg(m.referenceChunks)
                                     .arg(m.chunkRows)
                               : m.problem;
    if (role != Qt::DisplayRole)
        return {};
    switch (column) {
    case Feature:
        return drift::multivariateLabel(m.components, m.varianceShare);
    case Test:
        return QStringLiteral("pca");
    case Score:
        return m.currentRows > 0 ? QString::number(m.value, 'g', 4) : QStringLiteral("—");
    case PValue:
    case Effect:
        return QStringLiteral("—");
    case Threshold:
        return m.enoughSamples ? tr("%1 to %2").arg(m.lower, 0, 'g', 4).arg(m.upper, 0, 'g', 4) : QStringLiteral("—");
    case Status:
        if (!m.enoughSamples)
            return tr("No verdict");
        return m.drift ? tr("Drift") : tr("OK");
    default:
        return {};
    }
}

QVariant DriftTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Feature:
        return tr("Feature");
    case Test:
        return tr("Test");
    case Score:
        return tr("Score");
    case PValue:
        return tr("p-value");
    case Threshold:
        return tr("Threshold");
    case Effect:
        return tr("Effect size");
    case Status:
        return tr("Status");
    case Trend:
        return tr("Trend");
    default:
        return {};
    }
}

} // namespace mldeck::ui
