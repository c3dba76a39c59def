#include "ui/widgets/HealthIndicator.h"

#include "core/services/SentinelStatusService.h"
#include "ui/Theme.h"
#include "ui/widgets/StatusDot.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMouseEvent>

#include <climits>

namespace mldeck::ui {

HealthIndicator::HealthIndicator(const QString &serviceName, QWidget *parent) : QWidget(parent), m_service(serviceName)
{
    setObjectName(QStringLiteral("health_") + serviceName);
    m_dot = new StatusDot(this);
    m_label = new QLabel(this);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 0, 8, 0);
    layout->setSpacing(6);
    layout->addWidget(m_dot);
    layout->addWidget(m_label);

    m_countdown.setInterval(1000);
    connect(&m_countdown, &QTimer::timeout, this, &HealthIndicator::refresh);
    refresh();
}

void HealthIndicator::setHealth(const Health &health)
{
    m_health = health;
    if (health.state == Health::State::Down && health.nextRetrySeconds > 0) {
        m_retryAt = QDateTime::currentDateTimeUtc().addSecs(health.nextRetrySeconds);
        m_countdown.start();
    } else {
        m_retryAt = {};
        m_countdown.stop();
    }
    refresh();
}

void HealthIndicator::setEndpointDisplay(const QString &endpoint)
{
    m_endpoint = endpoint;
    refresh();
}

void HealthIndicator::setSentinelStatus(const std::optional<SentinelStatus> &status)
{
    m_sentinel = status;
    m_sentinelAt = QDateTime::currentDateTime();
    refresh();
    refreshDetails();
}

QStringList HealthIndicator::sentinelLines(const SentinelStatus &s)
{
    QStringList lines;
    lines << (s.master ? tr("Master: %1").arg(s.master->display()) : tr("Master: unknown (no sentinel answered)"));
    lines << tr("Sentinels: %1 of %2 reached, %3 known to them")
                 .arg(s.sentinelsReached)
                 .arg(s.sentinelsGiven)
                 .arg(s.sentinelsKnown);
    if (s.replicationKnown && s.replicas.isEmpty())
        lines << tr("Replicas: none connected, changes are not confirmed by a replica");
    for (const SentinelReplicaStatus &r : s.replicas)
        lines << tr("Replica %1: %2, %n byte(s) behind", nullptr, int(std::min<qint64>(r.lagBytes, INT_MAX)))
                     .arg(r.address.display(), r.state);
    for (const QString &p : s.problems)
        lines << tr("Problem: %1").arg(p);
    return lines;
}

QList<DetailsPopup::Row> HealthIndicator::sentinelRows(const SentinelStatus &s)
{
    QList<DetailsPopup::Row> rows;
    if (s.master)
        rows << DetailsPopup::Row{tr("Master"), s.master->display()};
    else
        rows << DetailsPopup::Row{tr("Master"), tr("unknown: no sentinel answered"), true};
    rows << DetailsPopup::Row{
        tr("Sentinels"),
        tr("%1 of %2 reached, %3 known to them").arg(s.sentinelsReached).arg(s.sentinelsGiven).arg(s.sentinelsKnown),
        s.sentinelsReached < s.sentinelsGiven};
    if (s.replicationKnown && s.replicas.isEmpty())
        rows << DetailsPopup::Row{tr("Replicas"), tr("none connected: changes are not confirmed by a replica"), true};
    for (const SentinelReplicaStatus &r : s.replicas)
        rows << DetailsPopup::Row{
            tr("Replica %1").arg(r.address.display()),
            tr("%1, %n byte(s) behind", nullptr, int(std::min<qint64>(r.lagBytes, INT_MAX))).arg(r.state),
            r.state != QLatin1String("online")};
    for (const QString &p : s.problems)
        rows << DetailsPopup::Row{tr("Problem"), p, true};
    return rows;
}

void HealthIndicator::showDetails()
{
    if (!m_sentinel)
        return;
    if (!m_details)
        m_details = new DetailsPopup(this);
    refreshDetails();
    m_details->popUp();
    Q_EMIT detailsRequested();
}

