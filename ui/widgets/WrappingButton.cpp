#include "ui/widgets/WrappingButton.h"

#include <QFontMetrics>
#include <QRegularExpression>
#include <QStyleOptionButton>
#include <QStylePainter>

#include <algorithm>

namespace mldeck::ui {

namespace {

constexpr int kFlags = Qt::AlignCenter | Qt::TextWordWrap;

} // namespace

WrappingButton::WrappingButton(const QString &text, QWidget *parent) : QPushButton(text, parent)
{
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

QSize WrappingButton::withPadding(QSize text) const
{
    QStyleOptionButton option;
    initStyleOption(&option);
    return style()->sizeFromContents(QStyle::CT_PushButton, &option, text, this);
}

QSize WrappingButton::textBlock(int textWidth) const
{
    return fontMetrics().boundingRect(QRect(0, 0, std::max(1, textWidth), 100000), kFlags, text()).size();
}

QSize WrappingButton::sizeHint() const
{
    const QSize oneLine = fontMetrics().size(Qt::TextSingleLine, text());
    return withPadding(oneLine).expandedTo(minimumSize());
}

QSize WrappingButton::minimumSizeHint() const
{
    // As narrow as the longest word; heightForWidth gives the lines their height.
    int widest = 0;
    for (const QString &word : text().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts))
        widest = std::max(widest, fontMetrics().horizontalAdvance(word));
    return withPadding(QSize(widest, fontMetrics().height())).expandedTo(minimumSize());
}

int WrappingButton::heightForWidth(int width) const
{
    const int padding = withPadding(QSize(0, 0)).width();
    return std::max(minimumHeight(), withPadding(textBlock(width - padding)).height());
}

void WrappingButton::paintEvent(QPaintEvent *)
{
    QStylePainter painter(this);
    QStyleOptionButton option;
    initStyleOption(&option);
    option.text.clear(); // the frame and background from the style; the text, wrapped, below
    painter.drawControl(QStyle::CE_PushButton, option);
    const QRect contents = style()->subElementRect(QStyle::SE_PushButtonContents, &option, this);
    painter.drawItemText(contents, kFlags, palette(), isEnabled(), text(), QPalette::ButtonText);
}

} // namespace mldeck::ui
