#include "ui/pages/deployments/DeploymentsTableModel.h"

#include "ui/Theme.h"

#include <QLocale>

namespace mldeck::ui {

DeploymentsTableModel::DeploymentsTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void DeploymentsTableModel::setDeployments(const QList<DeploymentInfo> &deployments)
{
    beginResetModel();
    m_deployments = deployments;
    endResetModel();
}

const DeploymentInfo *DeploymentsTableModel::at(int row) const
{
    return row >= 0 && row < m_deployments.size() ? &m_deployments.at(row) : nullptr;
}

int DeploymentsTableModel::rowOf(const QString &name) const
{
    for (int i = 0; i < m_deployments.size(); ++i)
        if (m_deployments.at(i).name == name)
            return i;
    return -1;
}

int DeploymentsTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_deployments.size());
}

int DeploymentsTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString DeploymentsTableModel::taskText(const QString &task)
{
    return task == QLatin1String("classification") ? tr("classification") : tr("regression");
}

QString DeploymentsTableModel::targetText(const DeploymentInfo &d)
{
    if (d.targetName.isEmpty())
        return d.targetUnit.isEmpty() ? QStringLiteral("–") : d.targetUnit;
    return d.targetUnit.isEmpty() ? d.targetName : tr("%1 (%2)").arg(d.targetName, d.targetUnit);
}

QVariant DeploymentsTableModel::data(const QModelIndex &index, int role) const
{
    const DeploymentInfo *d = index.isValid() ? at(index.row()) : nullptr;
    if (!d || index.column() < 0 || index.column() >= ColumnCount)
        return {};
    if (role == Qt::ForegroundRole && d->archived())
        return themeColor(Palette::Faint); // archived deployments recede
    if (role == Qt::ToolTipRole && index.column() == StateColumn && d->archived())
        return tr("Archived %1 by %2")
            .arg(QLocale().toString(d->archivedAt->toLocalTime(), QLocale::ShortFormat), d->archivedBy);
    if (role == Qt::ToolTipRole && index.column() == DescriptionColumn)
        return d->description;
    if (role != Qt::DisplayRole)
        return {};
    switch (Column(index.column())) {
    case NameColumn:
        return d->name;
    case TaskColumn:
        return d->isImage() ? tr("%1, images").arg(taskText(d->task)) : taskText(d->task);
    case DescriptionColumn:
        return d->description.isEmpty() ? QStringLiteral("–") : d->description;
    case TargetColumn:
        return targetText(*d);
    case CreatedColumn:
        return d->createdAt.isValid() ? QLocale().toString(d->createdAt.toLocalTime(), QLocale::ShortFormat)
                                      : QStringLiteral("–");
    case StateColumn:
        return d->archived() ? tr("archived") : tr("active");
    case ColumnCount:
        break;
    }
    return {};
}

QVariant DeploymentsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case NameColumn:
        return tr("Name");
    case TaskColumn:
        return tr("Task");
    case DescriptionColumn:
        return tr("Description");
    case TargetColumn:
        return tr("Target");
    case CreatedColumn:
        return tr("Created");
    case StateColumn:
        return tr("State");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace mldeck::ui
