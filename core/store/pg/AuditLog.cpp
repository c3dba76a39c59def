#include "core/store/pg/AuditLog.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <vector>

namespace mldeck {

namespace {

constexpr char kInsert[] = R"SQL(
INSERT INTO mldeck.audit_log (change_id, actor_os, host, action, deployment, before, after, reason,
                              occurred_at, spooled)
VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::timestamptz, $10::boolean)
ON CONFLICT (change_id) DO NOTHING)SQL";

QStringList paramsOf(const AuditRecord &r, bool spooled)
{
    const auto json = [](const std::optional<QJsonObject> &o) {
        return o ? QString::fromUtf8(QJsonDocument(*o).toJson(QJsonDocument::Compact)) : QString();
    };
    const auto orNull = [](const QString &s) { return s.isEmpty() ? QString() : s; };
    return {r.changeId.toString(QUuid::WithoutBraces),
            orNull(r.actorOs),
            orNull(r.host),
            r.action,
            orNull(r.deployment),
            json(r.before),
            json(r.after),
            orNull(r.reason),
            r.occurredAt.isValid() ? r.occurredAt.toUTC().toString(Qt::ISODateWithMs) : QString(),
            spooled ? QStringLiteral("true") : QStringLiteral("false")};
}

// A lock timeout names its cause: another audited change of the deployment holds the chain head.
Error auditWriteError(const std::exception &e, const PgEndpoint &endpoint)
{
    if (pg::sqlState(e) == QLatin1String("55P03"))
        return Error{StoreText::tr("another audited change of this deployment has held its audit log for over 5 s: "
                                   "nothing was written; try again")};
    return pg::toError(e, endpoint, StoreText::tr("writing the audit log"));
}

} // namespace

bool pg::writeAudit(pqxx::transaction_base &tx, const AuditRecord &record, bool spooled)
{
    // The insert waits on its deployment's chain head: a stalled holder must not make a writer queue forever.
    tx.exec("SET LOCAL lock_timeout = '5s'");
    return pg::execParams(tx, kInsert, paramsOf(record, spooled)).affected_rows() == 1;
}

struct AuditLog::Pending::Impl
{
    PgEndpoint endpoint;
    std::unique_ptr<pqxx::work> tx;
};

AuditLog::Pending::Pending(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

AuditLog::Pending::~Pending()
{
    abort();
}

Status AuditLog::Pending::commit()
{
    if (!m_impl->tx)
        return Error{StoreText::tr("The audit row was already committed or abandoned.")};
    try {
        m_impl->tx->commit();
        m_impl->tx.reset();
        return {};
    } catch (const std::exception &e) {
        m_impl->tx.reset();
        return pg::toError(e, m_impl->endpoint, StoreText::tr("committing the audit row"));
    }
}

void AuditLog::Pending::abort()
{
    if (!m_impl || !m_impl->tx)
        return;
    try {
        m_impl->tx->abort();
    } catch (...) {
        // The connection is gone: the server rolls the transaction back by itself.
    }
    m_impl->tx.reset();
}

AuditLog::AuditLog(PgConnection &conn) : m_conn(conn) {}

Result<bool> AuditLog::insert(const AuditRecord &record, bool spooled)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const bool added = pg::writeAudit(tx, record, spooled);
        tx.commit();
        return added;
    } catch (const std::exception &e) {
        return auditWriteError(e, m_conn.endpoint());
    }
}

Result<std::unique_ptr<AuditLog::Pending>> AuditLog::prepare(const AuditRecord &record)
{
    auto impl = std::make_unique<Pending::Impl>();
    impl->endpoint = m_conn.endpoint();
    try {
        impl->tx = std::make_unique<pqxx::work>(pg::raw(m_conn));
        // The row holds its chain head until commit: a client that stalls there must not block the chain for good.
        impl->tx->exec("SET LOCAL idle_in_transaction_session_timeout = '30s'");
        pg::writeAudit(*impl->tx, record);
        return std::unique_ptr<Pending>(new Pending(std::move(impl)));
    } catch (const std::exception &e) {
        try {
            impl->tx.reset();
        } catch (...) {
        }
        return auditWriteError(e, m_conn.endpoint());
    }
}

Result<int> AuditLog::count(const QUuid &changeId)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT count(*) FROM mldeck.audit_log WHERE change_id = $1::uuid",
                          changeId.toString(QUuid::WithoutBraces).toStdString())[0]
            .as<int>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the audit log"));
    }
}

} // namespace mldeck
