#include "ui/pages/drift/SparklineDelegate.h"

#include "ui/Theme.h"

#include "ui/pages/drift/DriftTableModel.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

SparklineDelegate::SparklineDelegate(QObject *parent) : QStyledItemDelegate(parent) {}

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyledItemDelegate::paint(painter, option, QModelIndex()); // background and selection only
    QList<double> values = index.data(DriftTableModel::SparklineRole).value<QList<double>>();
    values.removeIf([](double v) { return !std::isfinite(v); });
    if (values.size() < 2)
        return;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double span = *hi - *lo > 0 ? *hi - *lo : 1.0;
    const QRectF r = QRectF(option.rect).adjusted(4, 4, -4, -4);
    QPainterPath path;
    for (qsizetype i = 0; i < values.size(); ++i) {
        const QPointF p(r.left() + r.width() * double(i) / double(values.size() - 1),
                        r.bottom() - r.height() * (values[i] - *lo) / span);
        i == 0 ? path.moveTo(p) : path.lineTo(p);
    }
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const bool drift = index.data(DriftTableModel::DriftRole).toBool();
    painter->setPen(QPen(drift ? themeColor(Palette::Bad) : themeColor(Palette::Accent), 1.5));
    painter->drawPath(path);
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    return QStyledItemDelegate::sizeHint(option, index).expandedTo(QSize(120, 24));
}

} // namespace mldeck::ui
