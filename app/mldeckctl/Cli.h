#pragma once

#include "core/config/Endpoints.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QStringList>

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

    // Parses the verb's arguments. Returns an exit code when the verb must stop now
    // (--help printed: 0; bad usage: 2, with the error on stderr).
    std::optional<int> parse(QCommandLineParser &parser, const QString &description) const;

    // Connection from --redis/--pg, else MLDECK_REDIS_URL/MLDECK_PG_URL, else the local default.
    Result<RedisEndpoint> redis(const QCommandLineParser &parser) const;
    Result<PgEndpoint> pg(const QCommandLineParser &parser) const;

    static void out(const QString &line);              // stdout, one line
    static void outJson(const QJsonDocument &doc);     // stdout, indented JSON
    static int fail(const QString &message, int code = UsageOrConnection); // stderr, one line

private:
    QStringList m_args;
};

} // namespace mldeck::cli
