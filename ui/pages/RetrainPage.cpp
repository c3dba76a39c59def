#include "ui/pages/RetrainPage.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"

#include <QVBoxLayout>

namespace mldeck::ui {

RetrainPage::RetrainPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Retrain)));
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState = new EmptyStateView(
        {pageGlyph(PageId::Retrain, 64, QColor(0x2f, 0x6f, 0xb3)), pageTitle(PageId::Retrain),
         tr("Train a new candidate on recent data."), tr("Retraining runs"),
         tr("This page will hold a wizard that launches a retrain on a chosen time window, follows its "
            "progress and compares the candidate with the model in production before anyone promotes it. It "
            "is not built yet."),
         tr("Not built yet")},
        this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyState);
}

} // namespace mldeck::ui
