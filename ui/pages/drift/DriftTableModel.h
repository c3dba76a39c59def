#pragma once

#include "core/services/DriftService.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

#include <optional>

namespace mldeck::ui {

// Drift per feature: test, score, p-value, threshold, effect size, status, and the score's
// recent history (drawn as a sparkline by SparklineDelegate); the multivariate line last, its band as threshold.
class DriftTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftTableModel)

public:
    enum Column
    {
        Feature,
        Test,
        Score,
        PValue,
        Threshold,
        Effect,
        Status,
        Trend,
        ColumnCount
    };
    static constexpr int SparklineRole = Qt::UserRole + 1; // QList<double>, oldest first
    static constexpr int DriftRole = Qt::UserRole + 2;     // bool

    explicit DriftTableModel(QObject *parent = nullptr);

    void setView(const DriftView &view);
    // A feature's row; nullptr for the multivariate line (the last row, when the check has one).
    const drift::FeatureDrift *featureAt(int row) const;
    const drift::MultivariateDrift *multivariateAt(int row) const;
    QString nameAt(int row) const; // the feature, or kDriftMultivariateFeature
    QList<DriftScorePoint> historyOf(const QString &feature) const { return m_history.value(feature); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant multivariateData(const drift::MultivariateDrift &m, int column, int role) const;

    std::vector<drift::FeatureDrift> m_features;
    std::optional<drift::MultivariateDrift> m_multivariate;
    QHash<QString, QList<DriftScorePoint>> m_history;
};

} // namespace mldeck::ui
