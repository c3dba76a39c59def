#include "tests/support/SentinelCluster.h"

#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/Sentinel.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTcpServer>
#include <QThread>

#include <csignal>

namespace mldeck::test {

namespace {

constexpr int kPollMs = 50;

RedisEndpoint plain(const HostPort &node, int timeoutMs = 500)
{
    RedisEndpoint e;
    e.host = node.host;
    e.port = node.port;
    e.timeoutMs = timeoutMs;
    return e;
}

// SENTINEL master NAME: a flat key/value list.
QHash<QByteArray, QByteArray> masterInfo(const HostPort &sentinel, const QString &name)
{
    QHash<QByteArray, QByteArray> out;
    auto c = RedisConnection::open(plain(sentinel));
    if (!c)
        return out;
    auto r = (*c)->command({QByteArrayLiteral("SENTINEL"), QByteArrayLiteral("master"), name.toUtf8()});
    if (!r || !r->isArray())
        return out;
    for (qsizetype i = 0; i + 1 < r->array.size(); i += 2)
        out.insert(r->array.at(i).string, r->array.at(i + 1).string);
    return out;
}

} // namespace

SentinelCluster::SentinelCluster(QString masterName) : m_masterName(std::move(masterName)) {}

SentinelCluster::~SentinelCluster()
{
    for (auto *list : {&m_sentinels, &m_nodes})
        for (Server &s : *list)
            if (s.process && s.process->state() != QProcess::NotRunning) {
                ::kill(pid_t(s.process->processId()), SIGCONT); // a frozen process would not die
                s.process->kill();
                s.process->waitForFinished(5000);
            }
}

int SentinelCluster::freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

bool SentinelCluster::startServer(Server &s, const QStringList &args, QString *why)
{
    const QString exe = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (exe.isEmpty()) {
        *why = QStringLiteral("redis-server is not on PATH");
        return false;
    }
    s.process = std::make_unique<QProcess>();
    s.process->setProgram(exe);
    s.process->setArguments(args);
    s.process->setWorkingDirectory(m_dir.path());
    s.process->setProcessChannelMode(QProcess::MergedChannels);
    s.process->start();
    if (!s.process->waitForStarted(5000)) {
        *why = QStringLiteral("redis-server did not start: ") + s.process->errorString();
        return false;
    }
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired() && s.process->state() == QProcess::Running) {
        if (RedisConnection::open(plain(HostPort{QStringLiteral("127.0.0.1"), s.port})))
            return true;
        QThread::msleep(kPollMs);
    }
    *why = QStringLiteral("redis-server on port %1 did not come up: %2")
               .arg(s.port)
               .arg(QString::fromLocal8Bit(s.process->readAll()));
    return false;
}

bool SentinelCluster::start(QString *why, int sentinels)
{
    if (!m_dir.isValid()) {
        *why = QStringLiteral("no temporary directory");
        return false;
    }
    m_nodes.resize(2);
    for (int i = 0; i < 2; ++i) {
        m_nodes[size_t(i)].port = freePort();
        QStringList args{QStringLiteral("--port"),
                         QString::number(m_nodes[size_t(i)].port),
                         QStringLiteral("--bind"),
                         QStringLiteral("127.0.0.1"),
                         QStringLiteral("--save"),
                         QString(),
                         QStringLiteral("--appendonly"),
                         QStringLiteral("no"),
                         QStringLiteral("--dbfilename"),
                         QStringLiteral("node%1.rdb").arg(i),
                         QStringLiteral("--repl-diskless-sync-delay"),
                         QStringLiteral("0")};
        if (i == 1)
            args << QStringLiteral("--replicaof") << QStringLiteral("127.0.0.1") << QString::number(m_nodes[0].port);
        if (!startServer(m_nodes[size_t(i)], args, why))
            return false;
    }
    m_sentinels.resize(size_t(sentinels));
    for (int i = 0; i < sentinels; ++i) {
        Server &s = m_sentinels[size_t(i)];
        s.port = freePort();
        const QString conf = m_dir.filePath(QStringLiteral("sentinel%1.conf").arg(i));
        QFile f(conf);
        if (!f.open(QIODevice::WriteOnly)) {
            *why = f.errorString();
            return false;
        }
        const int quorum = sentinels / 2 + 1;
        f.write(QStringLiteral("port %1\nbind 127.0.0.1\ndir %2\n"
                               "sentinel monitor %3 127.0.0.1 %4 %5\n"
                               "sentinel down-after-milliseconds %3 1000\n"
                               "sentinel failover-timeout %3 3000\n"
                               "sentinel parallel-syncs %3 1\n")
                    .arg(s.port)
                    .arg(m_dir.path(), m_masterName)
                    .arg(m_nodes[0].port)
                    .arg(quorum)
                    .toUtf8());
        f.close();
        if (!startServer(s, {conf, QStringLiteral("--sentinel")}, why))
            return false;
    }
    return waitForSentinels(20000, why) && waitForReplicas(node(0), 1, 10000);
}

