#include "tests/support/TestServers.h"

#include <QRandomGenerator>
#include <QtTest>

#include <pqxx/pqxx>

#include <csignal>

namespace mldeck::test {

bool TestServers::available(QString *why)
{
    if (qEnvironmentVariableIsEmpty("MLDECK_TEST_REDIS_URL") || qEnvironmentVariableIsEmpty("MLDECK_TEST_PG_URL")) {
        *why = QStringLiteral("MLDECK_TEST_REDIS_URL / MLDECK_TEST_PG_URL are not set: run the tests through "
                              "packaging/local-stack/mldeck-dev test, which starts real Redis and PostgreSQL.");
        return false;
    }
    return true;
}

RedisEndpoint TestServers::redis()
{
    return RedisEndpoint::fromUrl(qEnvironmentVariable("MLDECK_TEST_REDIS_URL")).value();
}

PgEndpoint TestServers::pg()
{
    return PgEndpoint::fromUrl(qEnvironmentVariable("MLDECK_TEST_PG_URL")).value();
}

pid_t TestServers::redisPid()
{
    return qEnvironmentVariableIntValue("MLDECK_TEST_REDIS_PID");
}

pid_t TestServers::pgPid()
{
    return qEnvironmentVariableIntValue("MLDECK_TEST_PG_PID");
}

QString uniqueName(const QString &prefix)
{
    return prefix + QLatin1Char('_') + QString::number(QRandomGenerator::global()->generate64() % 1000000000ULL);
}

static void adminExec(const std::string &sql)
{
    pqxx::connection conn(TestServers::pg().toConnInfo(QStringLiteral("mldeck-tests")).toStdString());
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
}

ScratchDatabase::ScratchDatabase(const QString &prefix) : m_name(uniqueName(QStringLiteral("mldeck_") + prefix))
{
    adminExec("CREATE DATABASE " + m_name.toStdString());
}

ScratchDatabase::~ScratchDatabase()
{
    try {
        adminExec("DROP DATABASE IF EXISTS " + m_name.toStdString() + " WITH (FORCE)");
    } catch (const std::exception &e) {
        qWarning("could not drop scratch database %s: %s", qPrintable(m_name), e.what());
    }
}

PgEndpoint ScratchDatabase::endpoint() const
{
    PgEndpoint e = TestServers::pg();
    e.database = m_name;
    return e;
}

ProcessFreezer::ProcessFreezer(pid_t pid) : m_pid(pid)
{
    if (m_pid > 0 && ::kill(m_pid, SIGSTOP) == 0)
        m_frozen = true;
}

ProcessFreezer::~ProcessFreezer()
{
    thaw();
}

void ProcessFreezer::thaw()
{
    if (m_frozen)
        ::kill(m_pid, SIGCONT);
    m_frozen = false;
}

} // namespace mldeck::test
