#include "ui/pages/drift/AlertsTableModel.h"

#include "ui/Theme.h"

#include <QBrush>
#include <QColor>

namespace mldeck::ui {

AlertsTableModel::AlertsTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void AlertsTableModel::setAlerts(const QList<Alert> &alerts, const QDateTime &now)
{
    beginResetModel();
    m_alerts = alerts;
    m_now = now;
    endResetModel();
}

const Alert *AlertsTableModel::alertAt(int row) const
{
    return row >= 0 && row < m_alerts.size() ? &m_alerts[row] : nullptr;
}

int AlertsTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_alerts.size());
}
int AlertsTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString AlertsTableModel::stateText(const QString &key) const
{
    if (key == QLatin1String("resolved"))
        return tr("Resolved");
    if (key == QLatin1String("silenced"))
        return tr("Silenced");
    if (key == QLatin1String("acknowledged"))
        return tr("Acknowledged");
    return tr("Firing");
}

QVariant AlertsTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_alerts.size())
        return {};
    const Alert &a = m_alerts[index.row()];
    const QString state = a.displayState(m_now);
    if (role == AlertIdRole)
        return a.id;
    if (role == StateKeyRole)
        return state;
    if (role == Qt::ForegroundRole && index.column() == State) {
        if (state == QLatin1String("firing"))
            return QBrush(themeColor(Palette::Bad));
        if (state == QLatin1String("resolved"))
            return QBrush(themeColor(Palette::Good));
        return {};
    }
    if (role == Qt::ToolTipRole && index.column() == State && state == QLatin1String("silenced"))
        return tr("Silenced by %1 until %2")
            .arg(a.silencedBy, a.silencedUntil.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case State:
        return stateText(state);
    case Severity:
        return a.severity == QLatin1String("critical")
                   ? tr("critical")
                   : (a.severity == QLatin1String("warning") ? tr("warning") : tr("info"));
    case Deployment:
        return a.deployment;
    case Title:
        return a.title;
    case Since:
        return (a.resolved() ? a.resolvedAt : a.raisedAt).toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    case AcknowledgedBy:
        return a.acknowledgedBy;
    default:
        return {};
    }
}

QVariant AlertsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case State:
        return tr("State");
    case Severity:
        return tr("Severity");
    case Deployment:
        return tr("Deployment");
    case Title:
        return tr("Title");
    case Since:
        return tr("Since");
    case AcknowledgedBy:
        return tr("Acknowledged by");
    default:
        return {};
    }
}

} // namespace mldeck::ui
