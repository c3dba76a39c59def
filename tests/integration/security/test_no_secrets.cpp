// No password in process arguments, logs or --json output. mldeckctl runs with its URLs (passwords included)
// in the environment, as documented, with every log category on: what it prints (stdout, stderr, --json) never
// holds a password, nor does the command line or the environment of the processes it starts (the model worker
// runs model files, which are code), read from /proc while they run. A password given with --pg anyway is
// warned about and blanked from the process's own command line.
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QByteArray procFile(qint64 pid, const char *name)
{
    QFile f(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(name)));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The processes whose parent is pid (from /proc/N/stat: "N (comm) S PPID ...").
QList<qint64> childrenOf(qint64 pid)
{
    QList<qint64> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool isPid = false;
        const qint64 child = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        const QByteArray stat = procFile(child, "stat");
        const qsizetype close = stat.lastIndexOf(')');
        if (close < 0)
            continue;
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (fields.size() > 1 && fields.at(1).toLongLong() == pid)
            out << child;
    }
    return out;
}

} // namespace

class TestNoSecrets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(!qEnvironmentVariableIsEmpty("MLDECK_BINARY_DIR"), "MLDECK_BINARY_DIR is not set (run via ctest)");
        m_secrets << TestServers::pg().password;
        if (!TestServers::redis().password.isEmpty())
            m_secrets << TestServers::redis().password;
        // Without a password in the URL the test would prove nothing.
        QVERIFY2(!TestServers::pg().password.isEmpty(), "MLDECK_TEST_PG_URL carries no password");
        for (const QString &s : std::as_const(m_secrets))
            QVERIFY2(s.size() >= 8, "a password this short could appear by chance");
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("secrets"));
    }

    void shortVerbsPrintNoPassword()
    {
        const QList<QStringList> runs{
            {QStringLiteral("migrate")},
            {QStringLiteral("migrate"), QStringLiteral("--status"), QStringLiteral("--json")},
            {QStringLiteral("status"), QStringLiteral("--json")},
            {QStringLiteral("status")},
            {QStringLiteral("deployments"), QStringLiteral("list"), QStringLiteral("--json")},
            {QStringLiteral("flags"), QStringLiteral("status"), QStringLiteral("--deployment"), m_deployment,
             QStringLiteral("--json")},
        };
        for (const QStringList &args : runs) {
            QProcess p;
            start(p, args);
            QVERIFY2(p.waitForFinished(120000), qPrintable(args.join(QLatin1Char(' '))));
            const QByteArray out = p.readAllStandardOutput();
            const QByteArray err = p.readAllStandardError();
            QVERIFY2(!out.isEmpty() || !err.isEmpty(), qPrintable(args.join(QLatin1Char(' '))));
            expectNoSecret(out, QStringLiteral("stdout of mldeckctl ") + args.join(QLatin1Char(' ')));
            expectNoSecret(err, QStringLiteral("stderr of mldeckctl ") + args.join(QLatin1Char(' ')));
        }
    }

    // A short run of the serving backend: it starts a model worker (ML on for 25 % of the requests) and logs.
    void simulateAndItsWorkerHoldNoPassword()
    {
        QProcess p;
        start(p, {QStringLiteral("simulate"), QStringLiteral("--deployment"), m_deployment, QStringLiteral("--rate"),
                  QStringLiteral("50"), QStringLiteral("--duration"), QStringLiteral("15s"), QStringLiteral("--json")});
        QVERIFY(p.waitForStarted());
        const qint64 pid = p.processId();
        QSet<qint64> seen;
        // Every child seen while it runs is checked; the model worker must be among them.
        QTRY_VERIFY_WITH_TIMEOUT(p.state() != QProcess::Running || seenWorker(pid, seen), 60000);
        QVERIFY2(p.state() == QProcess::Running, "mldeckctl simulate stopped early");
        expectNoSecret(procFile(pid, "cmdline"), QStringLiteral("the command line of mldeckctl simulate"));
        QVERIFY(p.waitForFinished(120000)); // at the end of --duration it flushes and prints its summary
        const QByteArray out = p.readAllStandardOutput();
        const QByteArray err = p.readAllStandardError();
        expectNoSecret(err, QStringLiteral("the log of mldeckctl simulate"));
        QVERIFY2(p.exitCode() == 0, err.constData());
        QVERIFY2(QJsonDocument::fromJson(out).isObject(), out.constData());
        expectNoSecret(out, QStringLiteral("the --json summary of mldeckctl simulate"));
    }

    // Given on the command line anyway: a warning, and the process's command line no longer shows it.
    void passwordOnTheCommandLineIsWarnedAndBlanked()
    {
        QProcess p;
        start(p, {QStringLiteral("simulate"), QStringLiteral("--deployment"), m_deployment, QStringLiteral("--rate"),
                  QStringLiteral("20"), QStringLiteral("--duration"), QStringLiteral("10s"), QStringLiteral("--pg"),
                  m_db->endpoint().toUrl(true)});
        QVERIFY(p.waitForStarted());
        const qint64 pid = p.processId();
        const QByteArray masked = ":" + QByteArray(TestServers::pg().password.toUtf8().size(), '*') + "@";
        QTRY_VERIFY_WITH_TIMEOUT(p.state() != QProcess::Running || procFile(pid, "cmdline").contains(masked), 30000);
        QVERIFY2(p.state() == QProcess::Running, "mldeckctl simulate stopped early");
        expectNoSecret(procFile(pid, "cmdline"), QStringLiteral("the command line of mldeckctl simulate --pg"));
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("warning: --pg carries a password"), err.constData());
        QVERIFY2(err.contains("MLDECK_PG_URL"), err.constData());
        expectNoSecret(err, QStringLiteral("the log of mldeckctl simulate --pg"));
    }

private:
    void start(QProcess &p, const QStringList &args) const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), TestServers::redis().toUrl(true));
        env.insert(QStringLiteral("MLDECK_VERBOSE"), QStringLiteral("1"));
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("mldeck.*=true"));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
    }

    // Checks the command line and environment of each child of pid not checked yet; true once a model worker
    // was among them.
    bool seenWorker(qint64 pid, QSet<qint64> &seen)
    {
        for (const qint64 child : childrenOf(pid)) {
            const QByteArray cmdline = procFile(child, "cmdline");
            if (seen.contains(child) || cmdline.isEmpty())
                continue;
            seen.insert(child);
            expectNoSecret(cmdline, QStringLiteral("the command line of child %1").arg(child));
            const QByteArray environment = procFile(child, "environ");
            expectNoSecret(environment, QStringLiteral("the environment of child %1").arg(child));
            if (cmdline.contains("mldeck-model-worker")) {
                // Read, and it still has the rest of the environment (a check of nothing proves nothing).
                if (!environment.contains("PATH="))
                    MLDECK_FAIL_IN_HELPER(QStringLiteral("the model worker's environment could not be read"));
                m_workerSeen = true;
            }
        }
        return m_workerSeen;
    }

    void expectNoSecret(const QByteArray &text, const QString &where)
    {
        for (const QString &s : std::as_const(m_secrets)) {
            if (text.contains(s.toUtf8()))
                MLDECK_FAIL_IN_HELPER(QStringLiteral("a password appears in %1").arg(where));
        }
    }

    QStringList m_secrets;
    bool m_workerSeen = false;
    QString m_deployment = uniqueName(QStringLiteral("sec"));
    std::unique_ptr<ScratchDatabase> m_db;
};

QTEST_GUILESS_MAIN(TestNoSecrets)
#include "test_no_secrets.moc"
