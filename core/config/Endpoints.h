#pragma once

#include "core/domain/Result.h"

#include <QString>

namespace mldeck {

// Where Redis is. Parsed from redis://[[user]:password@]host[:port][/db].
struct RedisEndpoint
{
    QString host = QStringLiteral("127.0.0.1");
    int port = 6379;
    QString user;
    QString password;
    int db = 0;
    int timeoutMs = 2000; // connect and command timeout

    static Result<RedisEndpoint> fromUrl(const QString &url);
    QString toUrl(bool withPassword = false) const;
    QString display() const; // host:port, for messages
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
