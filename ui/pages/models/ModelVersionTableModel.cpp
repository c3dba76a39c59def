#include "ui/pages/models/ModelVersionTableModel.h"

#include "core/domain/Figure.h"
#include "core/ml/checks/ModelChecks.h"
#include "ui/Theme.h"
#include "ui/pages/deployments/DeploymentsTableModel.h"

#include <QColor>
#include <QLocale>

#include <algorithm>

namespace mldeck::ui {

namespace {

QVariant metric(const ModelVersion &m, const QString &key)
{
    return figureText(figureOf(m.metrics.value(key)), [](double v) { return QLocale().toString(v, 'f', 3); });
}

} // namespace

ModelVersionTableModel::ModelVersionTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void ModelVersionTableModel::setModels(const QList<ModelVersion> &models, const QHash<qint64, QJsonObject> &checks)
{
    beginResetModel();
    m_models = models;
    m_checks = checks;
    m_reports.clear();
    for (auto it = checks.cbegin(); it != checks.cend(); ++it)
        m_reports.insert(it.key(), checks::CheckReport::fromJson(it.value()));
    // A deployment's versions share its task: a classifier's list shows accuracy and log-loss instead.
    m_classification = !models.isEmpty() && std::all_of(models.cbegin(), models.cend(), [](const ModelVersion &m) {
        return m.task == QLatin1String("classification");
    });
    endResetModel();
}

const ModelVersion *ModelVersionTableModel::at(int row) const
{
    return row >= 0 && row < m_models.size() ? &m_models.at(row) : nullptr;
}

int ModelVersionTableModel::rowOfVersion(const QString &version) const
{
    for (int i = 0; i < m_models.size(); ++i)
        if (m_models.at(i).version == version)
            return i;
    return -1;
}

int ModelVersionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_models.size());
}

int ModelVersionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModelVersionTableModel::data(const QModelIndex &index, int role) const
{
    const ModelVersion *m = index.isValid() ? at(index.row()) : nullptr;
    if (!m || index.column() < 0 || index.column() >= ColumnCount)
        return {};
    if (role == AliasesRole && index.column() == AliasesColumn)
        return m->aliases;
    if (role == Qt::TextAlignmentRole && (index.column() == MaeColumn || index.column() == R2Column))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && m->archived)
        return themeColor(Palette::Faint); // archived versions recede
    if (role == Qt::ToolTipRole && index.column() == VersionColumn)
        return tr("SHA-256 %1").arg(m->sha256);
    if (index.column() == ChecksColumn && m_reports.contains(m->id)) {
        const checks::CheckReport &report = *m_reports.constFind(m->id);
        if (role == Qt::ToolTipRole)
            return report.summary();
        // A check without data is never shown as a pass: muted, not the colour of a verdict.
        if (role == Qt::ForegroundRole && !report.passed())
            return themeColor(Palette::Bad);
        if (role == Qt::ForegroundRole && !report.comparedAll())
            return themeColor(Palette::Muted);
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (Column(index.column())) {
    case VersionColumn:
        return m->version;
    case NameColumn:
        return m->name;
    case TaskColumn:
        return DeploymentsTableModel::taskText(m->task);
    case CreatedColumn:
        return QLocale().toString(m->createdAt.toLocalTime(), QLocale::ShortFormat);
    case MaeColumn:
        return metric(*m, m_classification ? QStringLiteral("accuracy") : QStringLiteral("mae"));
    case R2Column:
        return metric(*m, m_classification ? QStringLiteral("log_loss") : QStringLiteral("r2"));
    case AliasesColumn:
        return m->aliases.join(QStringLiteral(", ")); // painted as badges by AliasBadgeDelegate
    case ArchivedColumn:
        return m->archived ? tr("archived") : QString();
    case ChecksColumn: {
        if (!m_reports.contains(m->id))
            return QStringLiteral("–");
        const checks::CheckReport &report = *m_reports.constFind(m->id);
        const auto failed = report.failures();
        if (!failed.isEmpty())
            return tr("failed: %1").arg(failed.first().title());
        if (!report.passed())
            return tr("not run");
        if (!report.championUnavailable.isEmpty())
            return tr("not compared with the champion");
        return report.comparedAll() ? tr("passed") : tr("passed, %n without data", nullptr, report.noDataCount());
    }
    case ColumnCount:
        break;
    }
    return {};
}

QVariant ModelVersionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case VersionColumn:
        return tr("Version");
    case NameColumn:
        return tr("Name");
    case TaskColumn:
        return tr("Task");
    case CreatedColumn:
        return tr("Created");
    case MaeColumn:
        return m_classification ? tr("Accuracy") : tr("MAE");
    case R2Column:
        return m_classification ? tr("Log-loss") : tr("R²");
    case AliasesColumn:
        return tr("Aliases");
    case ArchivedColumn:
        return tr("State");
    case ChecksColumn:
        return tr("Checks");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace mldeck::ui
