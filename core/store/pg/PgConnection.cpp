#include "core/store/pg/PgConnection.h"
#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace mldeck {

Q_LOGGING_CATEGORY(lcPg, "mldeck.store.pg", QtInfoMsg)

namespace {

// libpq and the server decorate messages ("FATAL:  ", "connection to server at \"h\", port p
// failed: ", tabs and hint lines). Keep the words a user needs, on one line.
QString cleanServerMessage(const char *what)
{
    QString msg = QString::fromUtf8(what);
    static const QRegularExpression connPrefix(
        QStringLiteral("connection to server (at|on socket) \"[^\"]*\"(, port \\d+)? failed:\\s*"));
    static const QRegularExpression severity(QStringLiteral("\\b(FATAL|ERROR|PANIC):\\s+"));
    msg.remove(connPrefix);
    msg.remove(severity);
    msg = msg.simplified();
    while (msg.endsWith(QLatin1Char('.')) || msg.endsWith(QLatin1Char(':')))
        msg.chop(1);
    return msg;
}

QString hostPort(const PgEndpoint &e)
{
    return e.host + QLatin1Char(':') + QString::number(e.port);
}

} // namespace

namespace pg {

QString sqlState(const std::exception &e)
{
    if (const auto *sqlErr = dynamic_cast<const pqxx::sql_error *>(&e))
        return QString::fromStdString(sqlErr->sqlstate());
    return {};
}

Error toError(const std::exception &e, const PgEndpoint &endpoint, const QString &doing)
{
    const QString detail = cleanServerMessage(e.what());
    if (dynamic_cast<const pqxx::broken_connection *>(&e))
        return Error{StoreText::tr("lost the connection to PostgreSQL at %1 while %2: %3")
                         .arg(hostPort(endpoint), doing, detail)};
    if (dynamic_cast<const pqxx::in_doubt_error *>(&e))
        return Error{StoreText::tr("PostgreSQL at %1 went away while committing (%2): the outcome is unknown: %3")
                         .arg(hostPort(endpoint), doing, detail)};
    return Error{StoreText::tr("PostgreSQL error while %1: %2").arg(doing, detail)};
}

} // namespace pg

PgConnection::PgConnection(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

PgConnection::~PgConnection()
{
    try {
        m_impl->conn.reset();
    } catch (...) {
        // A destructor must not throw; the server cleans up a dropped session by itself.
    }
}

Result<std::unique_ptr<PgConnection>> PgConnection::open(const PgEndpoint &endpoint, const QString &applicationName)
{
    auto impl = std::make_unique<Impl>();
    impl->endpoint = endpoint;
    // TimeZone and client_encoding fixed for the session: text results do not depend on the server's defaults.
    const QString connInfo =
        endpoint.toConnInfo(applicationName) + QStringLiteral(" client_encoding='UTF8' options='-c TimeZone=UTC'");
    // A missing CA file is named before libpq is asked (its own message names only the default file).
    if (Status files = endpoint.checkTlsFiles(); !files)
        return Error{
            StoreText::tr("cannot connect to PostgreSQL at %1: %2").arg(hostPort(endpoint), files.errorMessage())};
    try {
        impl->conn = std::make_unique<pqxx::connection>(connInfo.toStdString());
        pqxx::nontransaction tx(*impl->conn);
        const pqxx::row r = tx.exec1("SELECT current_user, current_setting('server_version'), "
                                     "coalesce(s.ssl, false), coalesce(s.version, '') "
                                     "FROM (SELECT 1) one LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()");
        impl->currentUser = QString::fromStdString(r[0].as<std::string>());
        impl->serverVersion = QString::fromStdString(r[1].as<std::string>());
        impl->tls = PgTlsState::of(r[2].as<bool>(), QString::fromStdString(r[3].as<std::string>()), endpoint);
    } catch (const std::exception &e) {
        const QString detail = cleanServerMessage(e.what());
        const QString tls = pg::explainTlsFailure(detail, endpoint);
        return Error{StoreText::tr("cannot connect to PostgreSQL at %1: %2")
                         .arg(hostPort(endpoint), tls.isEmpty() ? detail : tls)};
    }
    qCDebug(lcPg) << "connected to" << endpoint.display() << "as" << impl->currentUser << "server"
                  << impl->serverVersion;
    return std::unique_ptr<PgConnection>(new PgConnection(std::move(impl)));
}

Status PgConnection::ping()
{
    try {
        pqxx::nontransaction tx(*m_impl->conn);
        tx.exec1("SELECT 1");
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_impl->endpoint, StoreText::tr("checking the connection"));
    }
}

QString PgConnection::currentUser() const
{
    return m_impl->currentUser;
}

QString PgConnection::serverVersion() const
{
    return m_impl->serverVersion;
}

PgTlsState PgConnection::tls() const
{
    return m_impl->tls;
}

const PgEndpoint &PgConnection::endpoint() const
{
    return m_impl->endpoint;
}

} // namespace mldeck
