#pragma once

#include "core/services/DriftService.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

namespace mldeck::ui {

// Drift per feature: test, score, p-value, threshold, effect size, status, and the score's
// recent history (drawn as a sparkline by SparklineDelegate).
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
    const drift::FeatureDrift *featureAt(int row) const;
    QList<DriftScorePoint> historyOf(const QString &feature) const { return m_history.value(feature); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<drift::FeatureDrift> m_features;
    QHash<QString, QList<DriftScorePoint>> m_history;
};

} // namespace mldeck::ui
