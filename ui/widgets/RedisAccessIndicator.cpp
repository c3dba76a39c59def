#include "ui/widgets/RedisAccessIndicator.h"

#include <QStringList>
#include <QStyle>

namespace mldeck::ui {

RedisAccessIndicator::RedisAccessIndicator(RedisAccessService &service, QWidget *parent) : QLabel(parent)
{
    setObjectName(QStringLiteral("redisAccessStatus"));
    setTextFormat(Qt::PlainText);
    connect(&service, &RedisAccessService::accessChanged, this, &RedisAccessIndicator::display);
    display(service.access());
}

QString RedisAccessIndicator::summary(const RedisAccess &access)
{
    QStringList parts;
    if (access.known && access.readOnly)
        parts << tr("Redis read-only");
    if (!access.encrypted)
        parts << tr("Redis not encrypted");
    return parts.join(QStringLiteral("  ·  "));
}

QString RedisAccessIndicator::tooltip(const RedisAccess &access)
{
    QStringList lines;
    if (access.known && access.readOnly)
        lines << tr("Redis user \"%1\" is read-only: flags can be watched but not changed from this connection. "
                    "Connect as a Redis user allowed to run MLDeck's scripts to change them.")
                     .arg(access.user);
    if (!access.encrypted)
        lines << tr("Redis at %1 is not on this machine and is reached without encryption (hiredis 0.14 has no "
                    "TLS): the password and the flags cross the network in clear. Use a local TLS tunnel (stunnel "
                    "or ssh -L) and connect to 127.0.0.1.")
                     .arg(access.host);
    return lines.join(QStringLiteral("\n\n"));
}

void RedisAccessIndicator::display(const RedisAccess &access)
{
    setText(summary(access));
    setToolTip(tooltip(access));
    setVisible(!text().isEmpty());
}

} // namespace mldeck::ui
