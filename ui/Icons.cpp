#include "ui/Icons.h"

#include "ui/Theme.h"

#include <QGuiApplication>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>

namespace mldeck::ui {

namespace {

// Device-pixel-ratio aware canvas with painting in a 0..100 coordinate space.
QPixmap canvas(int size, qreal dpr)
{
    QPixmap pm(QSize(size, size) * dpr);
    pm.setDevicePixelRatio(dpr);
    pm.fill(Qt::transparent);
    return pm;
}

qreal screenDpr()
{
    return qGuiApp ? qGuiApp->devicePixelRatio() : 1.0;
}

void paintLogo(QPainter &p)
{
    // Mirrors resources/icons/mldeck.svg, scaled from its 256 grid.
    p.scale(1.0 / 2.56, 1.0 / 2.56);
    QLinearGradient tile(0, 12, 0, 244);
    tile.setColorAt(0, themeColor(Palette::Accent));
    tile.setColorAt(1, themeColor(Palette::AccentInk));
    p.setPen(Qt::NoPen);
    p.setBrush(tile);
    p.drawRoundedRect(QRectF(12, 12, 232, 232), 52, 52);

    const QRectF arc(56, 68, 144, 144);
    QColor trackColor = themeColor(Palette::Base);
    trackColor.setAlpha(90);
    QPen track(trackColor, 18, Qt::SolidLine, Qt::RoundCap);
    p.setPen(track);
    p.setBrush(Qt::NoBrush);
    p.drawArc(arc, -19 * 16, 218 * 16);
    QPen value(themeColor(Palette::BrandMint), 18, Qt::SolidLine, Qt::RoundCap);
    p.setPen(value);
    p.drawArc(arc, 51 * 16, 148 * 16);

    p.setPen(QPen(Qt::white, 12, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(128, 140), QPointF(168, 96));
    p.setPen(Qt::NoPen);
    p.setBrush(Qt::white);
    p.drawEllipse(QPointF(128, 140), 14, 14);
    QColor bar = themeColor(Palette::Base);
    bar.setAlpha(217);
    p.setBrush(bar);
    p.drawRoundedRect(QRectF(84, 186, 88, 14), 7, 7);
}

void paintGlyph(QPainter &p, PageId id, const QColor &color)
{
    QPen pen(color, 7, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    switch (id) {
    case PageId::Dashboard:
        p.drawLine(QPointF(14, 86), QPointF(86, 86));
        p.drawLine(QPointF(28, 72), QPointF(28, 52));
        p.drawLine(QPointF(50, 72), QPointF(50, 24));
        p.drawLine(QPointF(72, 72), QPointF(72, 40));
        break;
    case PageId::Rollout:
        p.drawLine(QPointF(14, 32), QPointF(86, 32));
        p.drawLine(QPointF(14, 68), QPointF(86, 68));
        p.setBrush(Qt::white);
        p.drawEllipse(QPointF(62, 32), 10, 10);
        p.drawEllipse(QPointF(34, 68), 10, 10);
        break;
    case PageId::AlertsDrift: {
        QPainterPath tri;
        tri.moveTo(50, 12);
        tri.lineTo(90, 84);
        tri.lineTo(10, 84);
        tri.closeSubpath();
        p.drawPath(tri);
        p.drawLine(QPointF(50, 38), QPointF(50, 58));
        p.drawPoint(QPointF(50, 72));
        break;
    }
    case PageId::Models: {
        QPainterPath cube;
        cube.moveTo(50, 10);
        cube.lineTo(86, 30);
        cube.lineTo(86, 70);
        cube.lineTo(50, 90);
        cube.lineTo(14, 70);
        cube.lineTo(14, 30);
        cube.closeSubpath();
        p.drawPath(cube);
        p.drawLine(QPointF(14, 30), QPointF(50, 50));
        p.drawLine(QPointF(86, 30), QPointF(50, 50));
        p.drawLine(QPointF(50, 50), QPointF(50, 90));
        break;
    }
    case PageId::Retrain: {
        const QRectF r(16, 16, 68, 68);
        p.drawArc(r, 100 * 16, 290 * 16);
        // Arrow head at the arc's start (top, pointing left-down).
        QPainterPath head;
        head.moveTo(58, 6);
        head.lineTo(44, 17);
        head.lineTo(58, 28);
        p.drawPath(head);
        break;
    }
    case PageId::Deployments: // two stacked servers
        p.drawRoundedRect(QRectF(12, 14, 76, 30), 7, 7);
        p.drawRoundedRect(QRectF(12, 56, 76, 30), 7, 7);
        p.drawPoint(QPointF(28, 29));
        p.drawPoint(QPointF(28, 71));
        p.drawLine(QPointF(50, 29), QPointF(72, 29));
        p.drawLine(QPointF(50, 71), QPointF(72, 71));
        break;
    case PageId::Audit:
        p.drawRoundedRect(QRectF(20, 10, 60, 80), 8, 8);
        p.drawLine(QPointF(34, 32), QPointF(66, 32));
        p.drawLine(QPointF(34, 50), QPointF(66, 50));
        p.drawLine(QPointF(34, 68), QPointF(54, 68));
        break;
    }
}

} // namespace

QPixmap appLogo(int size)
{
    QPixmap pm = canvas(size, screenDpr());
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(size / 100.0, size / 100.0);
    paintLogo(p);
    return pm;
}

QIcon appIcon()
{
    QIcon icon;
    for (int s : {16, 24, 32, 48, 64, 128, 256})
        icon.addPixmap(appLogo(s));
    return icon;
}

QPixmap pageGlyph(PageId id, int size, const QColor &color)
{
    QPixmap pm = canvas(size, screenDpr());
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(size / 100.0, size / 100.0);
    paintGlyph(p, id, color);
    return pm;
}

QIcon pageIcon(PageId id)
{
    QIcon icon;
    icon.addPixmap(pageGlyph(id, 20, themeColor(Palette::SidebarText)), QIcon::Normal);
    icon.addPixmap(pageGlyph(id, 20, themeColor(Palette::Base)), QIcon::Selected);
    return icon;
}

} // namespace mldeck::ui