void HealthIndicator::refreshDetails()
{
    if (!m_details)
        return;
    if (!m_sentinel) {
        m_details->close(); // another profile, not behind Sentinel: nothing to show
        return;
    }
    m_details->setContent(tr("%1 behind Sentinel").arg(m_service), sentinelRows(*m_sentinel),
                          tr("Updated at %1; asked again every %2 s and whenever the connection changes.")
                              .arg(QLocale().toString(m_sentinelAt.time(), QLocale::LongFormat))
                              .arg(SentinelStatusService::kPollMs / 1000));
}

void HealthIndicator::mousePressEvent(QMouseEvent *event)
{
    // Taken, so that its release comes here and opens the panel.
    if (event->button() == Qt::LeftButton && m_sentinel)
        event->accept();
    else
        QWidget::mousePressEvent(event);
}

void HealthIndicator::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && m_sentinel && rect().contains(event->position().toPoint()))
        showDetails();
    QWidget::mouseReleaseEvent(event);
}

QString HealthIndicator::text() const
{
    return m_text;
}

QColor HealthIndicator::stateColor(Health::State state)
{
    switch (state) {
    case Health::State::Up:
        return themeColor(Palette::Good);
    case Health::State::Down:
        return themeColor(Palette::Bad);
    case Health::State::Connecting:
        return themeColor(Palette::Warn);
    case Health::State::Unknown:
        break;
    }
    return themeColor(Palette::Faint);
}

QString HealthIndicator::summary(const QString &serviceName, const Health &health, int retryInSeconds)
{
    QString state;
    switch (health.state) {
    case Health::State::Up:
        state = tr("up");
        break;
    case Health::State::Down:
        state = tr("down");
        break;
    case Health::State::Connecting:
        state = tr("connecting…");
        break;
    case Health::State::Unknown:
        state = tr("not checked yet");
        break;
    }
    QString text = tr("%1: %2").arg(serviceName, state);
    if (health.state == Health::State::Up && !health.detail.isEmpty())
        text += tr(" — %1").arg(health.detail);
    else if (health.state == Health::State::Down)
        text += retryInSeconds > 0 ? tr(" — retry in %1 s").arg(retryInSeconds) : tr(" — retrying");
    return text;
}

void HealthIndicator::refresh()
{
    int retryIn = 0;
    if (m_retryAt.isValid())
        retryIn = int(std::max<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(m_retryAt)));
    if (m_retryAt.isValid() && retryIn == 0)
        m_countdown.stop();
    // The status bar holds several indicators: a long detail (TLS, schema, migrations pending) is cut here, whole
    // in the tooltip, rather than pushing the others off the window (French especially).
    m_text = summary(m_service, m_health, retryIn);
    m_label->setText(m_label->fontMetrics().elidedText(m_text, Qt::ElideRight, kMaxTextWidth));
    m_dot->setColor(stateColor(m_health.state));
    if (m_sentinel)
        setCursor(Qt::PointingHandCursor);
    else
        unsetCursor();

    QStringList tip;
    tip << QStringLiteral("<b>%1</b>").arg(m_service.toHtmlEscaped());
    if (!m_endpoint.isEmpty())
        tip << tr("Server: %1").arg(m_endpoint.toHtmlEscaped());
    if (!m_health.detail.isEmpty())
        tip << tr("Details: %1").arg(m_health.detail.toHtmlEscaped());
    if (m_sentinel)
        for (const QString &l : sentinelLines(*m_sentinel))
            tip << l.toHtmlEscaped();
    if (m_health.since.isValid())
        tip << tr("In this state since %1").arg(QLocale().toString(m_health.since.toLocalTime(), QLocale::ShortFormat));
    if (m_health.state == Health::State::Down)
        tip << tr("MLDeck reconnects automatically, waiting a little longer after each failure.");
    if (m_sentinel)
        tip << tr("Click for the master, the sentinels and the replicas.");
    setToolTip(tip.join(QStringLiteral("<br>")));
}

} // namespace mldeck::ui
