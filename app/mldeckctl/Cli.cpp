#include "app/mldeckctl/Cli.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Deployment.h"
#include "core/services/KeptReadConnection.h"
#include "core/store/pg/DeploymentStore.h"

#include <QCoreApplication>
#include <QTextStream>
#include <QUrl>
#include <QUrlQuery>

#include <cstdio>
#include <cstring>

namespace mldeck::cli {

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

// Connection from --redis/--pg, else MLDECK_REDIS_URL/MLDECK_PG_URL, else the local default.
static Result<RedisEndpoint> redisOf(const QCommandLineParser &parser)
{
    const QString url = fromOptionOrEnv(parser, QStringLiteral("redis"), "MLDECK_REDIS_URL");
    if (url.isEmpty())
        return RedisEndpoint{};
    return RedisEndpoint::fromUrl(url);
}

Result<PgEndpoint> Invocation::pgEndpointOf() const
{
    const QString url = fromOptionOrEnv(m_parser, QStringLiteral("pg"), "MLDECK_PG_URL");
    if (url.isEmpty())
        return Error{Text::tr("No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.")};
    return PgEndpoint::fromUrl(url);
}

// A password typed into --pg or --redis can be read by every user of the machine in the process list
// (/proc/PID/cmdline) and stays in the shell's history: say so, and where it belongs instead.
static void warnAboutPasswordInOption(const QCommandLineParser &parser, const QString &option)
{
    if (!parser.optionNames().contains(option) || !parser.isSet(option))
        return;
    const QUrl url(parser.value(option));
    if (option == QLatin1String("redis")) { // one parser for Redis URLs (a sentinel list is no QUrl host)
        const auto redis = RedisEndpoint::fromUrl(parser.value(option));
        if (!redis || redis->password.isEmpty())
            return;
    } else if (url.password().isEmpty() && !QUrlQuery(url).hasQueryItem(QStringLiteral("password")))
        return;
    if (option == QLatin1String("pg-read"))
        Context::warn(Text::tr("--pg-read carries a password, which other users of this machine can read in the "
                               "process list: leave it out (the primary's is used), or set MLDECK_PG_READ_URL."));
    else if (option == QLatin1String("pg"))
        Context::warn(Text::tr("--pg carries a password, which other users of this machine can read in the process "
                               "list: set MLDECK_PG_URL instead, or keep the password in ~/.pgpass (PGPASSFILE)."));
    else
        Context::warn(Text::tr("--redis carries a password, which other users of this machine can read in the process "
                               "list: set MLDECK_REDIS_URL instead."));
}

Invocation::Invocation(const Context &ctx, unsigned needs, QString pgApplicationName)
    : m_ctx(ctx), m_needs(needs), m_pgApplicationName(std::move(pgApplicationName))
{
    // First, so that the verb's own options follow it in --help.
    if (this->needs(Deployment))
        m_parser.addOption({QStringLiteral("deployment"),
                            Text::tr("Deployment name (default: %1).").arg(QLatin1String(kDefaultDeployment)),
                            QStringLiteral("name"), QLatin1String(kDefaultDeployment)});
}

Invocation::~Invocation() = default;

Result<PgConnection *> Invocation::readPg(ReadSource &source)
{
    if (!m_replica.endpoint) { // no replica: the verb's own session, as always
        source = ReadSource{};
        source.lagSeconds = 0.0;
        source.where = m_pgEndpoint.display();
        return m_pg.get();
    }
    if (!m_read) {
        m_read = std::make_unique<KeptReadConnection>(m_pgApplicationName + QStringLiteral("-read"));
        m_primaryForReads = std::make_unique<KeptPgConnection>(m_pgApplicationName);
    }
    return m_read->get(*m_primaryForReads, m_pgEndpoint, m_replica, source);
}

bool Invocation::json() const
{
    return needs(Json) && m_parser.isSet(QStringLiteral("json"));
}

std::optional<int> Invocation::start(const QString &description)
{
    if (needs(PgOption))
        m_parser.addOption(
            {QStringLiteral("pg"), Text::tr("PostgreSQL URL (default: $MLDECK_PG_URL)."), QStringLiteral("url")});
    if (needs(PgUrl))
        m_parser.addOption({QStringLiteral("pg-read"),
                            Text::tr("Hot standby for the heavy reads (default: $MLDECK_PG_READ_URL; none: the "
                                     "primary)."),
                            QStringLiteral("url")});
    if (needs(Redis))
        m_parser.addOption(
            {QStringLiteral("redis"), Text::tr("Redis URL (default: $MLDECK_REDIS_URL)."), QStringLiteral("url")});
    if (needs(Json))
        m_parser.addOption({QStringLiteral("json"), Text::tr("Print machine-readable JSON.")});
    if (auto code = m_ctx.parse(m_parser, description))
        return code;
    warnAboutPasswordInOption(m_parser, QStringLiteral("pg"));
    warnAboutPasswordInOption(m_parser, QStringLiteral("pg-read"));
    warnAboutPasswordInOption(m_parser, QStringLiteral("redis"));
    if (needs(Deployment)) {
        m_deployment = m_parser.value(QStringLiteral("deployment"));
        if (!isValidDeploymentName(m_deployment))
            return Context::fail(Text::tr("\"%1\" is not a valid deployment name (lower-case letter first, then a-z, "
                                          "0-9, _ or -).")
                                     .arg(m_deployment));
    }
    if (needs(Redis)) {
        auto endpoint = redisOf(m_parser);
        if (!endpoint)
            return Context::fail(endpoint.errorMessage());
        m_redis = *endpoint;
    }
    if (needs(PgUrl)) {
        auto endpoint = pgEndpointOf();
        if (!endpoint)
            return Context::fail(endpoint.errorMessage());
        m_pgEndpoint = *endpoint;
        auto replica = ReadReplica::fromEnvironment();
        if (replica && m_parser.isSet(QStringLiteral("pg-read")))
            replica = ReadReplica::fromUrl(m_parser.value(QStringLiteral("pg-read")), replica->maxLagSeconds);
        if (!replica)
            return Context::fail(replica.errorMessage());
        m_replica = *replica;
    }
    if (needs(Pg)) {
        auto conn = PgConnection::open(m_pgEndpoint, m_pgApplicationName);
        if (!conn)
            return Context::fail(conn.errorMessage());
        m_pg = std::move(conn).value();
        // The one check of the deployment every verb takes: unknown and archived ones stop here with
        // the same line. Verbs without a connection (flags rollback works while PostgreSQL is down) skip it.
        if (needs(Deployment))
            if (Status active = DeploymentStore(*m_pg).requireActive(m_deployment); !active)
                return Context::fail(active.errorMessage());
    }
    return std::nullopt;
}

QDateTime Context::parseUtc(const QString &text)
{
    QDateTime at = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (at.isValid() && at.timeSpec() == Qt::LocalTime)
        at = QDateTime(at.date(), at.time(), Qt::UTC);
    return at;
}

Result<QDateTime> Context::timeOption(const QCommandLineParser &parser, const QString &name)
{
    if (!parser.isSet(name))
        return QDateTime();
    const QDateTime at = parseUtc(parser.value(name));
    if (!at.isValid())
        return Error{Text::tr("--%1 must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not \"%2\".")
                         .arg(name, parser.value(name))};
    return at;
}

void Context::out(const QString &line)
{
    QTextStream(stdout) << line << (line.endsWith(QLatin1Char('\n')) ? "" : "\n");
}

void Context::outJson(const QJsonDocument &doc)
{
    QTextStream(stdout) << doc.toJson(QJsonDocument::Indented);
}

int Context::printUsage(const QString &text, int code)
{
    QTextStream(code == Success ? stdout : stderr) << text << (text.endsWith(QLatin1Char('\n')) ? "" : "\n");
    return code;
}

void Context::warn(const QString &message)
{
    QTextStream(stderr) << "mldeckctl: " << Text::tr("warning: %1").arg(message.simplified()) << "\n";
}

int Context::fail(const QString &message, int code)
{
    QString oneLine = message.simplified();
    QTextStream(stderr) << "mldeckctl: " << oneLine << "\n";
    return code;
}

void hidePasswordsInArguments(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        // A query's password=... (up to the next '&' or '#').
        for (char *p = std::strstr(argv[i], "password="); p; p = std::strstr(p + 1, "password=")) {
            if (p == argv[i] || (p[-1] != '?' && p[-1] != '&'))
                continue;
            char *value = p + std::strlen("password=");
            std::memset(value, '*', std::strcspn(value, "&#"));
        }
        char *scheme = std::strstr(argv[i], "://");
        if (!scheme)
            continue;
        // The user part ends at the authority's last '@' (a typed password may hold an unencoded '@').
        char *authority = scheme + 3;
        const size_t authorityLength = std::strcspn(authority, "/?#");
        char *at = nullptr;
        for (char *c = authority; c < authority + authorityLength; ++c)
            if (*c == '@')
                at = c;
        if (!at)
            continue;
        char *colon = static_cast<char *>(std::memchr(authority, ':', size_t(at - authority)));
        if (colon)
            std::memset(colon + 1, '*', size_t(at - colon - 1));
    }
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
