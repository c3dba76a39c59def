#include "ui/pages/dashboard/KpiBreakdownModel.h"

#include "core/domain/Figure.h"
#include "ui/pages/dashboard/KpiTiles.h"

#include <QLocale>

namespace mldeck::ui {

KpiBreakdownModel::KpiBreakdownModel(QObject *parent) : QAbstractTableModel(parent) {}

void KpiBreakdownModel::setSnapshot(const KpiSnapshot &snapshot)
{
    beginResetModel();
    m_rows.clear();
    m_classification = snapshot.isClassification();
    m_binary = snapshot.classSpec.isBinary();
    // Paths in a fixed order (the order people read them), then versions by name.
    for (const QString &path : {QStringLiteral("ml"), QStringLiteral("heuristic"), QStringLiteral("fallback")})
        if (snapshot.byPath.contains(path) && snapshot.byPath.value(path).predictions > 0)
            m_rows.append({false, path, snapshot.byPath.value(path)});
    for (auto it = snapshot.byVersion.cbegin(); it != snapshot.byVersion.cend(); ++it)
        if (it.value().predictions > 0)
            m_rows.append({true, it.key(), it.value()});
    endResetModel();
}

void KpiBreakdownModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int KpiBreakdownModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}
int KpiBreakdownModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : (m_classification ? int(ClassColumnCount) : int(ColumnCount));
}

QVariant KpiBreakdownModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &row = m_rows.at(index.row());
    if (m_classification && index.column() >= ClassPredictions)
        return classificationData(index, role);
    const auto &f = row.figures;
    std::optional<double> figure;
    switch (index.column()) {
    case Predictions:
        figure = double(f.predictions);
        break;
    case Throughput:
        figure = f.throughputPerSecond;
        break;
    case Mae:
        figure = f.mae;
        break;
    case EstimatedMae:
        figure = f.estimatedMae;
        break;
    case Rmse:
        figure = f.rmse;
        break;
    case R2:
        figure = f.r2;
        break;
    case Mape:
        figure = f.mape;
        break;
    case P50:
        figure = f.latencyP50Ms;
        break;
    case P95:
        figure = f.latencyP95Ms;
        break;
    case P99:
        figure = f.latencyP99Ms;
        break;
    case ErrorRate:
        figure = f.failureRate;
        break;
    default:
        break;
    }
    if (role == FigureRole)
        return figure ? QVariant(*figure) : QVariant();
    if (role == Qt::TextAlignmentRole)
        return index.column() >= Predictions ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Group:
        return row.byVersion ? tr("Model version") : tr("Path");
    case Name:
        if (row.byVersion)
            return row.name.isEmpty() ? tr("(none)") : row.name;
        if (row.name == QLatin1String("ml"))
            return tr("ML");
        if (row.name == QLatin1String("heuristic"))
            return tr("Heuristic");
        return tr("Fallback");
    case Predictions:
        return QLocale().toString(f.predictions);
    default:
        break;
    }
    if (!figure)
        return noDataText();
    switch (index.column()) {
    case Throughput:
        return KpiTiles::formatRate(*figure);
    case Mae:
    case EstimatedMae:
    case Rmse:
        return KpiTiles::formatMinutes(*figure);
    case R2:
        return KpiTiles::formatRatio(*figure);
    case Mape:
        return tr("%1 %").arg(QLocale().toString(*figure, 'f', 1));
    case P50:
    case P95:
    case P99:
        return KpiTiles::formatMs(*figure);
    case ErrorRate:
        return KpiTiles::formatShare(*figure);
    default:
        return {};
    }
}

QVariant KpiBreakdownModel::classificationData(const QModelIndex &index, int role) const
{
    const Row &row = m_rows.at(index.row());
    const auto &f = row.figures;
    const std::optional<stats::ClassificationFigures> &c = f.classification;
    std::optional<double> figure;
    switch (index.column()) {
    case ClassPredictions:
        figure = double(f.predictions);
        break;
    case LabelCoverage:
        figure = c ? c->labelCoverage : std::nullopt;
        break;
    case Accuracy:
        figure = c ? c->accuracy : std::nullopt;
        break;
    case F1:
        figure = c ? (m_binary ? c->f1Positive : c->macroF1) : std::nullopt;
        break;
    case RocAuc:
        figure = c ? c->rocAuc : std::nullopt;
        break;
    case LogLoss:
        figure = c ? c->logLoss : std::nullopt;
        break;
    case Ece:
        figure = c ? c->ece : std::nullopt;
        break;
    case Confidence:
        figure = c ? c->meanConfidence : std::nullopt;
        break;
    case EstimatedAccuracy:
        figure = c ? c->estimatedAccuracy : std::nullopt;
        break;
    case ClassP95:
        figure = f.latencyP95Ms;
        break;
    case ClassErrorRate:
        figure = f.failureRate;
        break;
    default:
        break;
    }
    if (role == FigureRole)
        return figure ? QVariant(*figure) : QVariant();
    if (role == Qt::TextAlignmentRole)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == EstimatedAccuracy && c && !c->estimateUntrusted.isEmpty())
        return tr("Not trusted: %1").arg(c->estimateUntrusted);
    if (role != Qt::DisplayRole)
        return {};
    if (index.column() == ClassPredictions)
        return QLocale().toString(f.predictions);
    if (!figure)
        return noDataText();
    switch (index.column()) {
    case F1:
    case RocAuc:
    case LogLoss:
        return KpiTiles::formatRatio(*figure);
    case ClassP95:
        return KpiTiles::formatMs(*figure);
    case EstimatedAccuracy:
        return c && !c->estimateUntrusted.isEmpty() ? tr("%1 (not trusted)").arg(KpiTiles::formatShare(*figure))
                                                    : KpiTiles::formatShare(*figure);
    default:
        return KpiTiles::formatShare(*figure);
    }
}

QVariant KpiBreakdownModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    if (m_classification && section >= ClassPredictions) {
        switch (section) {
        case ClassPredictions:
            return tr("Predictions");
        case LabelCoverage:
            return tr("Labelled");
        case Accuracy:
            return tr("Accuracy");
        case F1:
            return m_binary ? tr("F1") : tr("Macro F1");
        case RocAuc:
            return tr("ROC AUC");
        case LogLoss:
            return tr("Log-loss");
        case Ece:
            return tr("ECE");
        case Confidence:
            return tr("Confidence");
        case EstimatedAccuracy:
            return tr("Estimated accuracy");
        case ClassP95:
            return tr("p95");
        case ClassErrorRate:
            return tr("Error rate");
        default:
            return {};
        }
    }
    switch (section) {
    case Group:
        return tr("By");
    case Name:
        return tr("Name");
    case Predictions:
        return tr("Predictions");
    case Throughput:
        return tr("Throughput");
    case Mae:
        return tr("MAE");
    case EstimatedMae:
        return tr("Est. MAE");
    case Rmse:
        return tr("RMSE");
    case R2:
        return tr("R²");
    case Mape:
        return tr("MAPE");
    case P50:
        return tr("p50");
    case P95:
        return tr("p95");
    case P99:
        return tr("p99");
    case ErrorRate:
        return tr("Error rate");
    default:
        return {};
    }
}

} // namespace mldeck::ui
