#include "ui/Theme.h"

#include <QApplication>
#include <QFont>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace mldeck::ui {

namespace {

// The shell's style sheet; "@{role}" names a colour of the palette (Theme.h).
constexpr auto kStyleSheet = R"css(
#content, QStackedWidget#pages { background: @{window}; }
#sidebar { background: @{sidebar}; }
#brand { color: @{base}; font-size: 17pt; font-weight: 600; letter-spacing: 0.5px; }
QListWidget#navigation { background: transparent; color: @{sidebarText}; border: none; outline: none;
    font-size: 11pt; padding: 4px 10px; }
QListWidget#navigation::item { padding-left: 10px; border-radius: 8px; margin: 2px 0px; }
QListWidget#navigation::item:hover { background: @{sidebarHover}; color: @{base}; }
QListWidget#navigation::item:selected { background: @{accent}; color: @{base}; }
#sidebarProfile { color: @{sidebarMuted}; font-size: 9pt; }
QPushButton#sidebarConnect { background: @{sidebarButton}; color: @{base}; border: 1px solid @{sidebarButtonBorder};
    border-radius: 8px; padding: 7px 12px; }
QPushButton#sidebarConnect:hover { background: @{sidebarButtonHover}; }
#pageTitle { color: @{ink}; font-size: 20pt; font-weight: 600; }
#pagePurpose { color: @{muted}; font-size: 11pt; }
#pageRole { color: @{muted}; font-size: 10pt; padding-left: 10px; padding-bottom: 3px; }
QFrame#pageRule { background: @{rule}; border: none; }
#emptyGlyph { background: @{accentSoft}; border-radius: 56px; }
#emptyHeading { color: @{ink}; font-size: 15pt; font-weight: 600; }
#emptyParagraph { color: @{muted}; font-size: 11pt; line-height: 140%; }
#emptyBadge { background: @{shade}; color: @{muted}; border: 1px solid @{border}; border-radius: 11px;
    padding: 3px 14px; font-size: 9pt; font-weight: 600; }
QFrame#infoBar[kind="info"] { background: @{accentSoft}; border-bottom: 1px solid @{accentBorder}; color: @{accentInk}; }
QFrame#infoBar[kind="warning"] { background: @{warnSoft}; border-bottom: 1px solid @{warnBorder}; color: @{warnInk}; }
QStatusBar { background: @{shade}; border-top: 1px solid @{rule}; color: @{inkSoft}; }
QStatusBar::item { border: none; }
QLabel#dependencyStatus[level="warning"], QLabel#dashboardDependencies[level="warning"], QLabel#redisAccessStatus { background: @{warnSoft}; border: 1px solid @{warnBorder}; border-radius: 4px;
    color: @{warnInk}; padding: 0px 6px; }
QLabel#dependencyStatus[level="unknown"], QLabel#dashboardDependencies[level="unknown"] { color: @{muted}; padding: 0px 6px; }
#sectionTitle { font-weight: 600; }
#hint { color: @{muted}; }
QGroupBox { font-weight: 600; border: 1px solid @{rule}; border-radius: 8px; margin-top: 12px; padding: 12px 10px 8px 10px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
)css";

} // namespace

void applyTheme(QApplication &app)
{
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette palette = app.style()->standardPalette();
    palette.setColor(QPalette::Window, themeColor(Palette::Window));
    palette.setColor(QPalette::Base, themeColor(Palette::Base));
    palette.setColor(QPalette::AlternateBase, themeColor(Palette::Shade));
    palette.setColor(QPalette::Highlight, themeColor(Palette::Accent));
    palette.setColor(QPalette::HighlightedText, themeColor(Palette::Base));
    palette.setColor(QPalette::WindowText, themeColor(Palette::Ink));
    palette.setColor(QPalette::Text, themeColor(Palette::Ink));
    palette.setColor(QPalette::ButtonText, themeColor(Palette::Ink));
    // setColor(role, ...) sets every group: give disabled widgets their greyed text back.
    const QColor disabledText = themeColor(Palette::Faint);
    for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, disabledText);
    app.setPalette(palette);

    QFont font = app.font();
    if (font.pointSizeF() < 10)
        font.setPointSizeF(10);
    app.setFont(font);
    app.setStyleSheet(themeStyle(QString::fromUtf8(kStyleSheet)));
}

} // namespace mldeck::ui
