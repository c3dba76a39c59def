#include "ui/pages/models/AliasBadgeDelegate.h"

#include "ui/Theme.h"

#include "ui/pages/models/ModelVersionTableModel.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

namespace mldeck::ui {

namespace {

constexpr int kPadX = 7;
constexpr int kGap = 4;

QColor badgeColor(const QString &alias)
{
    return alias == QLatin1String("champion") ? themeColor(Palette::Good) : themeColor(Palette::Warn);
}

QString badgeText(const QString &alias)
{
    if (alias == QLatin1String("champion"))
        return AliasBadgeDelegate::tr("champion");
    if (alias == QLatin1String("challenger"))
        return AliasBadgeDelegate::tr("challenger");
    return alias;
}

} // namespace

AliasBadgeDelegate::AliasBadgeDelegate(QObject *parent) : QStyledItemDelegate(parent) {}

void AliasBadgeDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    const QStringList aliases = index.data(ModelVersionTableModel::AliasesRole).toStringList();
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QFont font = option.font;
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 0.85);
    painter->setFont(font);
    const QFontMetrics fm(font);
    int x = option.rect.left() + kGap;
    const int h = fm.height() + 4;
    const int y = option.rect.center().y() - h / 2;
    for (const QString &alias : aliases) {
        const QString text = badgeText(alias);
        const int w = fm.horizontalAdvance(text) + 2 * kPadX;
        QPainterPath path;
        path.addRoundedRect(QRectF(x, y, w, h), h / 2.0, h / 2.0);
        painter->fillPath(path, badgeColor(alias));
        painter->setPen(Qt::white);
        painter->drawText(QRect(x, y, w, h), Qt::AlignCenter, text);
        x += w + kGap;
    }
    painter->restore();
}

QSize AliasBadgeDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize base = QStyledItemDelegate::sizeHint(option, index);
    QFont font = option.font;
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 0.85);
    const QFontMetrics fm(font);
    int w = kGap;
    for (const QString &alias : index.data(ModelVersionTableModel::AliasesRole).toStringList())
        w += fm.horizontalAdvance(badgeText(alias)) + 2 * kPadX + kGap;
    return QSize(qMax(base.width(), w), qMax(base.height(), fm.height() + 8));
}

} // namespace mldeck::ui
