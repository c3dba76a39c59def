#pragma once

#include <QColor>
#include <QString>

#include <array>

class QApplication;

namespace mldeck::ui {

// The house look: Fusion with a light palette, one readable font size and a style sheet for the
// shell (dark sidebar, page headers, empty states, info bar). Called once by main.
void applyTheme(QApplication &app);

// Every colour of the GUI, its charts and the printed reports is one of these roles; nowhere else
// writes a colour value. The table is header-only so that the QtGui-only report library (mldeckctl)
// prints with the same colours as the screen.
enum class Palette
{
    // Text
    Ink,     // body text, titles
    InkSoft, // secondary values, status bar
    Muted,   // hints, captions, axis labels, audit markers
    Faint,   // disabled, archived, "no data"

    // Surfaces and lines
    Window,      // page background
    Base,        // fields, tiles, white text on dark fills
    Shade,       // alternate rows, quiet fills
    ShadeStrong, // table headers, progress tracks
    Rule,        // separators, frames, chart grid
    Border,      // control borders

    // Accent: selection, primary buttons, the current step
    Accent,
    AccentSoft,
    AccentBorder,
    AccentInk,
    AccentMuted, // a disabled primary button

    // Status
    Good,
    GoodSoft,
    GoodBorder,
    Warn,
    WarnInk,
    WarnSoft,
    WarnBorder,
    Bad,
    BadStrong, // the rollback button
    BadDark,
    BadSoft,
    BadBorder,
    // Chart series: the serving paths, then the target lines
    Ml,
    Heuristic,
    Fallback,
    AllPaths,
    Stretch, // stretch targets, and the fifth series colour

    // The dark sidebar
    Sidebar,
    SidebarHover,
    SidebarText,
    SidebarMuted,
    SidebarButton,
    SidebarButtonHover,
    SidebarButtonBorder,
    // The logo's second colour
    BrandMint,
};

namespace palette_detail {

struct Entry
{
    Palette role;
    const char *name; // how style sheets name it: "@{name}"
    unsigned rgb;
};

// The palette definition: the only colour values of the GUI.
inline constexpr std::array kEntries{
    Entry{Palette::Ink, "ink", 0x1b2430},
    Entry{Palette::InkSoft, "inkSoft", 0x344054},
    Entry{Palette::Muted, "muted", 0x5b6675},
    Entry{Palette::Faint, "faint", 0x9aa3ae},
    Entry{Palette::Window, "window", 0xf6f8fb},
    Entry{Palette::Base, "base", 0xffffff},
    Entry{Palette::Shade, "shade", 0xf1f4f8},
    Entry{Palette::ShadeStrong, "shadeStrong", 0xe4e9ef},
    Entry{Palette::Rule, "rule", 0xdfe4eb},
    Entry{Palette::Border, "border", 0xd0d5dd},
    Entry{Palette::Accent, "accent", 0x2f6fb3},
    Entry{Palette::AccentSoft, "accentSoft", 0xeaf1fa},
    Entry{Palette::AccentBorder, "accentBorder", 0xc4d7ee},
    Entry{Palette::AccentInk, "accentInk", 0x1d3d63},
    Entry{Palette::AccentMuted, "accentMuted", 0xc8d3e0},
    Entry{Palette::Good, "good", 0x1e7b34},
    Entry{Palette::GoodSoft, "goodSoft", 0xecfdf3},
    Entry{Palette::GoodBorder, "goodBorder", 0xabefc6},
    Entry{Palette::Warn, "warn", 0xb26a00},
    Entry{Palette::WarnInk, "warnInk", 0x7a4b00},
    Entry{Palette::WarnSoft, "warnSoft", 0xfff4e5},
    Entry{Palette::WarnBorder, "warnBorder", 0xf2c27b},
    Entry{Palette::Bad, "bad", 0xb42318},
    Entry{Palette::BadStrong, "badStrong", 0xd92d20},
    Entry{Palette::BadDark, "badDark", 0x912018},
    Entry{Palette::BadSoft, "badSoft", 0xfef3f2},
    Entry{Palette::BadBorder, "badBorder", 0xfda29b},
    Entry{Palette::Ml, "ml", 0x2f6fb3},
    Entry{Palette::Heuristic, "heuristic", 0xe67e22},
    Entry{Palette::Fallback, "fallback", 0x8e44ad},
    Entry{Palette::AllPaths, "allPaths", 0x34495e},
    Entry{Palette::Stretch, "stretch", 0x27ae60},
    Entry{Palette::Sidebar, "sidebar", 0x16202c},
    Entry{Palette::SidebarHover, "sidebarHover", 0x213043},
    Entry{Palette::SidebarText, "sidebarText", 0xc5cfdb},
    Entry{Palette::SidebarMuted, "sidebarMuted", 0x8e9bab},
    Entry{Palette::SidebarButton, "sidebarButton", 0x24344a},
    Entry{Palette::SidebarButtonHover, "sidebarButtonHover", 0x2c4160},
    Entry{Palette::SidebarButtonBorder, "sidebarButtonBorder", 0x34496a},
    Entry{Palette::BrandMint, "brandMint", 0x5ee0b5},
};

} // namespace palette_detail

inline QColor themeColor(Palette role)
{
    for (const auto &e : palette_detail::kEntries)
        if (e.role == role)
            return QColor::fromRgb(e.rgb);
    return {};
}

// "#rrggbb", for rich text.
inline QString themeCss(Palette role)
{
    return themeColor(role).name();
}

// A style sheet with its "@{role}" names (see kEntries) replaced by the palette's colours.
inline QString themeStyle(QString css)
{
    for (const auto &e : palette_detail::kEntries)
        css.replace(QStringLiteral("@{%1}").arg(QLatin1String(e.name)), QColor::fromRgb(e.rgb).name());
    return css;
}

// The colour of a serving path ("ml", "heuristic", "fallback"; anything else: all paths).
inline QColor pathColor(const QString &path)
{
    if (path == QLatin1String("ml"))
        return themeColor(Palette::Ml);
    if (path == QLatin1String("heuristic"))
        return themeColor(Palette::Heuristic);
    if (path == QLatin1String("fallback"))
        return themeColor(Palette::Fallback);
    return themeColor(Palette::AllPaths);
}

// The n-th colour of a chart with several series of no fixed meaning (models, quantiles).
inline QColor seriesColor(int index)
{
    constexpr std::array kSeries{Palette::Ml, Palette::Heuristic, Palette::Fallback, Palette::Stretch,
                                 Palette::AllPaths};
    return themeColor(kSeries[size_t(index < 0 ? 0 : index) % kSeries.size()]);
}

} // namespace mldeck::ui
