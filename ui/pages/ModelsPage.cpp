#include "ui/pages/ModelsPage.h"

#include "ui/Pages.h"
#include "ui/pages/models/CompareView.h"
#include "ui/pages/models/RegistryView.h"
#include "ui/widgets/PageFrame.h"

#include <QTabWidget>

namespace mldeck::ui {

ModelsPage::ModelsPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    auto *frame = PageFrame::install(this, PageId::Models,
                                     tr("Register model versions, promote or restore a champion, and compare models "
                                        "offline on the same rows."),
                                     PageFrame::Selector::Deployment);
    m_tabs = new QTabWidget(frame);
    m_tabs->setObjectName(QStringLiteral("modelsTabs"));
    m_registry = new RegistryView(session, *frame, m_tabs);
    m_compare = new CompareView(session, m_tabs);
    m_tabs->addTab(m_registry, tr("Registry"));
    m_tabs->addTab(m_compare, tr("Compare"));
    frame->setBody(m_tabs);
}

void ModelsPage::showVersion(const QString &deployment, const QString &version)
{
    m_tabs->setCurrentWidget(m_registry);
    m_registry->selectVersion(deployment, version);
}

} // namespace mldeck::ui
