#include "ui/pages/DashboardPage.h"

#include "ui/Icons.h"
#include "ui/widgets/EmptyStateView.h"

#include <QVBoxLayout>

namespace mldeck::ui {

DashboardPage::DashboardPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    Q_UNUSED(session); // used once the page is built
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Dashboard)));
    // Not built yet: the page says so plainly and shows no figures.
    m_emptyState = new EmptyStateView(
        {pageGlyph(PageId::Dashboard, 64, QColor(0x2f, 0x6f, 0xb3)), pageTitle(PageId::Dashboard),
         tr("How the model is doing, at a glance."), tr("Key figures of the model in production"),
         tr("This page will show MAE, RMSE, R², latency p50/p95/p99, error rate and fallback share over "
            "time, the ML path against the heuristic, business KPIs and the targets of the deployment guide, "
            "with PDF and CSV export. It is not built yet, so no figures are shown here."),
         tr("Not built yet")},
        this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyState);
}

} // namespace mldeck::ui
