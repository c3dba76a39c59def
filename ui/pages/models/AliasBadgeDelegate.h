#pragma once

#include <QStyledItemDelegate>

namespace mldeck::ui {

// Paints the aliases of a model version (champion, challenger) as coloured badges.
class AliasBadgeDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AliasBadgeDelegate)

public:
    explicit AliasBadgeDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace mldeck::ui
