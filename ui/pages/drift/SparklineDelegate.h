#pragma once

#include <QStyledItemDelegate>

namespace mldeck::ui {

// Paints DriftTableModel::SparklineRole (a QList<double>) as a small line: cheap enough for
// every row, no chart object per cell.
class SparklineDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SparklineDelegate)

public:
    explicit SparklineDelegate(QObject *parent = nullptr);
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace mldeck::ui
