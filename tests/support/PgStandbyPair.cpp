#include "tests/support/PgStandbyPair.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QThread>

#include <pqxx/pqxx>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mldeck::test {

namespace {

// A loopback port nobody listens on right now (the kernel picks it; we close it again).
int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &length) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

bool isRoot()
{
    return ::geteuid() == 0;
}

// initdb and postgres refuse root: hand the files to postgres.
void giveToPostgres(const QString &path)
{
    if (!isRoot())
        return;
    if (const passwd *pw = ::getpwnam("postgres"))
        if (::chown(QFile::encodeName(path).constData(), pw->pw_uid, pw->pw_gid) != 0)
            qWarning("chown %s failed", qPrintable(path));
}

QString newestServerBin()
{
    QStringList versions = QDir(QStringLiteral("/usr/lib/postgresql")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(),
              [](const QString &a, const QString &b) { return a.toInt() < b.toInt(); });
    return versions.isEmpty() ? QString() : QStringLiteral("/usr/lib/postgresql/%1/bin").arg(versions.last());
}

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

PgStandbyPair::PgStandbyPair() = default;

PgStandbyPair::~PgStandbyPair()
{
    if (!m_dir)
        return;
    if (m_standbyStarted)
        stopServer(m_dir->filePath(QStringLiteral("standby")));
    if (m_primaryStarted)
        stopServer(m_dir->filePath(QStringLiteral("primary")));
}

bool PgStandbyPair::run(const QStringList &command, QString *why, int timeoutMs) const
{
    QStringList argv = command;
    if (isRoot())
        argv = QStringList{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--")} + argv;
    QProcess p;
    p.setWorkingDirectory(QStringLiteral("/")); // postgres may not read the test's directory
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PGPASSWORD"), m_password);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(isRoot() ? QStringLiteral("runuser") : argv.takeFirst(), argv);
    if (!p.waitForFinished(timeoutMs) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished(5000);
        }
        *why = QStringLiteral("%1 failed: %2").arg(command.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAll()));
        return false;
    }
    return true;
}

bool PgStandbyPair::startServer(const QString &dataDir, int port, const QString &log, QString *why) const
{
    // Every statement logged with its application name first: which server served which session.
    const QString options = QStringLiteral("-p %1 -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                                           "-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c fsync=off "
                                           "-c log_statement=all -c log_line_prefix='[%a] ' "
                                           "-c wal_receiver_status_interval=1s")
                                .arg(port);
    return run({m_bin + QStringLiteral("/pg_ctl"), QStringLiteral("-D"), dataDir, QStringLiteral("-l"), log,
                QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("-o"), options,
                QStringLiteral("start")},
               why, 70000);
}

void PgStandbyPair::stopServer(const QString &dataDir) const
{
    QString why;
    if (!run({m_bin + QStringLiteral("/pg_ctl"), QStringLiteral("-D"), dataDir, QStringLiteral("stop"),
              QStringLiteral("-m"), QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("-t"),
              QStringLiteral("30")},
             &why))
        qWarning("%s", qPrintable(why));
}

void PgStandbyPair::stopLeftovers() const
{
    // A test that crashed (a signal skips destructors) left its pair running: its owner file names a process
    // that is gone.
    const QDir tmp(QDir::tempPath());
    for (const QString &name : tmp.entryList({QStringLiteral("mldeck-standby-*")}, QDir::Dirs)) {
        const QString dir = tmp.filePath(name);
        QFile owner(dir + QStringLiteral("/owner.pid"));
        if (!owner.open(QIODevice::ReadOnly))
            continue;
        const pid_t pid = pid_t(owner.readAll().trimmed().toLongLong());
        if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        for (const char *server : {"standby", "primary"})
            if (QFile::exists(dir + QLatin1Char('/') + QLatin1String(server) + QStringLiteral("/postmaster.pid")))
                stopServer(dir + QLatin1Char('/') + QLatin1String(server));
        QDir(dir).removeRecursively();
    }
}

