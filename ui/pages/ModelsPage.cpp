#include "ui/pages/ModelsPage.h"

#include "ui/Pages.h"
#include "ui/pages/models/CompareView.h"
#include "ui/pages/models/RegistryView.h"

#include <QTabWidget>
#include <QVBoxLayout>

namespace mldeck::ui {

ModelsPage::ModelsPage(ConnectionSession &session, QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("page_%1").arg(pageKey(PageId::Models)));
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("modelsTabs"));
    m_registry = new RegistryView(session, m_tabs);
    m_compare = new CompareView(session, m_tabs);
    m_tabs->addTab(m_registry, tr("Registry"));
    m_tabs->addTab(m_compare, tr("Compare"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);
}

} // namespace mldeck::ui
