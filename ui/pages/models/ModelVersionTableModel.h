#pragma once

#include "core/domain/ModelVersion.h"
#include "core/ml/checks/ModelChecks.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QJsonObject>
#include <QList>

namespace mldeck::ui {

// The registered versions of one deployment, newest first, as the Registry tab's table shows them.
class ModelVersionTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelVersionTableModel)

public:
    enum Column
    {
        VersionColumn,
        NameColumn,
        AliasesColumn,
        MaeColumn,
        R2Column,
        TaskColumn,
        CreatedColumn,
        ArchivedColumn,
        ChecksColumn, // the newest model checks of the version
        ColumnCount
    };
    // Role of AliasesColumn: the aliases as a QStringList, for the badge delegate.
    static constexpr int AliasesRole = Qt::UserRole + 1;

    explicit ModelVersionTableModel(QObject *parent = nullptr);

    void setModels(const QList<ModelVersion> &models, const QHash<qint64, QJsonObject> &checks = {});
    // The newest model checks of a version (checks::CheckReport JSON), empty when none ran.
    QJsonObject checksOf(qint64 modelId) const { return m_checks.value(modelId); }
    const QList<ModelVersion> &models() const { return m_models; }
    const ModelVersion *at(int row) const;
    int rowOfVersion(const QString &version) const; // -1 when absent

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ModelVersion> m_models;
    QHash<qint64, QJsonObject> m_checks;
    QHash<qint64, checks::CheckReport> m_reports; // m_checks parsed once, not on every paint
    bool m_classification = false;                // every version is a classifier: accuracy and log-loss columns
};

} // namespace mldeck::ui
