#include "app/mldeckctl/Cli.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace mldeck::cli {

void Context::addRedisOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("redis"),
                      QCoreApplication::translate("mldeckctl", "Redis URL (default: $MLDECK_REDIS_URL)."),
                      QStringLiteral("url")});
}

void Context::addPgOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("pg"),
                      QCoreApplication::translate("mldeckctl", "PostgreSQL URL (default: $MLDECK_PG_URL)."),
                      QStringLiteral("url")});
}

void Context::addJsonOption(QCommandLineParser &parser)
{
    parser.addOption(
        {QStringLiteral("json"), QCoreApplication::translate("mldeckctl", "Print machine-readable JSON.")});
}

std::optional<int> Context::parse(QCommandLineParser &parser, const QString &description) const
{
    parser.setApplicationDescription(description);
    parser.addHelpOption();
    if (!parser.parse(m_args))
        return fail(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        out(parser.helpText());
        return Success;
    }
    return std::nullopt;
}

static QString fromOptionOrEnv(const QCommandLineParser &parser, const QString &option, const char *env)
{
    if (parser.optionNames().contains(option) && parser.isSet(option))
        return parser.value(option);
    return qEnvironmentVariable(env);
}

Result<RedisEndpoint> Context::redis(const QCommandLineParser &parser) const
{
    const QString url = fromOptionOrEnv(parser, QStringLiteral("redis"), "MLDECK_REDIS_URL");
    if (url.isEmpty())
        return RedisEndpoint{};
    return RedisEndpoint::fromUrl(url);
}

Result<PgEndpoint> Context::pg(const QCommandLineParser &parser) const
{
    const QString url = fromOptionOrEnv(parser, QStringLiteral("pg"), "MLDECK_PG_URL");
    if (url.isEmpty())
        return Error{QCoreApplication::translate(
            "mldeckctl", "No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.")};
    return PgEndpoint::fromUrl(url);
}

void Context::out(const QString &line)
{
    QTextStream(stdout) << line << (line.endsWith(QLatin1Char('\n')) ? "" : "\n");
}

void Context::outJson(const QJsonDocument &doc) { QTextStream(stdout) << doc.toJson(QJsonDocument::Indented); }

int Context::fail(const QString &message, int code)
{
    QString oneLine = message.simplified();
    QTextStream(stderr) << "mldeckctl: " << oneLine << "\n";
    return code;
}

} // namespace mldeck::cli
