#pragma once

#include "core/domain/Result.h"

#include <QList>
#include <QString>

namespace mldeck {

// One server address.
struct HostPort
{
    QString host;
    int port = 0;

    QString display() const; // host:port, [v6]:port
    bool operator==(const HostPort &) const = default;
};

// Where Redis is. Parsed from redis://[[user]:password@]host[:port][/db], or, behind Sentinel, from
// redis-sentinel://[[user]:password@]host1[:26379],host2[:26379]/MASTERNAME[?db=N]: the sentinels are asked
// in order for the master's address (resources/contract/sentinel.md). The same user and password log in
// to the sentinels and to the data nodes.
struct RedisEndpoint
{
    QString host = QStringLiteral("127.0.0.1"); // sentinel mode: "" until resolved, then the master's host
    int port = 6379;
    QString user;
    QString password;
    int db = 0;
    int timeoutMs = 2000;      // connect and command timeout
    QList<HostPort> sentinels; // sentinel mode: asked in this order
    QString masterName;        // sentinel mode: the name the sentinels monitor

    static constexpr int kDefaultSentinelPort = 26379;

    static Result<RedisEndpoint> fromUrl(const QString &url);
    QString toUrl(bool withPassword = false) const;
    QString display() const; // host:port, for messages; sentinel mode: the sentinels and master name
    bool isSentinel() const { return !masterName.isEmpty(); }
    // The same endpoint pointed at one node (a resolved master, or one sentinel when db is 0 and the
    // sentinel fields are cleared by the caller).
    RedisEndpoint atNode(const HostPort &node) const;
};

// Where PostgreSQL is. Parsed from postgresql://user[:password]@host[:port]/db[?sslmode=...&sslrootcert=FILE].
struct PgEndpoint
{
    QString host = QStringLiteral("127.0.0.1");
    int port = 5432;
    QString database = QStringLiteral("mldeck");
    QString user;
    QString password;
    QString sslMode = QStringLiteral("prefer");
    QString
        sslRootCert; // CA file the server's certificate must chain to (verify-ca, verify-full); "" = libpq's default
    int connectTimeoutS = 5;

    static Result<PgEndpoint> fromUrl(const QString &url);
    QString toUrl(bool withPassword = false) const;
    QString toConnInfo(const QString &applicationName = QStringLiteral("mldeck")) const; // libpq key=value
    QString display() const;

    // verify-ca and verify-full check the server's certificate against a CA file.
    bool verifiesCertificate() const;
    // The CA file libpq will read: sslRootCert, else ~/.postgresql/root.crt.
    QString effectiveRootCert() const;
    // Before connecting: the CA file given exists and is readable, and a verifying sslmode has one.
    Status checkTlsFiles() const;
};

} // namespace mldeck
