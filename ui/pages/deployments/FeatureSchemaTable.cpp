#include "ui/pages/deployments/FeatureSchemaTable.h"

#include <QComboBox>
#include <QHeaderView>
#include <QSignalBlocker>

namespace mldeck::ui {

FeatureSchemaTable::FeatureSchemaTable(QWidget *parent) : QTableWidget(0, ColumnCount, parent)
{
    setObjectName(QStringLiteral("featureSchemaTable"));
    setHorizontalHeaderLabels({tr("Column"), tr("Kind"), tr("Categories (comma-separated)")});
    verticalHeader()->hide();
    horizontalHeader()->setSectionResizeMode(NameColumn, QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(KindColumn, QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(CategoriesColumn, QHeaderView::Stretch);
    setSelectionMode(QAbstractItemView::NoSelection);
    setWordWrap(false);
    connect(this, &QTableWidget::itemChanged, this, [this](QTableWidgetItem *item) {
        if (item->column() == CategoriesColumn)
            Q_EMIT schemaEdited();
    });
}

void FeatureSchemaTable::setSchema(const FeatureSchema &schema)
{
    fill(schema);
    Q_EMIT schemaEdited();
}

void FeatureSchemaTable::fill(const FeatureSchema &schema)
{
    const QSignalBlocker block(this); // itemChanged for every cell set here is not an edit
    setRowCount(0);
    setRowCount(int(schema.features.size()));
    for (int row = 0; row < rowCount(); ++row) {
        const FeatureSpec &spec = schema.features[size_t(row)];
        auto *name = new QTableWidgetItem(spec.name);
        name->setFlags(Qt::ItemIsEnabled);
        setItem(row, NameColumn, name);
        auto *kind = new QComboBox(this);
        kind->setObjectName(QStringLiteral("kind_") + spec.name);
        kind->setAccessibleName(tr("Kind of %1").arg(spec.name));
        kind->addItem(tr("numeric"), int(Kind::Numeric));
        kind->addItem(tr("categorical"), int(Kind::Categorical));
        kind->addItem(tr("not a feature"), int(Kind::Ignored));
        kind->setCurrentIndex(spec.kind == FeatureSpec::Kind::Categorical ? 1 : 0);
        setCellWidget(row, KindColumn, kind);
        setItem(row, CategoriesColumn, new QTableWidgetItem(spec.categories.join(QStringLiteral(", "))));
        updateRow(row);
        connect(kind, &QComboBox::currentIndexChanged, this, [this, kind] {
            for (int r = 0; r < rowCount(); ++r)
                if (cellWidget(r, KindColumn) == kind)
                    updateRow(r);
            Q_EMIT schemaEdited();
        });
    }
}

FeatureSchemaTable::Kind FeatureSchemaTable::kind(int row) const
{
    auto *combo = qobject_cast<QComboBox *>(cellWidget(row, KindColumn));
    return combo ? Kind(combo->currentData().toInt()) : Kind::Ignored;
}

void FeatureSchemaTable::setKind(int row, Kind k)
{
    if (auto *combo = qobject_cast<QComboBox *>(cellWidget(row, KindColumn)))
        combo->setCurrentIndex(combo->findData(int(k)));
}

void FeatureSchemaTable::updateRow(int row)
{
    // Categories are edited only for a categorical column; the others keep what was read, greyed.
    QTableWidgetItem *categories = item(row, CategoriesColumn);
    if (!categories)
        return;
    const QSignalBlocker block(this);
    const bool categorical = kind(row) == Kind::Categorical;
    categories->setFlags(categorical ? Qt::ItemIsEnabled | Qt::ItemIsEditable : Qt::NoItemFlags);
}

QStringList FeatureSchemaTable::categoriesOf(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(QLatin1Char(','))) {
        const QString c = part.trimmed();
        if (!c.isEmpty() && !out.contains(c))
            out << c;
    }
    return out;
}

FeatureSchema FeatureSchemaTable::schema() const
{
    FeatureSchema schema;
    for (int row = 0; row < rowCount(); ++row) {
        const Kind k = kind(row);
        if (k == Kind::Ignored)
            continue;
        FeatureSpec spec;
        spec.name = item(row, NameColumn)->text();
        spec.kind = k == Kind::Categorical ? FeatureSpec::Kind::Categorical : FeatureSpec::Kind::Numeric;
        if (k == Kind::Categorical)
            spec.categories = categoriesOf(item(row, CategoriesColumn)->text());
        schema.features.push_back(std::move(spec));
    }
    return schema;
}

QString FeatureSchemaTable::problem() const
{
    for (int row = 0; row < rowCount(); ++row)
        if (kind(row) == Kind::Categorical && categoriesOf(item(row, CategoriesColumn)->text()).isEmpty())
            return tr("%1: list its categories, separated by commas.").arg(item(row, NameColumn)->text());
    return {};
}

} // namespace mldeck::ui
