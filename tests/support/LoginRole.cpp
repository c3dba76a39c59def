#include "tests/support/LoginRole.h"

#include "tests/support/TestServers.h"

#include <QRandomGenerator>

#include <pqxx/pqxx>

namespace mldeck::test {

namespace {

void adminExec(const std::string &sql)
{
    pqxx::connection conn(TestServers::pg().toConnInfo(QStringLiteral("mldeck-tests")).toStdString());
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
}

} // namespace

LoginRole::LoginRole(const QString &groupRole)
    : m_name(uniqueName(QStringLiteral("login_") + groupRole.section(QLatin1Char('_'), -1))),
      m_password(QString::number(QRandomGenerator::global()->generate64(), 36))
{
    adminExec("CREATE ROLE " + m_name.toStdString() + " LOGIN PASSWORD '" + m_password.toStdString() + "' IN ROLE " +
              groupRole.toStdString());
}

LoginRole::~LoginRole()
{
    try {
        adminExec("DROP ROLE IF EXISTS " + m_name.toStdString());
    } catch (const std::exception &e) {
        qWarning("could not drop the test role %s: %s", qPrintable(m_name), e.what());
    }
}

PgEndpoint LoginRole::endpoint(const PgEndpoint &base) const
{
    PgEndpoint e = base;
    e.user = m_name;
    e.password = m_password;
    return e;
}

} // namespace mldeck::test