bool PgStandbyPair::start(QString *why)
{
    m_bin = newestServerBin();
    if (m_bin.isEmpty()) {
        *why = QStringLiteral("no PostgreSQL server under /usr/lib/postgresql");
        return false;
    }
    stopLeftovers();
    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/mldeck-standby-XXXXXX"));
    if (!m_dir->isValid()) {
        *why = QStringLiteral("no temporary directory: %1").arg(m_dir->errorString());
        return false;
    }
    giveToPostgres(m_dir->path());
    {
        QFile owner(m_dir->filePath(QStringLiteral("owner.pid")));
        if (!owner.open(QIODevice::WriteOnly) || owner.write(QByteArray::number(qint64(::getpid()))) < 0) {
            *why = QStringLiteral("cannot write %1").arg(owner.fileName());
            return false;
        }
    }
    m_password = QString::number(QRandomGenerator::global()->generate64(), 36);
    const QString pwFile = m_dir->filePath(QStringLiteral("pw"));
    {
        QFile f(pwFile);
        if (!f.open(QIODevice::WriteOnly) || f.write(m_password.toUtf8() + '\n') < 0) {
            *why = QStringLiteral("cannot write %1").arg(pwFile);
            return false;
        }
    }
    giveToPostgres(pwFile);
    const QString primaryDir = m_dir->filePath(QStringLiteral("primary"));
    // initdb's pg_hba.conf lets replication connections in from 127.0.0.1 (scram-sha-256 here); the superuser
    // mldeck has the REPLICATION attribute.
    if (!run({m_bin + QStringLiteral("/initdb"), QStringLiteral("-D"), primaryDir, QStringLiteral("-U"),
              QStringLiteral("mldeck"), QStringLiteral("--pwfile=") + pwFile,
              QStringLiteral("--auth-host=scram-sha-256"), QStringLiteral("--auth-local=scram-sha-256"),
              QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C.UTF-8"),
              QStringLiteral("--no-sync")},
             why))
        return false;
    m_primaryPort = freeLoopbackPort();
    if (!startServer(primaryDir, m_primaryPort, m_dir->filePath(QStringLiteral("primary.log")), why))
        return false;
    m_primaryStarted = true;
    try {
        PgEndpoint admin = primary();
        admin.database = QStringLiteral("postgres");
        pqxx::connection c(admin.toConnInfo(QStringLiteral("mldeck-tests")).toStdString());
        pqxx::nontransaction tx(c);
        tx.exec("CREATE DATABASE mldeck");
    } catch (const std::exception &e) {
        *why = QStringLiteral("create database: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }

    const QString standbyDir = m_dir->filePath(QStringLiteral("standby"));
    if (!run({m_bin + QStringLiteral("/pg_basebackup"), QStringLiteral("-h"), QStringLiteral("127.0.0.1"),
              QStringLiteral("-p"), QString::number(m_primaryPort), QStringLiteral("-U"), QStringLiteral("mldeck"),
              QStringLiteral("-D"), standbyDir, QStringLiteral("-R"), QStringLiteral("-X"), QStringLiteral("stream"),
              QStringLiteral("-c"), QStringLiteral("fast"), QStringLiteral("--no-sync")},
             why))
        return false;
    m_standbyPort = freeLoopbackPort();
    return startStandby(why) && waitReplayed(30000, why);
}

bool PgStandbyPair::startStandby(QString *why)
{
    if (!startServer(m_dir->filePath(QStringLiteral("standby")), m_standbyPort,
                     m_dir->filePath(QStringLiteral("standby.log")), why))
        return false;
    m_standbyStarted = true;
    return true;
}

bool PgStandbyPair::stopStandby(QString *why)
{
    if (!run({m_bin + QStringLiteral("/pg_ctl"), QStringLiteral("-D"), m_dir->filePath(QStringLiteral("standby")),
              QStringLiteral("stop"), QStringLiteral("-m"), QStringLiteral("fast"), QStringLiteral("-w"),
              QStringLiteral("-t"), QStringLiteral("30")},
             why))
        return false;
    m_standbyStarted = false;
    return true;
}

bool PgStandbyPair::waitReplayed(int timeoutMs, QString *why)
{
    QDeadlineTimer deadline(timeoutMs);
    std::string target;
    try {
        pqxx::connection c(primary().toConnInfo(QStringLiteral("mldeck-tests")).toStdString());
        pqxx::nontransaction tx(c);
        target = tx.exec1("SELECT pg_current_wal_lsn()::text")[0].c_str();
    } catch (const std::exception &e) {
        *why = QStringLiteral("primary: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }
    QString last;
    while (!deadline.hasExpired()) {
        try {
            pqxx::connection c(standby().toConnInfo(QStringLiteral("mldeck-tests")).toStdString());
            pqxx::nontransaction tx(c);
            const pqxx::row r = tx.exec_params1(
                "SELECT pg_is_in_recovery() AND coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", target);
            if (r[0].as<bool>())
                return true;
            last = QStringLiteral("replay behind %1").arg(QString::fromStdString(target));
        } catch (const std::exception &e) {
            last = QString::fromUtf8(e.what());
        }
        QThread::msleep(50); // polling the server with a deadline
    }
    *why = QStringLiteral("the standby did not replay up to the primary: %1").arg(last);
    return false;
}

PgEndpoint PgStandbyPair::primary() const
{
    PgEndpoint e;
    e.host = QStringLiteral("127.0.0.1");
    e.port = m_primaryPort;
    e.user = QStringLiteral("mldeck");
    e.password = m_password;
    e.database = QStringLiteral("mldeck");
    e.sslMode = QStringLiteral("disable");
    return e;
}

PgEndpoint PgStandbyPair::standby() const
{
    PgEndpoint e = primary();
    e.port = m_standbyPort;
    return e;
}

QString PgStandbyPair::primaryLog() const
{
    return m_dir ? readAll(m_dir->filePath(QStringLiteral("primary.log"))) : QString();
}

QString PgStandbyPair::standbyLog() const
{
    return m_dir ? readAll(m_dir->filePath(QStringLiteral("standby.log"))) : QString();
}

} // namespace mldeck::test
