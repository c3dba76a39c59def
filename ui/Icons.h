#pragma once

#include "ui/Pages.h"

#include <QColor>
#include <QIcon>
#include <QPixmap>

namespace mldeck::ui {

// Icons are painted in code: the app does not depend on QtSvg. resources/icons/mldeck.svg is
// the same app icon for the desktop file and packaging.
QIcon appIcon();
QPixmap appLogo(int size);

// A line-art glyph for a page, in the given colour.
QPixmap pageGlyph(PageId id, int size, const QColor &color);
QIcon pageIcon(PageId id);

} // namespace mldeck::ui
