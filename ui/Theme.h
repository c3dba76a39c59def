#pragma once

class QApplication;

namespace mldeck::ui {

// The house look: Fusion with a light palette, one readable font size and a style sheet for the
// shell (dark sidebar, page headers, empty states, info bar). Called once by main.
void applyTheme(QApplication &app);

} // namespace mldeck::ui
