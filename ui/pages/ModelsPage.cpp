#include "ui/pages/ModelsPage.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"

#include <QVBoxLayout>

namespace mldeck::ui {

ModelsPage::ModelsPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Models)));
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState = new EmptyStateView(
        {pageGlyph(PageId::Models, 64, QColor(0x2f, 0x6f, 0xb3)), pageTitle(PageId::Models),
         tr("Every model version, verified and comparable."), tr("Model registry"),
         tr("This page will list the registered TorchScript models with their SHA-256, feature schema and "
            "offline metrics, compare two versions side by side and promote the better one. It is not built "
            "yet."),
         tr("Not built yet")},
        this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyState);
}

} // namespace mldeck::ui
