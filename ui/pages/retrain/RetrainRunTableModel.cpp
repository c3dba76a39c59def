#include "ui/pages/retrain/RetrainRunTableModel.h"

#include "ui/Theme.h"

#include "ui/pages/retrain/RetrainFormat.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace mldeck::ui {

RetrainRunTableModel::RetrainRunTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void RetrainRunTableModel::setRuns(const QList<RetrainRun> &runs)
{
    beginResetModel();
    m_runs = runs;
    endResetModel();
}

const RetrainRun *RetrainRunTableModel::at(int row) const
{
    return row >= 0 && row < m_runs.size() ? &m_runs[row] : nullptr;
}

int RetrainRunTableModel::rowOfId(qint64 id) const
{
    for (int i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].id == id)
            return i;
    return -1;
}

int RetrainRunTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RetrainRunTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RetrainRunTableModel::data(const QModelIndex &index, int role) const
{
    const RetrainRun *run = index.isValid() ? at(index.row()) : nullptr;
    if (!run)
        return {};
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case IdColumn:
            return QString::number(run->id);
        case StartedColumn: {
            const QDateTime t = run->startedAt.isValid() ? run->startedAt : run->requestedAt;
            return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat) : QStringLiteral("–");
        }
        case StatusColumn: {
            QString s = retrainfmt::stateText(run->state);
            if (run->dryRun)
                s += tr(" (dry run)");
            if (role == Qt::ToolTipRole && !run->error.isEmpty())
                s += QStringLiteral(": ") + run->error;
            return s;
        }
        case TriggerColumn:
            return run->trigger;
        case ParamsColumn:
            return retrainfmt::paramsSummary(run->params);
        case MetricColumn: {
            const QString metric = retrainfmt::decisionMetric(run->metrics);
            const auto c = retrainfmt::holdoutMetrics(run->metrics, QStringLiteral("candidate")).of(metric);
            const auto b = retrainfmt::holdoutMetrics(run->metrics, QStringLiteral("champion")).of(metric);
            if (!c && !b)
                return QStringLiteral("–");
            return tr("%1 vs %2").arg(retrainfmt::metricValue(metric, c), retrainfmt::metricValue(metric, b));
        }
        case DecisionColumn:
            if (role == Qt::ToolTipRole && !run->decisionReason.isEmpty())
                return run->decisionReason;
            return retrainfmt::decisionText(run->decision);
        case DurationColumn:
            return run->finishedAt.isValid() ? retrainfmt::duration(run->durationSeconds()) : QStringLiteral("–");
        default:
            return {};
        }
    }
    if (role == Qt::ForegroundRole && index.column() == StatusColumn) {
        if (run->state == QLatin1String("failed"))
            return QBrush(themeColor(Palette::Bad));
        if (run->state == QLatin1String("cancelled"))
            return QBrush(themeColor(Palette::WarnInk));
        if (run->state == QLatin1String("succeeded"))
            return QBrush(themeColor(Palette::Good));
    }
    if (role == Qt::TextAlignmentRole &&
        (index.column() == IdColumn || index.column() == MetricColumn || index.column() == DurationColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant RetrainRunTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn:
        return tr("Run");
    case StartedColumn:
        return tr("Started");
    case StatusColumn:
        return tr("Status");
    case TriggerColumn:
        return tr("Trigger");
    case ParamsColumn:
        return tr("Parameters");
    case MetricColumn: {
        // A deployment's runs share its task: the newest run names the metric.
        QString name = retrainfmt::metricName(m_runs.isEmpty() ? QStringLiteral("mae")
                                                               : retrainfmt::decisionMetric(m_runs.first().metrics));
        name[0] = name[0].toUpper();
        return tr("%1 candidate vs champion").arg(name);
    }
    case DecisionColumn:
        return tr("Decision");
    case DurationColumn:
        return tr("Duration");
    default:
        return {};
    }
}

} // namespace mldeck::ui
