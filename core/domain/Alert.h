#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace mldeck {

// One row of mldeck.alerts (see resources/sql/002 and 006).
struct Alert
{
    qint64 id = 0;
    QString deployment;
    QString kind;     // drift, guardrail, ...
    QString severity; // info, warning, critical
    QString dedupKey;
    QString title;
    QJsonObject details;
    QDateTime raisedAt;
    QDateTime lastSeenAt;
    QDateTime acknowledgedAt;
    QString acknowledgedBy;
    QDateTime silencedUntil;
    QString silencedBy;
    QDateTime resolvedAt;

    bool resolved() const { return resolvedAt.isValid(); }
    bool silencedAt(const QDateTime &now) const { return silencedUntil.isValid() && silencedUntil > now; }
    // What a person sees: "resolved", "silenced", "acknowledged" or "firing".
    QString displayState(const QDateTime &now) const;
};

// Who changes an alert: recorded in the alert row and in the audit log (actor_db is set by the server).
struct AlertActor
{
    QString name; // e.g. the OS user or "guard@host"
    QString host;
};

} // namespace mldeck
