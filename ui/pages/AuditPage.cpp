#include "ui/pages/AuditPage.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"

#include <QVBoxLayout>

namespace mldeck::ui {

AuditPage::AuditPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Audit)));
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState =
        new EmptyStateView({pageGlyph(PageId::Audit, 64, QColor(0x2f, 0x6f, 0xb3)), pageTitle(PageId::Audit),
                            tr("Who changed what, and when."), tr("Audit log"),
                            tr("This page will show the append-only audit log of every change — flags, "
                               "promotions, rollbacks, acknowledgements — with who made it, when, and the "
                               "values before and after. It is not built yet."),
                            tr("Not built yet")},
                           this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyState);
}

} // namespace mldeck::ui
