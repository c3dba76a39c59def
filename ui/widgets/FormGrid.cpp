#include "ui/widgets/FormGrid.h"

#include <QLabel>

namespace mldeck::ui {

FormGrid::FormGrid(QWidget *parent, QFormLayout::FieldGrowthPolicy growth) : QGridLayout(parent), m_growth(growth)
{
    setColumnStretch(1, 1);     // the width left over goes to the fields, never to the labels
    setAlignment(Qt::AlignTop); // rows keep their height; the height left over stays below them
}

Qt::Alignment FormGrid::fieldAlignment(const QWidget *field) const
{
    const QSizePolicy::Policy policy = field->sizePolicy().horizontalPolicy();
    bool grows = false;
    switch (m_growth) {
    case QFormLayout::AllNonFixedFieldsGrow:
        grows = policy != QSizePolicy::Fixed;
        break;
    case QFormLayout::ExpandingFieldsGrow:
        grows = (policy & QSizePolicy::ExpandFlag) != 0;
        break;
    case QFormLayout::FieldsStayAtSizeHint:
        break;
    }
    return grows ? Qt::Alignment() : Qt::AlignLeft | Qt::AlignVCenter;
}

QLabel *FormGrid::addRow(const QString &label, QWidget *field)
{
    const int row = m_rows++;
    QLabel *labelWidget = nullptr;
    if (!label.isEmpty()) {
        labelWidget = new QLabel(label);
        labelWidget->setBuddy(field);
        // A tall field (a table, a list) keeps its label level with its first line.
        const bool tall = field->sizeHint().height() > 2 * labelWidget->sizeHint().height();
        addWidget(labelWidget, row, 0, m_labelAlignment | (tall ? Qt::AlignTop : Qt::AlignVCenter));
        m_labels.insert(field, labelWidget);
    }
    addWidget(field, row, 1, fieldAlignment(field));
    return labelWidget;
}

QLabel *FormGrid::addRow(const QString &label, QLayout *fields)
{
    const int row = m_rows++;
    auto *labelWidget = new QLabel(label);
    addWidget(labelWidget, row, 0, m_labelAlignment | Qt::AlignVCenter);
    addLayout(fields, row, 1, Qt::AlignLeft | Qt::AlignVCenter);
    return labelWidget;
}

void FormGrid::addRow(QWidget *wholeRow)
{
    addWidget(wholeRow, m_rows++, 0, 1, 2);
}

void FormGrid::setRowVisible(QWidget *field, bool visible)
{
    field->setVisible(visible);
    if (QLabel *label = m_labels.value(field))
        label->setVisible(visible);
}

} // namespace mldeck::ui
