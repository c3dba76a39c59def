#include "ui/widgets/InfoBar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace mldeck::ui {

InfoBar::InfoBar(QWidget *parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("infoBar"));
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("infoBarText"));
    m_text->setWordWrap(true);
    m_action = new QPushButton(this);
    m_action->setObjectName(QStringLiteral("infoBarAction"));
    auto *close = new QToolButton(this);
    close->setObjectName(QStringLiteral("infoBarClose"));
    close->setText(QStringLiteral("✕"));
    close->setToolTip(tr("Dismiss"));
    close->setAutoRaise(true);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(14, 8, 8, 8);
    layout->setSpacing(10);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_action);
    layout->addWidget(close);

    connect(m_action, &QPushButton::clicked, this, &InfoBar::actionTriggered);
    connect(close, &QToolButton::clicked, this, &InfoBar::hide);
    hide();
}

void InfoBar::showMessage(const QString &text, Kind kind, const QString &actionText)
{
    m_text->setText(text);
    m_action->setText(actionText);
    m_action->setVisible(!actionText.isEmpty());
    setProperty("kind", kind == Kind::Warning ? QStringLiteral("warning") : QStringLiteral("info"));
    // Re-polish so the stylesheet's [kind=...] selector follows the property.
    style()->unpolish(this);
    style()->polish(this);
    show();
}

QString InfoBar::text() const
{
    return m_text->text();
}

} // namespace mldeck::ui
