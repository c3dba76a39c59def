#include "ui/widgets/EmptyStateView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace mldeck::ui {

EmptyStateView::EmptyStateView(const Content &content, QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("emptyStateView"));

    auto *glyph = new QLabel(this);
    glyph->setObjectName(QStringLiteral("emptyGlyph"));
    glyph->setPixmap(content.glyph);
    glyph->setAlignment(Qt::AlignCenter);
    glyph->setFixedSize(112, 112);

    m_heading = new QLabel(content.heading, this);
    m_heading->setObjectName(QStringLiteral("emptyHeading"));
    m_heading->setAlignment(Qt::AlignCenter);
    m_heading->setWordWrap(true);

    m_paragraph = new QLabel(content.paragraph, this);
    m_paragraph->setObjectName(QStringLiteral("emptyParagraph"));
    m_paragraph->setAlignment(Qt::AlignCenter);
    m_paragraph->setWordWrap(true);
    m_paragraph->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *badge = new QLabel(content.badge, this);
    badge->setObjectName(QStringLiteral("emptyBadge"));
    badge->setAlignment(Qt::AlignCenter);
    badge->setVisible(!content.badge.isEmpty()); // a state that is not about the page being unbuilt has none

    // The centre column keeps a readable line length whatever the window width.
    auto *column = new QWidget(this);
    column->setMaximumWidth(600);
    auto *columnLayout = new QVBoxLayout(column);
    columnLayout->setContentsMargins(0, 0, 0, 0);
    columnLayout->setSpacing(14);
    columnLayout->addWidget(glyph, 0, Qt::AlignHCenter);
    columnLayout->addSpacing(6);
    columnLayout->addWidget(m_heading);
    columnLayout->addWidget(m_paragraph);
    columnLayout->addSpacing(4);
    columnLayout->addWidget(badge, 0, Qt::AlignHCenter);

    auto *centre = new QHBoxLayout;
    centre->addStretch(1);
    centre->addWidget(column, 4);
    centre->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addStretch(2);
    layout->addLayout(centre);
    layout->addStretch(3);
}

QString EmptyStateView::heading() const
{
    return m_heading->text();
}
QString EmptyStateView::paragraph() const
{
    return m_paragraph->text();
}

} // namespace mldeck::ui
