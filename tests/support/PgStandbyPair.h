#pragma once

#include "core/config/Endpoints.h"

#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace mldeck::test {

// A PostgreSQL primary (wal_level=replica) and a hot standby cloned from it with `pg_basebackup -R`,
// both private to one test: free ports on 127.0.0.1, a temporary directory, stopped (and removed) when
// this goes out of scope, also when the test fails (and, should the test process crash, by the next pair
// started on this machine). As root, the server programs run as `postgres`.
// Both servers log every statement with the session's application name first ("[mldeck-kpi] ..."),
// so a test can tell which of them served what.
class PgStandbyPair final
{
public:
    PgStandbyPair();
    ~PgStandbyPair();
    PgStandbyPair(const PgStandbyPair &) = delete;
    PgStandbyPair &operator=(const PgStandbyPair &) = delete;

    // initdb, start the primary, clone it, start the standby and wait until it accepts reads (about 5 s).
    bool start(QString *why);

    PgEndpoint primary() const; // superuser mldeck, with its password, database "mldeck"
    PgEndpoint standby() const; // the same role and database on the standby

    bool stopStandby(QString *why);  // pg_ctl stop -m fast
    bool startStandby(QString *why); // again, on the same port

    // Waits until the standby has replayed everything the primary wrote so far.
    bool waitReplayed(int timeoutMs, QString *why);

    // What each server logged so far.
    QString primaryLog() const;
    QString standbyLog() const;

private:
    bool run(const QStringList &command, QString *why, int timeoutMs = 60000) const;
    bool startServer(const QString &dataDir, int port, const QString &log, QString *why) const;
    void stopServer(const QString &dataDir) const;
    void stopLeftovers() const; // pairs of earlier test processes that died without stopping them

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_bin; // /usr/lib/postgresql/<version>/bin
    QString m_password;
    int m_primaryPort = 0;
    int m_standbyPort = 0;
    bool m_primaryStarted = false;
    bool m_standbyStarted = false;
};

} // namespace mldeck::test
