#include "ui/widgets/DependencyIndicator.h"

#include "core/config/ConnectionProfile.h"
#include "core/services/DependencyService.h"

#include <QLocale>
#include <QSet>
#include <QStyle>

namespace mldeck::ui {

DependencyIndicator::DependencyIndicator(QWidget *parent) : QLabel(parent), m_service(new DependencyService(this))
{
    setObjectName(QStringLiteral("dependencyStatus"));
    setTextFormat(Qt::PlainText);
    setVisible(false);
    connect(m_service, &DependencyService::dependenciesRead, this, &DependencyIndicator::onRead);
}

void DependencyIndicator::connectTo(const ConnectionProfile &profile)
{
    m_service->setEndpoint(profile.redis);
}

QString DependencyIndicator::entryText(const DependencyState &s, const QDateTime &now)
{
    if (s.isUnknown())
        return tr("%1: unknown").arg(s.name);
    if (s.fallbackActive)
        return tr("%1: fallback %2 min").arg(s.name).arg(s.fallbackMinutes(now));
    if (s.state == DependencyHealth::Down)
        return tr("%1: down").arg(s.name);
    if (s.state == DependencyHealth::Degraded)
        return tr("%1: degraded").arg(s.name);
    return tr("%1: up").arg(s.name);
}

QString DependencyIndicator::tooltipLine(const DependencyState &s, const QDateTime &now)
{
    QStringList parts;
    parts << QStringLiteral("<b>%1 / %2</b>: %3")
                 .arg(s.deployment.toHtmlEscaped(), s.name.toHtmlEscaped(), entryText(s, now).toHtmlEscaped());
    if (s.fallbackActive)
        parts << tr("fallback since %1").arg(QLocale().toString(s.fallbackSince.toLocalTime(), QLocale::ShortFormat));
    if (s.isUnknown() && !s.unknownReason.isEmpty())
        parts << s.unknownReason.toHtmlEscaped();
    if (!s.lastError.isEmpty())
        parts << tr("last error: %1").arg(s.lastError.toHtmlEscaped());
    if (s.updatedAt.isValid() && !s.isUnknown())
        parts << tr("reported %1 s ago").arg(std::max<qint64>(0, s.updatedAt.secsTo(now)));
    return parts.join(QStringLiteral(" — "));
}

QString DependencyIndicator::level(const QList<DependencyState> &dependencies)
{
    bool unknown = false;
    for (const DependencyState &s : dependencies) {
        if (s.isUnknown())
            unknown = true;
        else if (s.fallbackActive || s.state != DependencyHealth::Up)
            return QStringLiteral("warning");
    }
    return unknown ? QStringLiteral("unknown") : QString();
}

void DependencyIndicator::display(const QList<DependencyState> &dependencies, const QDateTime &now)
{
    QList<DependencyState> notUp;
    QSet<QString> deployments;
    for (const DependencyState &s : dependencies) {
        if (s.isUnknown() || s.fallbackActive || s.state != DependencyHealth::Up) {
            notUp << s;
            deployments.insert(s.deployment);
        }
    }
    // The deployment is named only when the entries come from several.
    QStringList entries, tips;
    for (const DependencyState &s : std::as_const(notUp)) {
        const QString text = entryText(s, now);
        entries << (deployments.size() > 1 ? s.deployment + QLatin1Char('/') + text : text);
        tips << tooltipLine(s, now);
    }
    setText(entries.join(QStringLiteral("  ·  ")));
    setToolTip(tips.isEmpty() ? QString()
                              : tr("<b>Backend dependencies</b><br>%1").arg(tips.join(QStringLiteral("<br>"))));
    const QString newLevel = level(notUp);
    if (property("level").toString() != newLevel) {
        setProperty("level", newLevel);
        // A dynamic property selects a style-sheet rule only after a re-polish.
        style()->unpolish(this);
        style()->polish(this);
    }
    setVisible(!notUp.isEmpty());
}

void DependencyIndicator::onRead(const Result<QList<DependencyState>> &result)
{
    // Redis unreadable: the Redis indicator says so; old entries would pretend to be current.
    display(result ? *result : QList<DependencyState>{}, QDateTime::currentDateTimeUtc());
    Q_EMIT shown();
}

} // namespace mldeck::ui
