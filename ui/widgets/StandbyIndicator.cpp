#include "ui/widgets/StandbyIndicator.h"

#include "ui/Theme.h"
#include "ui/widgets/StatusDot.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>

namespace mldeck::ui {

namespace {

QString seconds(double s)
{
    return QLocale().toString(s, 'f', s < 10 ? 1 : 0);
}

} // namespace

StandbyIndicator::StandbyIndicator(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("health_standby"));
    m_dot = new StatusDot(this);
    m_label = new QLabel(this);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 0, 8, 0);
    layout->setSpacing(6);
    layout->addWidget(m_dot);
    layout->addWidget(m_label);
    hide();
}

void StandbyIndicator::setReplica(const ReadReplica &replica)
{
    m_standby = replica.endpoint ? replica.endpoint->display() : QString();
    setVisible(replica.endpoint.has_value());
    display(std::nullopt);
}

void StandbyIndicator::showSource(const ReadSource &source)
{
    if (m_standby.isEmpty() || !source.replicaConfigured)
        return; // no replica on this profile, or a read that does not use it
    display(source);
}

QString StandbyIndicator::summary(const ReadSource &source)
{
    if (source.fellBack())
        return tr("Standby unreachable: reading from the primary");
    if (!source.lagSeconds)
        return tr("Standby: lag unknown (NOT live)");
    if (source.stale())
        return tr("Standby: %1 s behind (NOT live)").arg(seconds(*source.lagSeconds));
    return tr("Standby: lag %1 s").arg(seconds(*source.lagSeconds));
}

QString StandbyIndicator::tooltip(const ReadSource &source, const QString &standby)
{
    QStringList tip;
    tip << tr("<b>Read replica</b>");
    tip << tr("Standby: %1").arg(standby.toHtmlEscaped());
    if (source.fellBack()) {
        tip << tr("Not used: %1").arg(source.fallbackReason.toHtmlEscaped());
        tip << tr("The figures are read from the primary %1; the standby is tried again in %n s.", nullptr,
                  source.nextRetrySeconds)
                   .arg(source.where.toHtmlEscaped());
    } else if (source.stale()) {
        tip << tr("More than %n s behind the primary: the dashboard and the drift page do not call their figures "
                  "live.",
                  nullptr, source.maxLagSeconds);
    } else {
        tip << tr("Figures up to %n s behind the primary are shown as live.", nullptr, source.maxLagSeconds);
    }
    if (source.measuredAt.isValid())
        tip << tr("Measured at %1 by the last read of the dashboard or the drift page.")
                   .arg(QLocale().toString(source.measuredAt.toLocalTime().time(), QLocale::LongFormat));
    return tip.join(QStringLiteral("<br>"));
}

void StandbyIndicator::display(const std::optional<ReadSource> &source)
{
    if (!source) {
        m_label->setText(tr("Standby: not checked yet"));
        m_dot->setColor(themeColor(Palette::Faint));
        setToolTip(tr("<b>Read replica</b><br>Standby: %1<br>Its lag is measured by the first read of the dashboard "
                      "or the drift page.")
                       .arg(m_standby.toHtmlEscaped()));
        return;
    }
    m_label->setText(summary(*source));
    // Unreachable like a server that is down; behind like a warning: the figures are shown, not as live.
    m_dot->setColor(themeColor(source->fellBack() ? Palette::Bad : source->stale() ? Palette::Warn : Palette::Good));
    setToolTip(tooltip(*source, m_standby));
}

QString StandbyIndicator::text() const
{
    return m_label->text();
}

QColor StandbyIndicator::dotColor() const
{
    return m_dot->color();
}

} // namespace mldeck::ui
