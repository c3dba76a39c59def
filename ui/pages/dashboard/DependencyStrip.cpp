#include "ui/pages/dashboard/DependencyStrip.h"

#include "core/config/ConnectionProfile.h"
#include "core/services/DependencyService.h"
#include "ui/widgets/DependencyIndicator.h"

#include <QStyle>

namespace mldeck::ui {

DependencyStrip::DependencyStrip(QWidget *parent) : QLabel(parent), m_service(new DependencyService(this))
{
    // The same look as the status bar entry (Theme.cpp styles both names).
    setObjectName(QStringLiteral("dashboardDependencies"));
    setTextFormat(Qt::PlainText);
    setWordWrap(true);
    setVisible(false);
    connect(m_service, &DependencyService::dependenciesRead, this, &DependencyStrip::onRead);
}

void DependencyStrip::connectTo(const ConnectionProfile &profile)
{
    m_service->setDeployments(m_deployment.isEmpty() ? QStringList{} : QStringList{m_deployment});
    m_service->setEndpoint(profile.redis);
}

void DependencyStrip::setDeployment(const QString &deployment)
{
    if (deployment == m_deployment)
        return;
    m_deployment = deployment;
    setVisible(false); // the previous deployment's line must not show under this one
    if (!deployment.isEmpty())
        m_service->setDeployments({deployment});
}

void DependencyStrip::onRead(const Result<QList<DependencyState>> &result)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<DependencyState> mine;
    if (result) {
        for (const DependencyState &s : *result)
            if (s.deployment == m_deployment)
                mine << s;
    }
    QStringList entries, tips;
    for (const DependencyState &s : std::as_const(mine)) {
        entries << DependencyIndicator::entryText(s, now);
        tips << DependencyIndicator::tooltipLine(s, now);
    }
    setText(tr("Backend dependencies: %1").arg(entries.join(QStringLiteral("  ·  "))));
    setToolTip(tips.join(QStringLiteral("<br>")));
    const QString level = DependencyIndicator::level(mine);
    if (property("level").toString() != level) {
        setProperty("level", level);
        style()->unpolish(this);
        style()->polish(this);
    }
    setVisible(!mine.isEmpty());
    Q_EMIT shown();
}

} // namespace mldeck::ui
