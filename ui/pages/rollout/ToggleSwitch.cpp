#include "ui/pages/rollout/ToggleSwitch.h"

#include "ui/Theme.h"

#include <QPainter>
#include <QSignalBlocker>

namespace mldeck::ui {

ToggleSwitch::ToggleSwitch(QWidget *parent) : QAbstractButton(parent)
{
    setCheckable(true);
    setCursor(Qt::PointingHandCursor);
    setFocusPolicy(Qt::StrongFocus);
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
}

void ToggleSwitch::setInvalid(bool invalid)
{
    if (m_invalid == invalid)
        return;
    m_invalid = invalid;
    update();
}

void ToggleSwitch::setCheckedSilently(bool checked)
{
    const QSignalBlocker block(this);
    setChecked(checked);
    update();
}

QSize ToggleSwitch::sizeHint() const
{
    return {50, 26};
}

void ToggleSwitch::nextCheckState()
{
    // From "invalid" a click means "set it on": the user repairs the flag with a real value.
    if (m_invalid)
        setChecked(true);
    else
        QAbstractButton::nextCheckState();
}

void ToggleSwitch::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF track = QRectF(rect()).adjusted(1, 1, -1, -1);
    const qreal radius = track.height() / 2;
    const qreal knob = track.height() - 6;

    QColor fill = isChecked() ? themeColor(Palette::Good) : themeColor(Palette::Faint);
    if (m_invalid)
        fill = themeColor(Palette::Bad);
    if (!isEnabled())
        fill = fill.lighter(150);
    p.setPen(hasFocus() ? QPen(themeColor(Palette::Accent), 2) : Qt::NoPen);
    p.setBrush(fill);
    p.drawRoundedRect(track, radius, radius);

    p.setPen(Qt::NoPen);
    p.setBrush(Qt::white);
    if (m_invalid) {
        // Neither side: a centred knob with a question mark.
        const QRectF k(track.center().x() - knob / 2, track.top() + 3, knob, knob);
        p.drawEllipse(k);
        p.setPen(fill);
        QFont f = font();
        f.setBold(true);
        p.setFont(f);
        p.drawText(k, Qt::AlignCenter, QStringLiteral("?"));
        return;
    }
    const qreal x = isChecked() ? track.right() - 3 - knob : track.left() + 3;
    p.drawEllipse(QRectF(x, track.top() + 3, knob, knob));
}

} // namespace mldeck::ui
