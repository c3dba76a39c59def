#include "app/mldeckctl/Cli.h"

#include "core/domain/Deployment.h"
#include "app/mldeckctl/Text.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace mldeck::cli {

void Context::addRedisOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("redis"),
                      Text::tr("Redis URL (default: $MLDECK_REDIS_URL)."),
                      QStringLiteral("url")});
}

void Context::addPgOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("pg"),
                      Text::tr("PostgreSQL URL (default: $MLDECK_PG_URL)."),
                      QStringLiteral("url")});
}

void Context::addJsonOption(QCommandLineParser &parser)
{
    parser.addOption(
        {QStringLiteral("json"), Text::tr("Print machine-readable JSON.")});
}

void Context::addDeploymentOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("deployment"),
                      Text::tr("Deployment name (default: %1).")
                          .arg(QLatin1String(kDefaultDeployment)),
                      QStringLiteral("name"), QLatin1String(kDefaultDeployment)});
}

Result<QString> Context::deployment(const QCommandLineParser &parser)
{
    const QString d = parser.value(QStringLiteral("deployment"));
    if (!isValidDeploymentName(d))
        return Error{Text::tr("\"%1\" is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -).")
                         .arg(d)};
    return d;
}

std::optional<int> Context::parse(QCommandLineParser &parser, const QString &description) const
{
    parser.setApplicationDescription(description);
    parser.addHelpOption();
    if (!parser.parse(m_args))
        return fail(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        // Qt names the binary's path; the user typed "mldeckctl <verb> <sub>".
        QString help = parser.helpText();
        help.replace(QCoreApplication::arguments().constFirst(), m_args.constFirst());
        out(help);
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
        return Error{Text::tr("No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.")};
    return PgEndpoint::fromUrl(url);
}

Result<std::unique_ptr<PgConnection>> Context::openPg(const QCommandLineParser &parser,
                                                     const QString &applicationName) const
{
    const auto endpoint = pg(parser);
    if (!endpoint)
        return endpoint.error();
    return PgConnection::open(*endpoint, applicationName);
}

QDateTime Context::parseUtc(const QString &text)
{
    QDateTime at = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (at.isValid() && at.timeSpec() == Qt::LocalTime)
        at = QDateTime(at.date(), at.time(), Qt::UTC);
    return at;
}

void Context::out(const QString &line)
{
    QTextStream(stdout) << line << (line.endsWith(QLatin1Char('\n')) ? "" : "\n");
}

void Context::outJson(const QJsonDocument &doc) { QTextStream(stdout) << doc.toJson(QJsonDocument::Indented); }

int Context::printUsage(const QString &text, int code)
{
    QTextStream(code == Success ? stdout : stderr) << text << (text.endsWith(QLatin1Char('\n')) ? "" : "\n");
    return code;
}

int Context::fail(const QString &message, int code)
{
    QString oneLine = message.simplified();
    QTextStream(stderr) << "mldeckctl: " << oneLine << "\n";
    return code;
}

int dispatch(const Context &ctx, const std::vector<SubVerb> &subs, const std::function<int(int code)> &usage)
{
    const QStringList &args = ctx.args();
    if (args.size() < 2)
        return usage(UsageOrConnection);
    const QString sub = args.at(1);
    if (sub == QLatin1String("--help") || sub == QLatin1String("-h") || sub == QLatin1String("help"))
        return usage(Success);
    for (const SubVerb &s : subs) {
        if (sub == QLatin1String(s.name)) {
            QStringList subArgs = args.mid(2);
            subArgs.prepend(args.at(0) + QLatin1Char(' ') + sub);
            Context subCtx(subArgs);
            return s.run(subCtx);
        }
    }
    Context::fail(Text::tr("unknown command \"%1 %2\"").arg(args.at(0), sub));
    return usage(UsageOrConnection);
}

} // namespace mldeck::cli