bool SentinelCluster::waitForSentinels(int timeoutMs, QString *why) const
{
    const QDeadlineTimer deadline(timeoutMs);
    const QByteArray others = QByteArray::number(qsizetype(m_sentinels.size()) - 1);
    for (;;) {
        bool ready = true;
        for (const Server &s : m_sentinels) {
            const auto info = masterInfo(HostPort{QStringLiteral("127.0.0.1"), s.port}, m_masterName);
            if (info.value("num-other-sentinels") != others || info.value("num-slaves") != "1") {
                ready = false;
                break;
            }
        }
        if (ready)
            return true;
        if (deadline.hasExpired()) {
            *why = QStringLiteral("the sentinels did not see each other and the replica within %1 ms").arg(timeoutMs);
            return false;
        }
        QThread::msleep(kPollMs);
    }
}

RedisEndpoint SentinelCluster::endpoint() const
{
    RedisEndpoint e;
    e.host.clear();
    e.masterName = m_masterName;
    for (const Server &s : m_sentinels)
        e.sentinels.append(HostPort{QStringLiteral("127.0.0.1"), s.port});
    return e;
}

QString SentinelCluster::url() const
{
    return endpoint().toUrl(true);
}

HostPort SentinelCluster::node(int i) const
{
    return HostPort{QStringLiteral("127.0.0.1"), m_nodes.at(size_t(i)).port};
}

qint64 SentinelCluster::nodePid(int i) const
{
    return m_nodes.at(size_t(i)).process->processId();
}

qint64 SentinelCluster::sentinelPid(int i) const
{
    return m_sentinels.at(size_t(i)).process->processId();
}

void SentinelCluster::killNode(int i)
{
    QProcess &p = *m_nodes.at(size_t(i)).process;
    p.kill();
    p.waitForFinished(5000);
}

bool SentinelCluster::restartNodeAsReplicaOf(int i, const HostPort &master, QString *why)
{
    Server &s = m_nodes.at(size_t(i));
    return startServer(s,
                       {QStringLiteral("--port"), QString::number(s.port), QStringLiteral("--bind"),
                        QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                        QStringLiteral("--appendonly"), QStringLiteral("no"), QStringLiteral("--dbfilename"),
                        QStringLiteral("node%1.rdb").arg(i), QStringLiteral("--replicaof"), master.host,
                        QString::number(master.port)},
                       why);
}

std::optional<HostPort> SentinelCluster::masterAddress() const
{
    auto m = sentinel::resolveMaster(endpoint());
    return m ? std::optional<HostPort>(*m) : std::nullopt;
}

bool SentinelCluster::waitForFailover(const HostPort &old, int timeoutMs) const
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        bool moved = true;
        for (const Server &s : m_sentinels) {
            RedisEndpoint one = endpoint();
            one.sentinels = {HostPort{QStringLiteral("127.0.0.1"), s.port}};
            auto m = sentinel::resolveMaster(one);
            if (m && *m == old)
                moved = false;
        }
        if (moved)
            return true;
        QThread::msleep(kPollMs);
    }
    return false;
}

bool SentinelCluster::waitForReplicas(const HostPort &master, int replicas, int timeoutMs) const
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (auto c = RedisConnection::open(plain(master))) {
            if (auto r = sentinel::replication(**c)) {
                int online = 0;
                for (const sentinel::Replica &rep : r->replicas)
                    online += rep.state == QLatin1String("online") ? 1 : 0;
                if (online >= replicas)
                    return true;
            }
        }
        QThread::msleep(kPollMs);
    }
    return false;
}

} // namespace mldeck::test
