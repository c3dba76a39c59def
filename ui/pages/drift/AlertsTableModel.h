#pragma once

#include "core/domain/Alert.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QList>

namespace mldeck::ui {

// The alert list: state, severity, deployment, title, since, acknowledged by.
class AlertsTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsTableModel)

public:
    enum Column
    {
        State,
        Severity,
        Deployment,
        Title,
        Since,
        AcknowledgedBy,
        ColumnCount
    };
    static constexpr int AlertIdRole = Qt::UserRole + 1;
    static constexpr int StateKeyRole = Qt::UserRole + 2; // "firing", "acknowledged", "silenced", "resolved"

    explicit AlertsTableModel(QObject *parent = nullptr);

    void setAlerts(const QList<Alert> &alerts, const QDateTime &now);
    const Alert *alertAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString stateText(const QString &key) const;
    QList<Alert> m_alerts;
    QDateTime m_now;
};

} // namespace mldeck::ui
