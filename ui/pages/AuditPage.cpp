#include "ui/pages/AuditPage.h"

#include "ui/Theme.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"
#include "ui/widgets/PageFrame.h"

namespace mldeck::ui {

AuditPage::AuditPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    auto *frame = PageFrame::install(this, PageId::Audit, tr("Who changed what, and when."), PageFrame::Selector::None);
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState = new EmptyStateView({pageGlyph(PageId::Audit, 64, themeColor(Palette::Accent)), tr("Audit log"),
                                       tr("This page will show the append-only audit log of every change — flags, "
                                          "promotions, rollbacks, acknowledgements — with who made it, when, and the "
                                          "values before and after. It is not built yet."),
                                       tr("Not built yet")},
                                      frame);
    frame->setBody(m_emptyState);
}

} // namespace mldeck::ui
