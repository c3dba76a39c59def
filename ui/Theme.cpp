#include "ui/Theme.h"

#include <QApplication>
#include <QFont>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace mldeck::ui {

namespace {

// Colours in one place so the pages share them.
constexpr auto kStyleSheet = R"css(
#content, QStackedWidget#pages { background: #f6f8fb; }
#sidebar { background: #16202c; }
#brand { color: #ffffff; font-size: 17pt; font-weight: 600; letter-spacing: 0.5px; }
QListWidget#navigation { background: transparent; color: #c5cfdb; border: none; outline: none;
    font-size: 11pt; padding: 4px 10px; }
QListWidget#navigation::item { padding-left: 10px; border-radius: 8px; margin: 2px 0px; }
QListWidget#navigation::item:hover { background: #213043; color: #ffffff; }
QListWidget#navigation::item:selected { background: #2f6fb3; color: #ffffff; }
#sidebarProfile { color: #8e9bab; font-size: 9pt; }
QPushButton#sidebarConnect { background: #24344a; color: #ffffff; border: 1px solid #34496a;
    border-radius: 8px; padding: 7px 12px; }
QPushButton#sidebarConnect:hover { background: #2c4160; }
#pageTitle { color: #17212e; font-size: 20pt; font-weight: 600; }
#pagePurpose { color: #5b6675; font-size: 11pt; }
QFrame#pageRule { background: #dfe4eb; border: none; }
#emptyGlyph { background: #e6eef8; border-radius: 56px; }
#emptyHeading { color: #1b2430; font-size: 15pt; font-weight: 600; }
#emptyParagraph { color: #4a5563; font-size: 11pt; line-height: 140%; }
#emptyBadge { background: #eceff4; color: #475467; border: 1px solid #d5dbe3; border-radius: 11px;
    padding: 3px 14px; font-size: 9pt; font-weight: 600; }
QFrame#infoBar[kind="info"] { background: #eef4fb; border-bottom: 1px solid #c4d7ee; color: #1d3d63; }
QFrame#infoBar[kind="warning"] { background: #fff4e5; border-bottom: 1px solid #f2c27b; color: #7a4b00; }
QStatusBar { background: #eef1f5; border-top: 1px solid #d9dee5; color: #344054; }
QStatusBar::item { border: none; }
QLabel#dependencyStatus[level="warning"], QLabel#dashboardDependencies[level="warning"] { background: #fff4e5; border: 1px solid #f2c27b; border-radius: 4px;
    color: #7a4b00; padding: 0px 6px; }
QLabel#dependencyStatus[level="unknown"], QLabel#dashboardDependencies[level="unknown"] { color: #5b6675; padding: 0px 6px; }
#sectionTitle { font-weight: 600; }
#hint { color: #5b6675; }
QGroupBox { font-weight: 600; border: 1px solid #d9dee5; border-radius: 8px; margin-top: 12px; padding: 12px 10px 8px 10px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
)css";

} // namespace

void applyTheme(QApplication &app)
{
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette palette = app.style()->standardPalette();
    palette.setColor(QPalette::Window, QColor(0xf6, 0xf8, 0xfb));
    palette.setColor(QPalette::Base, Qt::white);
    palette.setColor(QPalette::AlternateBase, QColor(0xf1, 0xf4, 0xf8));
    palette.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xb3));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::WindowText, QColor(0x1b, 0x24, 0x30));
    palette.setColor(QPalette::Text, QColor(0x1b, 0x24, 0x30));
    palette.setColor(QPalette::ButtonText, QColor(0x1b, 0x24, 0x30));
    // setColor(role, ...) sets every group: give disabled widgets their greyed text back.
    const QColor disabledText(0x9a, 0xa3, 0xae);
    for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, disabledText);
    app.setPalette(palette);

    QFont font = app.font();
    if (font.pointSizeF() < 10)
        font.setPointSizeF(10);
    app.setFont(font);
    app.setStyleSheet(QString::fromUtf8(kStyleSheet));
}

} // namespace mldeck::ui
