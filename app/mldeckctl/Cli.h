#pragma once

#include "core/config/Endpoints.h"
#include "core/config/ReadReplica.h"
#include "core/services/ReadSource.h"
#include "core/store/pg/PgConnection.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonDocument>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace mldeck {
class KeptPgConnection;
class KeptReadConnection;
} // namespace mldeck

namespace mldeck::cli {

// Exit codes every verb follows.
enum ExitCode : int
{
    Success = 0,
    CheckFailed = 1,
    UsageOrConnection = 2
};

// What a verb gets: its own arguments (argv[0] is "mldeckctl <verb>") and shared helpers.
class Context
{
public:
    explicit Context(QStringList verbArgs) : m_args(std::move(verbArgs)) {}

    const QStringList &args() const { return m_args; }

    // Parses the verb's arguments. Returns an exit code when the verb must stop now
    // (--help printed: 0; bad usage: 2, with the error on stderr).
    std::optional<int> parse(QCommandLineParser &parser, const QString &description) const;

    // ISO 8601 date-time; without an offset it is UTC (ops scripts mean UTC). Invalid when it is none.
    static QDateTime parseUtc(const QString &text);
    // The option --name read with parseUtc: an invalid QDateTime when it is not given, an error when it is not ISO.
    static Result<QDateTime> timeOption(const QCommandLineParser &parser, const QString &name);

    static void out(const QString &line);                                  // stdout, one line
    static void outJson(const QJsonDocument &doc);                         // stdout, indented JSON
    static int fail(const QString &message, int code = UsageOrConnection); // stderr, one line
    static void warn(const QString &message);                              // stderr, "mldeckctl: warning: ..."
    // A verb's usage text as it is: on stdout for --help (code 0), else on stderr. Returns code.
    static int printUsage(const QString &text, int code);

private:
    QStringList m_args;
};

// The one preamble of every verb: the needs are declared up front, the verb adds its own options and
// positionals to parser(), then start() adds the declared options, parses, and resolves and opens
// what was declared. Any failure prints one line and start() returns the exit code.
class Invocation
{
public:
    enum Need : unsigned
    {
        Deployment = 1,  // --deployment NAME (default: the demo deployment), validated
        Redis = 2,       // --redis URL, else MLDECK_REDIS_URL, else the local default
        PgOption = 4,    // --pg URL only: the verb resolves it with pgEndpointOf() when it needs it
        PgUrl = 8 | 4,   // --pg URL, else MLDECK_PG_URL (required), not opened
        Pg = 16 | 8 | 4, // the same, opened under the application name given to the constructor
        Json = 32,       // --json
    };

    // pgApplicationName shows in pg_stat_activity (e.g. "mldeckctl-kpi"); used with Pg.
    Invocation(const Context &ctx, unsigned needs, QString pgApplicationName = {});
    ~Invocation();

    QCommandLineParser &parser() { return m_parser; }
    const QCommandLineParser &parser() const { return m_parser; }

    // Stops the verb with an exit code (help printed, bad usage, invalid deployment, no connection).
    std::optional<int> start(const QString &description);

    const QString &deployment() const { return m_deployment; }
    const RedisEndpoint &redis() const { return m_redis; }
    const PgEndpoint &pgEndpoint() const { return m_pgEndpoint; }
    PgConnection &pg() const { return *m_pg; }
    // Hands the connection over to an owner that outlives the invocation's use of it.
    std::unique_ptr<PgConnection> takePg() { return std::move(m_pg); }
    bool json() const;
    // --pg, else MLDECK_PG_URL; an error when neither is given.
    Result<PgEndpoint> pgEndpointOf() const;
    // With PgUrl: --pg-read, else MLDECK_PG_READ_URL (none: every read on the primary); MLDECK_PG_READ_MAX_LAG.
    const ReadReplica &readReplica() const { return m_replica; }
    // With Pg: the session for the verb's heavy reads (KeptReadConnection): the standby when one is
    // configured and answers, else the primary; source says which and the lag.
    Result<PgConnection *> readPg(ReadSource &source);

private:
    bool needs(Need n) const { return (m_needs & n) == n; }

    const Context &m_ctx;
    unsigned m_needs;
    QString m_pgApplicationName;
    QCommandLineParser m_parser;
    QString m_deployment;
    RedisEndpoint m_redis;
    PgEndpoint m_pgEndpoint;
    std::unique_ptr<PgConnection> m_pg;
    ReadReplica m_replica;
    std::unique_ptr<KeptReadConnection> m_read;
    std::unique_ptr<KeptPgConnection> m_primaryForReads; // opened only when a read falls back
};

// A sub-command of a verb, e.g. "status" in `mldeckctl flags status`.
struct SubVerb
{
    const char *name;
    std::function<int(Context &)> run;
};

// Overwrites with '*' the password of every URL among the process's own arguments (scheme://user:password@...),
// so that the process list shows it only for the moment before main() reads them. Call after the
// arguments were copied (QCoreApplication::arguments()).
void hidePasswordsInArguments(int argc, char **argv);

// Runs `mldeckctl <verb> <sub> [options]`: the sub-verb gets its own Context (argv[0] is
// "mldeckctl <verb> <sub>"). No sub-verb, --help or an unknown one prints usage(code): exit 0
// for --help, 2 otherwise.
int dispatch(const Context &ctx, const std::vector<SubVerb> &subs, const std::function<int(int code)> &usage);

} // namespace mldeck::cli
