#pragma once

// A Redis Sentinel set-up of a test's own: one master, one replica and N sentinels (redis-server and
// redis-server --sentinel) on free loopback ports in a temporary directory, stopped when destroyed
// (also when the test fails). Sentinels declare a node down after 1 s and fail over quickly.
#include "core/config/Endpoints.h"

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <optional>
#include <vector>

namespace mldeck::test {

class SentinelCluster
{
public:
    explicit SentinelCluster(QString masterName = QStringLiteral("mymaster"));
    ~SentinelCluster();
    SentinelCluster(const SentinelCluster &) = delete;
    SentinelCluster &operator=(const SentinelCluster &) = delete;

    // Starts node 0 (master), node 1 (its replica) and the sentinels, then waits until every sentinel
    // sees the others and the replica, and the replica is in sync. On failure *why says what went wrong.
    bool start(QString *why, int sentinels = 3);

    RedisEndpoint endpoint() const; // the redis-sentinel:// endpoint (not resolved)
    QString url() const;
    HostPort node(int i) const;
    qint64 nodePid(int i) const;
    qint64 sentinelPid(int i) const;
    int sentinelCount() const { return int(m_sentinels.size()); }

    void killNode(int i); // SIGKILL: no goodbye to replicas or sentinels
    // Starts node i again, as a replica of master (what Sentinel would make of a returning old master).
    bool restartNodeAsReplicaOf(int i, const HostPort &master, QString *why);

    // The master as the first sentinel that answers names it.
    std::optional<HostPort> masterAddress() const;
    // Waits until every reachable sentinel names a master other than old; true when they do.
    bool waitForFailover(const HostPort &old, int timeoutMs) const;
    // Waits until the master at `master` reports `replicas` replicas online.
    bool waitForReplicas(const HostPort &master, int replicas, int timeoutMs) const;

    static int freePort();

private:
    struct Server
    {
        std::unique_ptr<QProcess> process;
        int port = 0;
    };
    bool startServer(Server &s, const QStringList &args, QString *why);
    bool waitForSentinels(int timeoutMs, QString *why) const;

    QString m_masterName;
    QTemporaryDir m_dir;
    std::vector<Server> m_nodes;
    std::vector<Server> m_sentinels;
};

} // namespace mldeck::test
