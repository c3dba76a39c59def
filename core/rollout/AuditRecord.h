#pragma once

#include "core/domain/FlagState.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QUuid>

#include <optional>

namespace mldeck {

// Who makes a change. name goes to Redis updated_by ("alice@laptop", "guard@server");
// osUser and host go to the audit row (actor_db is stamped by the database itself).
struct Actor
{
    QString name;
    QString osUser;
    QString host;

    static Actor current(); // the OS user on this host
    static Actor guard();   // "guard@<host>", run by the current OS user
};

// One row of mldeck.audit_log as the client builds it. changeId is generated BEFORE the write
// so that a retried insert (or a spooled row flushed twice) is recognised and stored once.
struct AuditRecord
{
    QUuid changeId;
    QDateTime occurredAt; // client clock, UTC
    QString actorOs;
    QString host;
    QString
        action; // "flags.apply", "flags.rollback", "guard.rollback", "guard.halve", "guard.rearm", "plan.advance", ...
    QString deployment;
    std::optional<QJsonObject> before;
    std::optional<QJsonObject> after;
    QString reason;

    static AuditRecord make(const QString &action, const QString &deployment, const Actor &actor,
                            const QString &reason);

    QJsonObject toJson() const;
    static std::optional<AuditRecord> fromJson(const QJsonObject &o); // nullopt when malformed
};

// One row of mldeck.audit_log as read back: the server's time and role next to what the client wrote.
struct AuditEntry
{
    QDateTime at; // server time of the insert, UTC
    QString action;
    QString actorDb; // the database role, stamped by the server
    QString actorOs; // the person or process, as the client said
    QString host;
    QString reason;
    std::optional<QJsonObject> before;
    std::optional<QJsonObject> after;
    qint64 id = 0;
    QString deployment;
    QUuid changeId;
    QDateTime occurredAt; // client clock when the change happened (a spooled row arrives later); may be invalid
    bool spooled = false;
    qint64 chainSeq = 0; // position in its deployment's hash chain (0 when unknown)

    // The one name shown for who made the change: the OS actor when the client said, else the role.
    QString actor() const { return actorOs.isEmpty() ? actorDb : actorOs; }
};

// The flag set as audit JSON: {"ml_enabled":1,"ml_traffic_percentage":25,...,"invalid_fields":[...]}.
QJsonObject flagStateJson(const FlagState &state);

} // namespace mldeck
