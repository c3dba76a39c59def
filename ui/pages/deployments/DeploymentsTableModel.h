#pragma once

#include "core/store/pg/DeploymentStore.h"

#include <QAbstractTableModel>
#include <QList>

namespace mldeck::ui {

// The deployments as the Deployments page's table shows them, archived ones greyed.
class DeploymentsTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeploymentsTableModel)

public:
    enum Column
    {
        NameColumn,
        TaskColumn,
        DescriptionColumn,
        TargetColumn,
        CreatedColumn,
        StateColumn,
        ColumnCount
    };

    explicit DeploymentsTableModel(QObject *parent = nullptr);

    void setDeployments(const QList<DeploymentInfo> &deployments);
    const DeploymentInfo *at(int row) const;
    int rowOf(const QString &name) const; // -1 when absent

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString taskText(const QString &task);       // translated
    static QString targetText(const DeploymentInfo &d); // "delay (min)", "–" when none

private:
    QList<DeploymentInfo> m_deployments;
};

} // namespace mldeck::ui
