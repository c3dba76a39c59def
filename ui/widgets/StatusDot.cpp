#include "ui/widgets/StatusDot.h"

#include "ui/Theme.h"

#include <QPainter>

namespace mldeck::ui {

StatusDot::StatusDot(QWidget *parent) : QWidget(parent), m_color(themeColor(Palette::Faint))
{
    setFixedSize(12, 12);
}

void StatusDot::setColor(const QColor &color)
{
    if (color == m_color)
        return;
    m_color = color;
    update();
}

void StatusDot::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(m_color.darker(130), 1));
    p.setBrush(m_color);
    p.drawEllipse(QRectF(1.5, 1.5, 9, 9));
}

} // namespace mldeck::ui
