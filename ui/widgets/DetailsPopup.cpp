#include "ui/widgets/DetailsPopup.h"

#include "ui/Theme.h"

#include <QGridLayout>
#include <QLabel>
#include <QScreen>
#include <QStringList>
#include <QVBoxLayout>

#include <algorithm>

namespace mldeck::ui {

DetailsPopup::DetailsPopup(QWidget *anchor) : QFrame(anchor, Qt::Popup), m_anchor(anchor)
{
    setObjectName(QStringLiteral("statusDetails"));
    setStyleSheet(QStringLiteral("QFrame#statusDetails { background: %1; border: 1px solid %2; border-radius: 4px; }")
                      .arg(themeCss(Palette::Base), themeCss(Palette::Border)));
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("statusDetailsTitle"));
    m_title->setStyleSheet(QStringLiteral("font-weight: 600; color: %1;").arg(themeCss(Palette::Ink)));
    m_rows = new QGridLayout;
    m_rows->setHorizontalSpacing(14);
    m_rows->setVerticalSpacing(4);
    m_footer = new QLabel(this);
    m_footer->setWordWrap(true);
    m_footer->setStyleSheet(QStringLiteral("color: %1;").arg(themeCss(Palette::Muted)));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 10);
    layout->setSpacing(8);
    layout->addWidget(m_title);
    layout->addLayout(m_rows);
    layout->addWidget(m_footer);
}

void DetailsPopup::setContent(const QString &title, const QList<Row> &rows, const QString &footer)
{
    m_title->setText(title);
    m_footer->setText(footer);
    m_footer->setVisible(!footer.isEmpty());
    while (QLayoutItem *item = m_rows->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_shown = rows;
    for (int i = 0; i < rows.size(); ++i) {
        auto *label = new QLabel(rows.at(i).label, this);
        label->setStyleSheet(QStringLiteral("color: %1;").arg(themeCss(Palette::Muted)));
        auto *value = new QLabel(rows.at(i).value, this);
        value->setTextFormat(Qt::PlainText);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse); // an address to copy into a terminal
        value->setStyleSheet(
            QStringLiteral("color: %1;").arg(themeCss(rows.at(i).warning ? Palette::WarnInk : Palette::Ink)));
        m_rows->addWidget(label, i, 0, Qt::AlignLeft | Qt::AlignTop);
        m_rows->addWidget(value, i, 1, Qt::AlignLeft | Qt::AlignTop);
    }
    // A long address or problem wraps in the footer's width instead of making a panel as wide as the screen.
    m_footer->setMaximumWidth(std::max(320, m_rows->sizeHint().width()));
    if (isVisible()) {
        adjustSize();
        popUp();
    }
}

void DetailsPopup::popUp()
{
    adjustSize();
    const QPoint anchorTop = m_anchor->mapToGlobal(QPoint(0, 0));
    QRect r(QPoint(anchorTop.x(), anchorTop.y() - height() - 4), size());
    if (const QScreen *screen = m_anchor->screen()) {
        const QRect area = screen->availableGeometry();
        r.moveRight(std::min(r.right(), area.right()));
        r.moveLeft(std::max(r.left(), area.left()));
        if (r.top() < area.top()) // no room above: below the anchor
            r.moveTop(anchorTop.y() + m_anchor->height() + 4);
    }
    move(r.topLeft());
    show();
}

QString DetailsPopup::text() const
{
    QStringList lines{m_title->text()};
    for (const Row &row : m_shown)
        lines << row.label + QStringLiteral(": ") + row.value;
    if (!m_footer->text().isEmpty())
        lines << m_footer->text();
    return lines.join(QLatin1Char('\n'));
}

} // namespace mldeck::ui
