#include "ui/pages/AlertsDriftPage.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"

#include <QVBoxLayout>

namespace mldeck::ui {

AlertsDriftPage::AlertsDriftPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::AlertsDrift)));
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState = new EmptyStateView(
        {pageGlyph(PageId::AlertsDrift, 64, QColor(0x2f, 0x6f, 0xb3)), pageTitle(PageId::AlertsDrift),
         tr("Know when live data stops looking like the training data."), tr("Feature drift and alerts"),
         tr("This page will compare the live window with the reference window feature by feature "
            "(statistical test, p-value, effect size and PSI) and list the alerts raised by the guard, so "
            "that they can be acknowledged. It is not built yet."),
         tr("Not built yet")},
        this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyState);
}

} // namespace mldeck::ui
