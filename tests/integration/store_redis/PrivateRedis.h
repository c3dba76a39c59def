#pragma once

// A redis-server of the test's own, on a free loopback port, so that a test may kill or freeze
// it without disturbing the shared test server other tests use in parallel.
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestChecks.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QThread>

#include <csignal>

namespace mldeck::test {

class PrivateRedis
{
public:
    PrivateRedis() = default;
    ~PrivateRedis() { stop(); }
    PrivateRedis(const PrivateRedis &) = delete;
    PrivateRedis &operator=(const PrivateRedis &) = delete;

    // Starts the server; on failure *why says what went wrong (the test then fails, never skips).
    bool start(const QStringList &extraArgs, QString *why)
    {
        const QString exe = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
        if (exe.isEmpty()) {
            *why = QStringLiteral("redis-server is not on PATH");
            return false;
        }
        m_port = freePort();
        m_process.setProgram(exe);
        m_process.setArguments(QStringList{QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                                           QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                                           QStringLiteral("--appendonly"), QStringLiteral("no")} +
                               extraArgs);
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start();
        if (!m_process.waitForStarted(5000)) {
            *why = QStringLiteral("redis-server did not start: ") + m_process.errorString();
            return false;
        }
        // Wait until it accepts connections (a refused or NOAUTH-protected answer both mean "up").
        QDeadlineTimer deadline(10000);
        RedisEndpoint probe = endpoint();
        probe.timeoutMs = 500;
        while (!deadline.hasExpired() && m_process.state() == QProcess::Running) {
            auto c = RedisConnection::open(probe);
            if (c || !c.errorMessage().contains(QLatin1String("Cannot connect")))
                return true;
            QThread::msleep(20);
        }
        m_process.waitForFinished(100);
        *why = QStringLiteral("redis-server on port %1 did not come up: %2")
                   .arg(m_port)
                   .arg(QString::fromLocal8Bit(m_process.readAll()));
        return false;
    }

    RedisEndpoint endpoint() const
    {
        RedisEndpoint e;
        e.host = QStringLiteral("127.0.0.1");
        e.port = m_port;
        return e;
    }
    qint64 pid() const { return m_process.processId(); }
    int port() const { return m_port; }

    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        mldeck::test::signalChild(m_process,
                                  SIGCONT); // a frozen process cannot die cleanly otherwise in waitForFinished
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    void stop() { kill(); }

    static int freePort()
    {
        QTcpServer s;
        s.listen(QHostAddress::LocalHost, 0);
        return s.serverPort();
    }

private:
    QProcess m_process;
    int m_port = 0;
};

} // namespace mldeck::test
