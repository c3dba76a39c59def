#pragma once

#include "core/config/Endpoints.h"

#include <QString>

#include <sys/types.h>

namespace mldeck::test {

// The real servers that packaging/local-stack/mldeck-dev starts for the test run.
// Integration tests fail (they never skip) when these are missing: a skipped test is not a pass.
struct TestServers
{
    static bool available(QString *why);
    static RedisEndpoint redis(); // MLDECK_TEST_REDIS_URL
    static PgEndpoint pg();       // MLDECK_TEST_PG_URL (a superuser, so tests may create databases)
    static pid_t redisPid();      // MLDECK_TEST_REDIS_PID
    static pid_t pgPid();         // MLDECK_TEST_PG_PID (the postmaster)
};

// A fresh, empty database for one test, dropped when this goes out of scope,
// so that integration tests run in parallel without seeing each other's rows.
class ScratchDatabase
{
public:
    explicit ScratchDatabase(const QString &prefix = QStringLiteral("t"));
    ~ScratchDatabase();
    ScratchDatabase(const ScratchDatabase &) = delete;
    ScratchDatabase &operator=(const ScratchDatabase &) = delete;

    const QString &name() const { return m_name; }
    PgEndpoint endpoint() const; // the test server, pointed at this database

private:
    QString m_name;
};

// Freezes a server process with SIGSTOP and always thaws it (SIGCONT) when destroyed.
class ProcessFreezer
{
public:
    explicit ProcessFreezer(pid_t pid);
    ~ProcessFreezer();
    void thaw();
    ProcessFreezer(const ProcessFreezer &) = delete;
    ProcessFreezer &operator=(const ProcessFreezer &) = delete;

private:
    pid_t m_pid;
    bool m_frozen = false;
};

// A unique name for Redis keys and deployments used by one test.
QString uniqueName(const QString &prefix);

} // namespace mldeck::test

// In an integration test's initTestCase(): fail at once when the servers are not there.
#define MLDECK_REQUIRE_SERVERS()                                                                                       \
    do {                                                                                                               \
        QString why_;                                                                                                  \
        if (!mldeck::test::TestServers::available(&why_))                                                              \
            QFAIL(qPrintable(why_));                                                                                   \
    } while (false)
