#include "ui/pages/drift/AlertRulesTableModel.h"

#include "core/domain/Figure.h"
#include "ui/Theme.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace mldeck::ui {

namespace {

QString localTime(qint64 secs)
{
    return secs > 0 ? QLocale().toString(QDateTime::fromSecsSinceEpoch(secs).toLocalTime(), QLocale::ShortFormat)
                    : QString();
}

} // namespace

AlertRulesTableModel::AlertRulesTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void AlertRulesTableModel::setRules(const QList<AlertRuleView> &rules)
{
    beginResetModel();
    m_rules = rules;
    endResetModel();
}

const AlertRuleView *AlertRulesTableModel::ruleAt(int row) const
{
    return row >= 0 && row < m_rules.size() ? &m_rules[row] : nullptr;
}

int AlertRulesTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rules.size());
}
int AlertRulesTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

// "≤ 15.0 % for 300 s"; without hysteresis, "at once" (as soon as the condition is false).
QString AlertRulesTableModel::resolvesText(const AlertRule &rule) const
{
    if (!rule.resolveThreshold && rule.keepFiringSeconds == 0)
        return tr("at once");
    const QString at = rule.resolveCondition();
    return rule.keepFiringSeconds > 0 ? tr("%1 for %2 s").arg(at).arg(rule.keepFiringSeconds) : at;
}

QString AlertRulesTableModel::stateText(const AlertRuleView &v) const
{
    if (!v.rule.enabled)
        return tr("Disabled");
    switch (v.status.state) {
    case AlertRuleState::Inactive:
        return tr("Inactive");
    case AlertRuleState::Pending:
        return tr("Pending since %1").arg(localTime(v.status.pendingSinceSecs));
    case AlertRuleState::Firing:
        if (v.status.clearingSinceSecs > 0)
            return tr("Firing since %1, clearing since %2")
                .arg(localTime(v.status.firingSinceSecs), localTime(v.status.clearingSinceSecs));
        return tr("Firing since %1").arg(localTime(v.status.firingSinceSecs));
    case AlertRuleState::Resolved:
        return tr("Resolved at %1").arg(localTime(v.status.resolvedAtSecs));
    }
    return {};
}

QVariant AlertRulesTableModel::data(const QModelIndex &index, int role) const
{
    const AlertRuleView *v = index.isValid() ? ruleAt(index.row()) : nullptr;
    if (!v)
        return {};
    if (role == StateKeyRole)
        return alertRuleStateName(v->status.state);
    if (role == Qt::ForegroundRole && index.column() == State && v->rule.enabled) {
        if (v->status.state == AlertRuleState::Firing)
            return QBrush(themeColor(Palette::Bad));
        if (v->status.state == AlertRuleState::Pending)
            return QBrush(themeColor(Palette::Warn));
    }
    if (role == Qt::ToolTipRole && index.column() == Rule)
        return v->customised ? tr("Changed for this deployment") : tr("Built-in default");
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Rule:
        return v->rule.id;
    case Condition:
        return v->rule.describe();
    case Resolves:
        return resolvesText(v->rule);
    case State:
        return stateText(*v);
    case LastValue:
        return figureText(v->status.lastValue, [v](double x) { return v->rule.formatValue(x); });
    case Evaluated:
        return localTime(v->status.lastEvaluatedSecs);
    case Enabled:
        return v->rule.enabled ? tr("On") : tr("Off");
    default:
        return {};
    }
}

QVariant AlertRulesTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Rule:
        return tr("Rule");
    case Condition:
        return tr("Condition");
    case Resolves:
        return tr("Resolves");
    case State:
        return tr("State");
    case LastValue:
        return tr("Last value");
    case Evaluated:
        return tr("Evaluated");
    case Enabled:
        return tr("Enabled");
    default:
        return {};
    }
}

} // namespace mldeck::ui
