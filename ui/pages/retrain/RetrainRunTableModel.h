#pragma once

#include "core/domain/RetrainRun.h"

#include <QAbstractTableModel>
#include <QList>

namespace mldeck::ui {

// The History tab's runs, newest first as the service lists them: one row per retrain run.
class RetrainRunTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainRunTableModel)

public:
    enum Column
    {
        IdColumn,
        StartedColumn,
        StatusColumn,
        TriggerColumn,
        ParamsColumn,
        MetricColumn, // the run's decision metric, candidate vs champion
        DecisionColumn,
        DurationColumn,
        ColumnCount
    };

    explicit RetrainRunTableModel(QObject *parent = nullptr);

    void setRuns(const QList<RetrainRun> &runs);
    const QList<RetrainRun> &runs() const { return m_runs; }
    const RetrainRun *at(int row) const;
    int rowOfId(qint64 id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<RetrainRun> m_runs;
};

} // namespace mldeck::ui
