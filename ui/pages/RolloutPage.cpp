#include "ui/pages/RolloutPage.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"

#include <QVBoxLayout>

namespace mldeck::ui {

RolloutPage::RolloutPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Rollout)));
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState = new EmptyStateView(
        {pageGlyph(PageId::Rollout, 64, QColor(0x2f, 0x6f, 0xb3)), pageTitle(PageId::Rollout),
         tr("Move traffic to the model, or take it back."), tr("Rollout flags and guardrails"),
         tr("This page will show the flags of each deployment (ML on or off, traffic percentage, fallback on "
            "error) and let operators move the rollout step by step (10 → 25 → 50 → 100 %), watch the "
            "guardrails and press Rollback. It is not built yet: use mldeckctl flags in the meantime."),
         tr("Not built yet")},
        this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyState);
}

} // namespace mldeck::ui
