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

} // namespace mldeck
