#pragma once

#include "core/services/KpiSnapshot.h"

#include <QAbstractTableModel>

namespace mldeck::ui {

// The figures of a snapshot split by path (ml / heuristic / fallback) and by model version, one row each;
// the columns are the deployment's task's (Column for a regression, ClassColumn for a classification).
class KpiBreakdownModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KpiBreakdownModel)

public:
    enum Column
    {
        Group,
        Name,
        Predictions,
        Throughput,
        Mae,
        EstimatedMae,
        Rmse,
        R2,
        Mape,
        P50,
        P95,
        P99,
        ErrorRate,
        ColumnCount
    };
    // The columns of a classification deployment's table (Group and Name as above).
    enum ClassColumn
    {
        ClassPredictions = Predictions,
        LabelCoverage,
        Accuracy,
        F1,
        RocAuc,
        LogLoss,
        Ece,
        Confidence,
        EstimatedAccuracy,
        ClassP95,
        ClassErrorRate,
        ClassColumnCount
    };
    static constexpr int FigureRole = Qt::UserRole + 1; // the raw double (invalid when empty)

    explicit KpiBreakdownModel(QObject *parent = nullptr);

    void setSnapshot(const KpiSnapshot &snapshot);
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    bool isClassification() const { return m_classification; }

private:
    QVariant classificationData(const QModelIndex &index, int role) const;

    struct Row
    {
        bool byVersion = false;
        QString name;
        stats::KpiFigures figures;
    };
    QList<Row> m_rows;
    bool m_classification = false;
    bool m_binary = false;
};

} // namespace mldeck::ui
