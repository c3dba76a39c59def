#pragma once

#include "core/alerting/AlertRuleView.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QList>

namespace mldeck::ui {

// The KPI alert rules of one deployment: condition, state (inactive / pending since / firing
// since / resolved) and the last value the guard saw.
class AlertRulesTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertRulesTableModel)

public:
    enum Column
    {
        Rule,
        Condition,
        Resolves, // the resolve threshold and keep-firing time (hysteresis)
        State,
        LastValue,
        Evaluated,
        Enabled,
        ColumnCount
    };
    static constexpr int StateKeyRole = Qt::UserRole + 1; // "inactive", "pending", "firing", "resolved"

    explicit AlertRulesTableModel(QObject *parent = nullptr);

    void setRules(const QList<AlertRuleView> &rules);
    const AlertRuleView *ruleAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString stateText(const AlertRuleView &v) const;
    QString resolvesText(const AlertRule &rule) const;
    QList<AlertRuleView> m_rules;
};

} // namespace mldeck::ui
