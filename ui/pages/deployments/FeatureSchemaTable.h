#pragma once

#include "core/domain/FeatureSchema.h"

#include <QTableWidget>

namespace mldeck::ui {

// The feature schema of a new deployment as an editable table: one row per column read from a model
// file or a CSV header, with its kind (numeric, categorical, or not a feature: a CSV's target or
// timestamp column) and, for a categorical one, its categories separated by commas.
class FeatureSchemaTable final : public QTableWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FeatureSchemaTable)

public:
    enum Column
    {
        NameColumn,
        KindColumn,
        CategoriesColumn,
        ColumnCount
    };
    enum class Kind
    {
        Numeric,
        Categorical,
        Ignored
    };

    explicit FeatureSchemaTable(QWidget *parent = nullptr);

    void setSchema(const FeatureSchema &schema);
    // The rows kept as features, in order.
    FeatureSchema schema() const;
    // Empty when every row is acceptable, else the first reason ("delay_min: list its categories").
    QString problem() const;

    // The kind chooser of a row (objectName kind_<name>), for tests and keyboard users.
    Kind kind(int row) const;
    void setKind(int row, Kind kind);

Q_SIGNALS:
    void schemaEdited();

private:
    void fill(const FeatureSchema &schema);
    void updateRow(int row);
    static QStringList categoriesOf(const QString &text);
};

} // namespace mldeck::ui
