#include "core/services/FlagService.h"

#include "core/Text.h"
#include "core/rollout/FlagValues.h"
#include "core/services/Backoff.h"
#include "core/services/KeptPgConnection.h"
#include "core/store/pg/AuditLog.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RolePermissions.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QLoggingCategory>

#include <thread>

Q_LOGGING_CATEGORY(lcFlagService, "mldeck.services.flags", QtWarningMsg)

namespace mldeck {

namespace {

constexpr qsizetype kOwnChangesKept = 64;

QString boolText(bool b)
{
    return b ? QStringLiteral("1") : QStringLiteral("0");
}

QString describe(const FlagState &s)
{
    if (!s.exists)
        return ServiceText::tr("no flags");
    if (!s.isValid())
        return ServiceText::tr("INVALID (%1)").arg(s.invalidFields.join(QStringLiteral(", ")));
    return ServiceText::tr("ml_enabled=%1, ml_traffic_percentage=%2, fallback_on_error=%3")
        .arg(boolText(s.mlEnabled))
        .arg(s.trafficPercentage)
        .arg(boolText(s.fallbackOnError));
}

// The state an applied edit leads to (what the audit row records before Redis confirms it).
FlagState predictedAfter(const FlagState &before, const FlagEdit &edit, const Actor &actor)
{
    FlagState a = before;
    if (edit.mlEnabled)
        a.mlEnabled = *edit.mlEnabled;
    if (edit.trafficPercentage)
        a.trafficPercentage = *edit.trafficPercentage;
    if (edit.fallbackOnError)
        a.fallbackOnError = *edit.fallbackOnError;
    a.version = before.version + 1;
    a.updatedBy = actor.name;
    a.updatedAt = {};
    a.invalidFields.removeAll(QStringLiteral("version"));
    if (edit.mlEnabled)
        a.invalidFields.removeAll(QStringLiteral("ml_enabled"));
    if (edit.trafficPercentage)
        a.invalidFields.removeAll(QStringLiteral("ml_traffic_percentage"));
    if (edit.fallbackOnError)
        a.invalidFields.removeAll(QStringLiteral("fallback_on_error"));
    return a;
}

// The distinct outcome of a write behind Sentinel that the master has but no replica acknowledged.
QString notReplicatedText(const QString &why)
{
    return ServiceText::tr("Applied on the master, not yet replicated (%1): do not apply it again; a failover "
                           "before a replica catches up could lose it.")
        .arg(why);
}

QJsonObject withDetails(QJsonObject after, const QJsonObject &details)
{
    if (!details.isEmpty())
        after.insert(QStringLiteral("details"), details);
    return after;
}

} // namespace

FlagService::FlagService(RedisEndpoint redis, PgEndpoint pg, QString spoolDirectory)
    : m_redisEndpoint(std::move(redis)), m_pgEndpoint(std::move(pg)), m_spool(std::move(spoolDirectory)),
      m_pg(std::make_unique<KeptPgConnection>(QStringLiteral("mldeck-flags")))
{
}

FlagService::~FlagService() = default;

Result<RedisConnection *> FlagService::redis()
{
    if (m_redis && m_redis->isBroken())
        m_redis.reset();
    if (!m_redis) {
        auto c = RedisConnection::open(m_redisEndpoint);
        if (!c)
            return c.error();
        m_redis = std::move(c).value();
        ++m_redisGeneration;
    }
    return m_redis.get();
}

Result<PgConnection *> FlagService::pg()
{
    bool opened = false;
    auto c = m_pg->get(m_pgEndpoint, &opened);
    if (c && opened) {
        const auto permissions = RolePermissions::read(**c);
        m_rollbackRefusal =
            permissions ? std::optional<QString>(permissions->refusal(RoleAction::Rollback)) : std::nullopt;
        // PostgreSQL is (back) up: write what was spooled while it was not.
        if (auto flushed = flushSpool(); !flushed)
            qCWarning(lcFlagService) << "audit spool not flushed:" << flushed.errorMessage();
    }
    return c;
}

void FlagService::holdRedisConnection(std::unique_ptr<RedisConnection> conn)
{
    m_redis = std::move(conn);
    ++m_redisGeneration;
}

void FlagService::dropRedis()
{
    m_redis.reset();
}

void FlagService::dropPg()
{
    m_pg->reset();
}

Result<int> FlagService::flushSpool()
{
    if (!m_pg->current())
        return Error{ServiceText::tr("Not connected to PostgreSQL.")};
    AuditLog log(*m_pg->current());
    return m_spool.flush([&log](const AuditRecord &r) -> Status {
        auto inserted = log.insert(r, true);
        if (!inserted)
            return inserted.error();
        return {};
    });
}

bool FlagService::isOwnChange(const QString &changeId) const
{
    return !changeId.isEmpty() && m_ownChanges.contains(changeId);
}

Result<FlagState> FlagService::read(const QString &deployment)
{
    auto conn = redis();
    if (!conn)
        return conn.error();
    auto s = FlagStore(**conn).read(deployment);
    if (!s && (*conn)->isBroken())
        dropRedis();
    return s;
}

Result<bool> FlagService::canWriteFlags()
{
    auto conn = redis();
    if (!conn)
        return conn.error();
    auto r = FlagStore(**conn).canWrite();
    if (!r && (*conn)->isBroken())
        dropRedis();
    return r;
}

Result<QStringList> FlagService::deployments()
{
    auto conn = redis();
    if (!conn)
        return conn.error();
    auto names = FlagStore(**conn).deployments();
    if (!names && (*conn)->isBroken())
        dropRedis();
    // An archived deployment keeps its flags but leaves the selectors. Without PostgreSQL the
    // Redis list is shown as it is.
    if (names)
        if (auto c = pg())
            if (auto all = DeploymentStore(**c).list(true))
                for (const DeploymentInfo &d : *all)
                    if (d.archived())
                        names.value().removeAll(d.name);
    return names;
}

FlagState FlagService::readBackOrEmpty(const QString &deployment)
{
    auto s = read(deployment);
    if (s)
        return *s;
    FlagState unknown;
    unknown.deployment = deployment;
    return unknown;
}

ApplyOutcome FlagService::notApplied(const QString &deployment, const QString &why, bool connection)
{
    ApplyOutcome out;
    out.connectionFailure = connection;
    out.message = ServiceText::tr("not applied: %1").arg(why);
    // Only read back when Redis is reachable: a frozen server would cost a second timeout.
    if (!connection || m_redis)
        out.state = readBackOrEmpty(deployment);
    else
        out.state.deployment = deployment;
    return out;
}

// The write failed on the wire: the script may or may not have run. Reconnect once and look for
// our change id in the set (the script stores it atomically with the change).
bool FlagService::confirmAppliedAfterError(const QString &deployment, const QUuid &changeId)
{
    dropRedis();
    auto conn = redis();
    if (!conn)
        return false;
    const QString id = changeId.toString(QUuid::WithoutBraces);
    if (m_redisEndpoint.isSentinel()) { // (re)written on this connection, so that WAIT covers it
        auto there = FlagStore(**conn).reassertChange(deployment, id);
        return there && *there;
    }
    auto last = FlagStore(**conn).lastChangeId(deployment);
    return last && *last == id;
}

QString FlagService::replicationProblem(RedisConnection &conn)
{
    if (!m_redisEndpoint.isSentinel())
        return {};
    const int waitMs =
        qMin(kReplicaWaitMs, qMax(1, m_redisEndpoint.timeoutMs / 2)); // WAIT must end before the socket timeout
    auto acked = conn.waitForReplicas(1, waitMs);
    if (!acked)
        return acked.errorMessage();
    if (*acked < 1)
        return ServiceText::tr("no replica acknowledged it within %1 ms").arg(waitMs);
    return {};
}

ApplyOutcome FlagService::apply(const QString &deployment, const FlagEdit &edit, qint64 expectedVersion,
                                const QString &reason, const Actor &actor, const QString &action,
                                const QJsonObject &details, const QUuid &changeIdWanted)
{
    if (!edit.mlEnabled && !edit.trafficPercentage && !edit.fallbackOnError) {
        ApplyOutcome out;
        out.message = ServiceText::tr("not applied: nothing to change.");
        return out;
    }
    if (edit.trafficPercentage && !isValidTrafficPercentage(*edit.trafficPercentage)) {
        ApplyOutcome out;
        out.message =
            ServiceText::tr("not applied: the ML traffic percentage must be a whole number from 0 to 100, not %1.")
                .arg(*edit.trafficPercentage);
        return out;
    }
    auto conn = redis();
    if (!conn)
        return notApplied(deployment, conn.errorMessage(), true);
    FlagStore store(**conn);
    auto before = store.read(deployment);
    if (!before) {
        const bool broken = (*conn)->isBroken();
        if (broken)
            dropRedis();
        return notApplied(deployment, before.errorMessage(), broken);
    }
    if (!before->exists)
        return notApplied(
            deployment,
            ServiceText::tr("deployment \"%1\" has no flags in Redis (create them with mldeckctl flags init).")
                .arg(deployment),
            false);
    if (before->version != expectedVersion) {
        ApplyOutcome out;
        out.conflict = true;
        out.state = *before;
        out.message =
            ServiceText::tr("Conflict: the flags of \"%1\" were changed by %2 at %3 (now version %4: %5) while you "
                            "expected version %6. Nothing was written; review the new state and try again.")
                .arg(deployment, before->updatedBy.isEmpty() ? QStringLiteral("-") : before->updatedBy,
                     before->updatedAt.isValid() ? before->updatedAt.toString(Qt::ISODateWithMs) : QStringLiteral("-"))
                .arg(before->version)
                .arg(describe(*before))
                .arg(expectedVersion);
        return out;
    }

    AuditRecord record = AuditRecord::make(action, deployment, actor, reason);
    if (!changeIdWanted.isNull())
        record.changeId = changeIdWanted;
    record.before = flagStateJson(*before);
    record.after = withDetails(flagStateJson(predictedAfter(*before, edit, actor)), details);

    // 1. The audit log must be writable: the row goes in first, inside an open transaction.
    auto db = pg();
    if (!db)
        return notApplied(deployment, ServiceText::tr("the audit log is not writable: %1").arg(db.errorMessage()),
                          true);
    auto pending = AuditLog(**db).prepare(record);
    if (!pending) {
        dropPg();
        return notApplied(deployment, ServiceText::tr("the audit log is not writable: %1").arg(pending.errorMessage()),
                          false);
    }

    if (m_beforeRedisWrite)
        m_beforeRedisWrite();

    // 2. The change itself: one Lua script, compare-and-set on the version.
    FlagChange change;
    change.mlEnabled = edit.mlEnabled;
    change.trafficPercentage = edit.trafficPercentage;
    change.fallbackOnError = edit.fallbackOnError;
    change.actor = actor.name;
    const QString changeId = record.changeId.toString(QUuid::WithoutBraces);
    auto written = store.write(deployment, change, expectedVersion, changeId);
    ApplyOutcome out;
    out.changeId = record.changeId;
    if (!written) {
        if (store.lastWriteWasConflict()) {
            (*pending)->abort();
            out.conflict = true;
            out.message = written.errorMessage();
            out.state = readBackOrEmpty(deployment);
            return out;
        }
        const bool broken = (*conn)->isBroken();
        if (!broken || !confirmAppliedAfterError(deployment, record.changeId)) {
            (*pending)->abort();
            ApplyOutcome failed = notApplied(deployment, written.errorMessage(), broken);
            failed.changeId = record.changeId;
            return failed;
        }
        written = read(deployment); // the script did run before the connection broke
        if (!written) {
            FlagState unknown;
            unknown.deployment = deployment;
            written = unknown;
        }
    }

    // Behind Sentinel "applied" means the master has it and a replica acknowledged it.
    QString notReplicatedWhy;
    if (m_redisEndpoint.isSentinel()) {
        notReplicatedWhy = m_redis ? replicationProblem(*m_redis) : ServiceText::tr("the master is unreachable");
        out.notReplicated = !notReplicatedWhy.isEmpty();
        out.replicaConfirmed = !out.notReplicated;
    }

    // 3. Commit the audit row. Redis is already changed: if the commit fails, the row is spooled.
    m_ownChanges.append(changeId);
    if (m_ownChanges.size() > kOwnChangesKept)
        m_ownChanges.removeFirst();
    out.applied = true;
    out.state = *written;
    record.after = withDetails(flagStateJson(*written), details);
    if (Status committed = (*pending)->commit(); !committed) {
        dropPg();
        if (Status spooled = m_spool.put(record); spooled) {
            out.auditSpooled = true;
            out.message =
                ServiceText::tr("Applied (version %1 -> %2), but the audit row could not be committed (%3); it is kept "
                                "in %4 and will be written when PostgreSQL is reachable.")
                    .arg(expectedVersion)
                    .arg(written->version)
                    .arg(committed.errorMessage(), m_spool.directory());
        } else {
            out.message =
                ServiceText::tr("Applied (version %1 -> %2), but the audit row was LOST: commit failed (%3) and the "
                                "spool failed (%4).")
                    .arg(expectedVersion)
                    .arg(written->version)
                    .arg(committed.errorMessage(), spooled.errorMessage());
            qCCritical(lcFlagService) << out.message;
        }
        if (out.notReplicated)
            out.message += QLatin1Char(' ') + notReplicatedText(notReplicatedWhy);
        return out;
    }
    out.message = ServiceText::tr("Applied: the flags of \"%1\" are now version %2 (%3).")
                      .arg(deployment)
                      .arg(written->version)
                      .arg(describe(*written));
    if (out.notReplicated)
        out.message += QLatin1Char(' ') + notReplicatedText(notReplicatedWhy);
    return out;
}

ApplyOutcome FlagService::rollback(const QString &deployment, const QString &reason, const Actor &actor,
                                   const QString &action, const QJsonObject &details, const QUuid &changeIdWanted)
{
    AuditRecord record = AuditRecord::make(action, deployment, actor, reason);
    if (!changeIdWanted.isNull())
        record.changeId = changeIdWanted;
    const QString changeId = record.changeId.toString(QUuid::WithoutBraces);
    ApplyOutcome out;
    out.changeId = record.changeId;

    // Redis is written first (a rollback must work while PostgreSQL is down; its row is then spooled),
    // so the audit insert cannot refuse a role that may not roll back: the database's answer, read when
    // the session opened, is asked first. It is asked only over a connection already open: a rollback never
    // waits on a PostgreSQL connect; without an answer it goes ahead and the database refuses the audit row.
    if (!m_rollbackRefusal) {
        if (PgConnection *session = m_pg->current()) {
            if (const auto permissions = RolePermissions::read(*session))
                m_rollbackRefusal = permissions->refusal(RoleAction::Rollback);
        }
    }
    if (m_rollbackRefusal && !m_rollbackRefusal->isEmpty()) {
        ApplyOutcome refused = notApplied(deployment, *m_rollbackRefusal, false);
        refused.changeId = record.changeId;
        return refused;
    }

    FlagState before;
    before.deployment = deployment;
    QString notReplicatedWhy;
    bool connection = true;
    auto after = m_redisEndpoint.isSentinel()
                     ? rollbackThroughFailover(deployment, actor.name, changeId, &before, &out, &notReplicatedWhy)
                     : rollbackOnce(deployment, actor.name, changeId, &before, &connection);
    if (!after) {
        if (m_redisEndpoint.isSentinel())
            connection = !m_redis; // refused by a master that answers, or no master reached in time
        ApplyOutcome failed = notApplied(deployment, after.errorMessage(), connection);
        failed.changeId = record.changeId;
        failed.attempts = out.attempts;
        return failed;
    }
    out.notReplicated = !notReplicatedWhy.isEmpty();
    out.replicaConfirmed = m_redisEndpoint.isSentinel() && !out.notReplicated;
    m_ownChanges.append(changeId);
    if (m_ownChanges.size() > kOwnChangesKept)
        m_ownChanges.removeFirst();
    out.applied = true;
    out.state = *after;
    record.before = flagStateJson(before);
    record.after = withDetails(flagStateJson(*after), details);
    // Behind Sentinel, say how it ended: confirmed by a replica (after how many attempts), or not yet.
    QString replication;
    if (out.notReplicated)
        replication = QLatin1Char(' ') + notReplicatedText(notReplicatedWhy);
    else if (m_redisEndpoint.isSentinel())
        replication = QLatin1Char(' ') + ServiceText::tr("Confirmed by the master %1 and a replica (%n attempt(s)).",
                                                         nullptr, out.attempts)
                                             .arg(m_redis ? m_redis->endpoint().display() : m_redisEndpoint.display());

    // The rollback stands whatever happens to the audit row; PostgreSQL down means spool it.
    QString auditProblem;
    if (auto db = pg(); !db) {
        auditProblem = db.errorMessage();
    } else if (auto inserted = AuditLog(**db).insert(record); !inserted) {
        dropPg();
        auditProblem = inserted.errorMessage();
    }
    if (auditProblem.isEmpty()) {
        out.message =
            ServiceText::tr("Rolled back: ML is OFF for \"%1\" (version %2).").arg(deployment).arg(after->version) +
            replication;
        return out;
    }
    if (Status spooled = m_spool.put(record); spooled) {
        out.auditSpooled = true;
        out.message =
            ServiceText::tr("Rolled back: ML is OFF for \"%1\" (version %2). The audit log is unreachable (%3): the "
                            "row is kept in %4 and will be written when PostgreSQL is reachable.")
                .arg(deployment)
                .arg(after->version)
                .arg(auditProblem, m_spool.directory()) +
            replication;
    } else {
        out.message =
            ServiceText::tr("Rolled back: ML is OFF for \"%1\" (version %2), but the audit row was LOST: %3; %4")
                .arg(deployment)
                .arg(after->version)
                .arg(auditProblem, spooled.errorMessage()) +
            replication;
        qCCritical(lcFlagService) << out.message;
    }
    return out;
}

// Plain Redis: one attempt; a reply lost on the wire is looked up by change id once.
Result<FlagState> FlagService::rollbackOnce(const QString &deployment, const QString &actorName,
                                            const QString &changeId, FlagState *before, bool *connection)
{
    auto conn = redis();
    if (!conn) {
        *connection = true;
        return conn.error();
    }
    auto done = FlagStore(**conn).rollback(deployment, actorName, changeId);
    if (done) {
        *before = done->before;
        return done->after;
    }
    const bool broken = (*conn)->isBroken();
    if (!broken || !confirmAppliedAfterError(deployment, QUuid::fromString(changeId))) {
        *connection = broken;
        return done.error();
    }
    return readBackOrEmpty(deployment);
}

// Behind Sentinel: until the master has the rollback and a replica acknowledged it, or kRollbackRetryMs
// passed. Each new connection may be a new master: the rollback is looked up there by change id (it
// may have been replicated before the old master died) and run again when it is missing.
Result<FlagState> FlagService::rollbackThroughFailover(const QString &deployment, const QString &actorName,
                                                       const QString &changeId, FlagState *before, ApplyOutcome *out,
                                                       QString *notReplicatedWhy)
{
    const QDeadlineTimer deadline(kRollbackRetryMs);
    std::optional<FlagState> after;
    quint64 appliedOn = 0; // the connection generation that has it
    QString problem;
    for (int attempt = 1;; ++attempt) {
        out->attempts = attempt;
        auto conn = redis();
        if (!conn) {
            problem = conn.errorMessage();
        } else {
            RedisConnection &c = **conn;
            FlagStore store(c);
            if (attempt > 1 && appliedOn != m_redisGeneration) {
                auto there = store.reassertChange(deployment, changeId);
                if (there && *there) {
                    appliedOn = m_redisGeneration;
                    if (!after)
                        after = readBackOrEmpty(deployment);
                } else if (there) {
                    after.reset(); // lost with the old master, or never written
                } else {
                    problem = there.errorMessage();
                }
            }
            if (!after && !c.isBroken()) {
                auto done = store.rollback(deployment, actorName, changeId);
                if (done) {
                    *before = done->before;
                    after = done->after;
                    appliedOn = m_redisGeneration;
                } else if (!c.isBroken()) {
                    return done.error(); // refused (ACL, bad name): another attempt would be refused too
                } else {
                    problem = done.errorMessage();
                }
            }
            if (after && appliedOn == m_redisGeneration && !c.isBroken()) {
                problem = replicationProblem(c);
                if (problem.isEmpty())
                    return *after;
            }
            if (c.isBroken())
                dropRedis();
        }
        const qint64 left = deadline.remainingTime();
        if (left <= 0)
            break;
        qCInfo(lcFlagService) << "rollback of" << deployment << "attempt" << attempt << "not confirmed:" << problem;
        std::this_thread::sleep_for(qMin(Backoff::jittered(attempt), std::chrono::milliseconds(left)));
    }
    if (after) { // on a master, never confirmed by a replica
        *notReplicatedWhy = problem;
        return *after;
    }
    return Error{ServiceText::tr("%1 (tried %n time(s) in %2 s through the sentinels)", nullptr, out->attempts)
                     .arg(problem)
                     .arg(kRollbackRetryMs / 1000)};
}

Status FlagService::audit(const AuditRecord &record)
{
    auto db = pg();
    if (!db)
        return db.error();
    auto inserted = AuditLog(**db).insert(record);
    if (!inserted) {
        dropPg();
        return inserted.error();
    }
    return {};
}

} // namespace mldeck
