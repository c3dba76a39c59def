#pragma once

#include "core/config/Endpoints.h"
#include "core/store/pg/PgConnection.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonDocument>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace mldeck::cli {

// Exit codes every verb follows.
enum ExitCode : int { Success = 0, CheckFailed = 1, UsageOrConnection = 2 };

// What a verb gets: its own arguments (argv[0] is "mldeckctl <verb>") and shared helpers.
class Context
{
public:
    explicit Context(QStringList verbArgs) : m_args(std::move(verbArgs)) {}

    const QStringList &args() const { return m_args; }

    // Adds --redis and/or --pg (and --json) to a verb's parser.
    static void addRedisOption(QCommandLineParser &parser);
    static void addPgOption(QCommandLineParser &parser);
    static void addJsonOption(QCommandLineParser &parser);
    // --deployment NAME (default: the demo deployment), and its validated value.
    static void addDeploymentOption(QCommandLineParser &parser);
    static Result<QString> deployment(const QCommandLineParser &parser);

    // Parses the verb's arguments. Returns an exit code when the verb must stop now
    // (--help printed: 0; bad usage: 2, with the error on stderr).
    std::optional<int> parse(QCommandLineParser &parser, const QString &description) const;

    // Connection from --redis/--pg, else MLDECK_REDIS_URL/MLDECK_PG_URL, else the local default.
    Result<RedisEndpoint> redis(const QCommandLineParser &parser) const;
    Result<PgEndpoint> pg(const QCommandLineParser &parser) const;
    // pg() opened; applicationName shows in pg_stat_activity (e.g. "mldeckctl-kpi").
    Result<std::unique_ptr<PgConnection>> openPg(const QCommandLineParser &parser, const QString &applicationName) const;

    // ISO 8601 date-time; without an offset it is UTC (ops scripts mean UTC). Invalid when it is none.
    static QDateTime parseUtc(const QString &text);

    static void out(const QString &line);              // stdout, one line
    static void outJson(const QJsonDocument &doc);     // stdout, indented JSON
    static int fail(const QString &message, int code = UsageOrConnection); // stderr, one line
    // A verb's usage text as it is: on stdout for --help (code 0), else on stderr. Returns code.
    static int printUsage(const QString &text, int code);

private:
    QStringList m_args;
};

// A sub-command of a verb, e.g. "status" in `mldeckctl flags status`.
struct SubVerb
{
    const char *name;
    std::function<int(Context &)> run;
};

// Runs `mldeckctl <verb> <sub> [options]`: the sub-verb gets its own Context (argv[0] is
// "mldeckctl <verb> <sub>"). No sub-verb, --help or an unknown one prints usage(code): exit 0
// for --help, 2 otherwise.
int dispatch(const Context &ctx, const std::vector<SubVerb> &subs, const std::function<int(int code)> &usage);

} // namespace mldeck::cli
