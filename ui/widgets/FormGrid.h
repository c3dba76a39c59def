#pragma once

#include <QFormLayout>
#include <QGridLayout>
#include <QHash>

class QLabel;

namespace mldeck::ui {

// "Label: field" rows, some of which come and go (a classifier's classes, an image deployment's folders).
// The house's forms whose rows hide use this rather than QFormLayout: in Qt 6.4.2, laying out a QFormLayout
// with a hidden row while another row has a height for its width (a word-wrapped message) writes past the
// layout's own row arrays (valgrind: invalid writes in QFormLayout::setGeometry), which corrupted the heap and
// crashed a GUI test about one run in ten. A grid leaves hidden items out by design.
class FormGrid final : public QGridLayout
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FormGrid)

public:
    // growth: which fields widen with the form, as QFormLayout's policy of the same name.
    explicit FormGrid(QWidget *parent = nullptr,
                      QFormLayout::FieldGrowthPolicy growth = QFormLayout::AllNonFixedFieldsGrow);

    // A label ("&" marks its mnemonic, which focuses the field) and its field; an empty label leaves the
    // label column blank. Returns the label (nullptr for an empty one).
    QLabel *addRow(const QString &label, QWidget *field);
    // A label and a row of several widgets; such a row cannot be hidden.
    QLabel *addRow(const QString &label, QLayout *fields);
    // A widget across both columns (a heading, a note).
    void addRow(QWidget *wholeRow);
    // Hides or shows a row given its field (or its whole-row widget), with its label.
    void setRowVisible(QWidget *field, bool visible);
    // Left or right; labels are centred on their field's row (top-aligned beside a tall field).
    void setLabelAlignment(Qt::Alignment alignment) { m_labelAlignment = alignment & Qt::AlignHorizontal_Mask; }

private:
    Qt::Alignment fieldAlignment(const QWidget *field) const;

    QFormLayout::FieldGrowthPolicy m_growth;
    Qt::Alignment m_labelAlignment = Qt::AlignLeft;
    QHash<const QWidget *, QLabel *> m_labels;
    int m_rows = 0; // the next row to fill
};

} // namespace mldeck::ui
