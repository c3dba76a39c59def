#include "ui/widgets/PageFrame.h"

#include "core/domain/Deployment.h"

#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace mldeck::ui {

PageFrame *PageFrame::install(QWidget *page, PageId id, const QString &purpose, Selector selector)
{
    page->setObjectName(QStringLiteral("page_%1").arg(pageKey(id)));
    auto *frame = new PageFrame(id, purpose, selector, page);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(frame);
    return frame;
}

PageFrame::PageFrame(PageId page, const QString &purpose, Selector selector, QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("pageFrame"));
    m_title = new QLabel(pageTitle(page), this);
    m_title->setObjectName(QStringLiteral("pageTitle"));
    auto *purposeLabel = new QLabel(purpose, this);
    purposeLabel->setObjectName(QStringLiteral("pagePurpose"));
    purposeLabel->setWordWrap(true);
    auto *rule = new QFrame(this);
    rule->setObjectName(QStringLiteral("pageRule"));
    rule->setFrameShape(QFrame::HLine);
    rule->setFixedHeight(1);

    m_layout = new QVBoxLayout(this);
    m_layout->setContentsMargins(28, 20, 28, 12);
    m_layout->setSpacing(6);
    m_header = new QHBoxLayout;
    m_header->setSpacing(8);
    m_header->addWidget(m_title);
    m_role = new QLabel(this);
    m_role->setObjectName(QStringLiteral("pageRole"));
    m_role->hide();
    m_header->addWidget(m_role, 0, Qt::AlignBottom);
    m_header->addStretch(1);
    m_layout->addLayout(m_header);
    m_layout->addWidget(purposeLabel);

    m_bar = new QHBoxLayout;
    m_bar->setSpacing(8);
    if (selector == Selector::Deployment) {
        auto *label = new QLabel(tr("Deployment:"), this);
        label->setObjectName(QStringLiteral("sectionTitle"));
        m_deployment = new QComboBox(this);
        m_deployment->setObjectName(QStringLiteral("deploymentSelector"));
        m_deployment->setAccessibleName(tr("Deployment"));
        m_deployment->setMinimumWidth(180);
        m_refresh = new QPushButton(tr("⟳ Refresh"), this);
        m_refresh->setObjectName(QStringLiteral("deploymentRefresh"));
        m_refresh->setToolTip(tr("Read the deployments and this page's figures again"));
        auto *manage = new QPushButton(tr("Manage…"), this);
        manage->setObjectName(QStringLiteral("deploymentManage"));
        manage->setToolTip(tr("Create, describe or archive deployments and edit their settings"));
        connect(manage, &QPushButton::clicked, this,
                [this] { Q_EMIT manageDeploymentsRequested(m_deployment->currentText()); });
        label->setBuddy(m_deployment);
        m_bar->addWidget(label);
        m_bar->addWidget(m_deployment);
        m_bar->addWidget(manage);
        m_bar->addWidget(m_refresh);
        m_barEnd = m_bar->count();
    }
    m_bar->addStretch(1);
    m_layout->addSpacing(4);
    m_layout->addLayout(m_bar);
    m_layout->addSpacing(4);
    m_layout->addWidget(rule);
}

void PageFrame::setRole(const QString &who, const QString &toolTip)
{
    m_role->setText(who);
    m_role->setToolTip(toolTip);
    m_role->setVisible(!who.isEmpty());
}

QString PageFrame::role() const
{
    return m_role->text();
}

QString PageFrame::title() const
{
    return m_title->text();
}

QString PageFrame::showDeployments(const QStringList &names, QString wanted)
{
    Q_ASSERT(m_deployment); // a frame made with Selector::Deployment
    if (wanted.isEmpty())
        wanted = m_deployment->currentText();
    if (!names.contains(wanted))
        wanted = names.contains(QLatin1String(kDefaultDeployment)) ? QString::fromLatin1(kDefaultDeployment)
                                                                   : names.value(0);
    const QSignalBlocker block(m_deployment);
    QStringList shown;
    for (int i = 0; i < m_deployment->count(); ++i)
        shown.append(m_deployment->itemText(i));
    if (shown != names) {
        m_deployment->clear();
        m_deployment->addItems(names);
    }
    m_deployment->setCurrentIndex(int(names.indexOf(wanted)));
    return wanted;
}

void PageFrame::addToBar(QWidget *widget, int stretch)
{
    m_bar->insertWidget(m_barEnd++, widget, stretch);
}

void PageFrame::addToHeader(QWidget *widget)
{
    m_header->addWidget(widget, 0, Qt::AlignVCenter);
}

void PageFrame::setBody(QWidget *body)
{
    m_layout->addWidget(body, 1);
}

} // namespace mldeck::ui
