#include "core/config/Endpoints.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

namespace mldeck {

namespace {

// libpq key=value quoting: single quotes, backslash-escaped.
QString quoteConnValue(const QString &v)
{
    QString out = v;
    out.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('\''), QStringLiteral("\\'"));
    return QLatin1Char('\'') + out + QLatin1Char('\'');
}

bool validPort(int port)
{
    return port > 0 && port < 65536;
}

// A URL as error messages show it: a password it carries is masked (messages reach logs and screens).
// The user part ends at the authority's last '@' (a typed password may hold an unencoded '@'); a
// password query item is masked too.
QString masked(const QString &url)
{
    QString out = url;
    if (const qsizetype scheme = out.indexOf(QLatin1String("://")); scheme >= 0) {
        const qsizetype start = scheme + 3;
        qsizetype end = out.size();
        for (const QChar c : {QLatin1Char('/'), QLatin1Char('?'), QLatin1Char('#')})
            if (const qsizetype i = out.indexOf(c, start); i >= 0)
                end = qMin(end, i);
        const qsizetype at = end > start ? out.lastIndexOf(QLatin1Char('@'), end - 1) : -1;
        const qsizetype colon = out.indexOf(QLatin1Char(':'), start);
        if (at >= start && colon >= start && colon < at)
            out.replace(colon + 1, at - colon - 1, QStringLiteral("***"));
    }
    static const QRegularExpression queryPassword(QStringLiteral("([?&]password=)[^&#]*"),
                                                  QRegularExpression::CaseInsensitiveOption);
    return out.replace(queryPassword, QStringLiteral("\\1***"));
}

// A host as QUrl accepts it (name, IPv4, bracket-less IPv6); "" when it is not one.
QString checkedHost(const QString &host)
{
    QUrl u;
    u.setHost(host, QUrl::StrictMode);
    return u.isValid() ? u.host() : QString();
}

const QString kSentinelScheme = QStringLiteral("redis-sentinel://");

QString sentinelUsage()
{
    return ConfigText::tr("expected redis-sentinel://[user:password@]host1[:26379],host2[:26379]/MASTERNAME[?db=N]");
}

// redis-sentinel://[user[:password]@]host[:port][,host[:port]…]/master[?db=N]. QUrl takes one host only,
// so the authority is split here; user, password and master name are percent-decoded as QUrl does.
Result<RedisEndpoint> fromSentinelUrl(const QString &url)
{
    const auto bad = [&url](const QString &why) {
        return Error{
            ConfigText::tr("Not a Redis Sentinel URL: \"%1\": %2 (%3).").arg(masked(url), why, sentinelUsage())};
    };
    const QString rest = url.mid(kSentinelScheme.size());
    qsizetype authorityEnd = rest.size();
    for (const QChar c : {QLatin1Char('/'), QLatin1Char('?'), QLatin1Char('#')})
        if (const qsizetype i = rest.indexOf(c); i >= 0)
            authorityEnd = qMin(authorityEnd, i);
    QString authority = rest.left(authorityEnd);
    const QString afterAuthority = rest.mid(authorityEnd);

    RedisEndpoint e;
    e.host.clear();
    if (const qsizetype at = authority.lastIndexOf(QLatin1Char('@')); at >= 0) {
        const QString userInfo = authority.left(at);
        authority = authority.mid(at + 1);
        const qsizetype colon = userInfo.indexOf(QLatin1Char(':'));
        e.user = QUrl::fromPercentEncoding(userInfo.left(colon).toUtf8());
        if (colon >= 0)
            e.password = QUrl::fromPercentEncoding(userInfo.mid(colon + 1).toUtf8());
    }
    if (authority.trimmed().isEmpty())
        return bad(ConfigText::tr("no sentinel given"));
    for (const QString &item : authority.split(QLatin1Char(','))) {
        QString host = item;
        QString portText;
        if (item.startsWith(QLatin1Char('['))) { // [v6]:port
            const qsizetype close = item.indexOf(QLatin1Char(']'));
            if (close < 0)
                return bad(ConfigText::tr("unclosed [ in sentinel \"%1\"").arg(item));
            host = item.mid(1, close - 1);
            const QString tail = item.mid(close + 1);
            if (!tail.isEmpty() && !tail.startsWith(QLatin1Char(':')))
                return bad(ConfigText::tr("bad sentinel \"%1\"").arg(item));
            portText = tail.mid(1);
        } else if (const qsizetype colon = item.lastIndexOf(QLatin1Char(':')); colon >= 0) {
            host = item.left(colon);
            portText = item.mid(colon + 1);
        }
        const QString checked = checkedHost(host);
        if (host.isEmpty() || checked.isEmpty())
            return bad(ConfigText::tr("\"%1\" is not a host name or address").arg(item));
        HostPort node{checked, RedisEndpoint::kDefaultSentinelPort};
        if (!portText.isNull()) {
            bool ok = false;
            node.port = portText.toInt(&ok);
            if (!ok || !validPort(node.port))
                return bad(ConfigText::tr("sentinel port \"%1\" is not a number from 1 to 65535").arg(portText));
        }
        e.sentinels.append(node);
    }

    qsizetype queryStart = afterAuthority.indexOf(QLatin1Char('?'));
    const QString path = afterAuthority.left(queryStart < 0 ? afterAuthority.size() : queryStart);
    const QString master = QUrl::fromPercentEncoding(path.mid(1).toUtf8());
    if (master.isEmpty())
        return bad(ConfigText::tr("no master name after the sentinels"));
    if (master.contains(QLatin1Char('/')) || master.contains(QLatin1Char('#')) ||
        master.contains(QRegularExpression(QStringLiteral("\\s"))))
        return bad(ConfigText::tr("\"%1\" is not a master name").arg(master));
    e.masterName = master;
    if (queryStart >= 0) {
        const QUrlQuery q(afterAuthority.mid(queryStart + 1));
        for (const auto &[key, value] : q.queryItems(QUrl::FullyDecoded)) {
            if (key != QLatin1String("db"))
                return bad(ConfigText::tr("unknown option \"%1\"").arg(key));
            bool ok = false;
            e.db = value.toInt(&ok);
            if (!ok || e.db < 0)
                return bad(ConfigText::tr("the database must be a number"));
        }
    }
    return e;
}

} // namespace

Result<RedisEndpoint> RedisEndpoint::fromUrl(const QString &url)
{
    if (url.startsWith(kSentinelScheme, Qt::CaseInsensitive))
        return fromSentinelUrl(url);
    const QUrl u(url, QUrl::StrictMode);
    if (!u.isValid() || u.scheme() != QLatin1String("redis") || u.host().isEmpty())
        return Error{ConfigText::tr("Not a Redis URL: \"%1\" (expected redis://[user:password@]host[:port][/db]).")
                         .arg(masked(url))};
    RedisEndpoint e;
    e.host = u.host();
    e.port = u.port(6379);
    if (!validPort(e.port))
        return Error{ConfigText::tr("Redis port out of range in \"%1\".").arg(masked(url))};
    e.user = u.userName();
    e.password = u.password();
    const QString path = u.path().mid(1);
    if (!path.isEmpty()) {
        bool ok = false;
        e.db = path.toInt(&ok);
        if (!ok || e.db < 0)
            return Error{ConfigText::tr("Redis database must be a number in \"%1\".").arg(masked(url))};
    }
    return e;
}

QString RedisEndpoint::toUrl(bool withPassword) const
{
    if (isSentinel()) {
        QString out = kSentinelScheme;
        const bool showPassword = withPassword && !password.isEmpty();
        if (!user.isEmpty() || showPassword) {
            out += QString::fromLatin1(QUrl::toPercentEncoding(user));
            if (showPassword)
                out += QLatin1Char(':') + QString::fromLatin1(QUrl::toPercentEncoding(password));
            out += QLatin1Char('@');
        }
        QStringList nodes;
        for (const HostPort &s : sentinels)
            nodes << s.display();
        out +=
            nodes.join(QLatin1Char(',')) + QLatin1Char('/') + QString::fromLatin1(QUrl::toPercentEncoding(masterName));
        if (db != 0)
            out += QStringLiteral("?db=") + QString::number(db);
        return out;
    }
    QUrl u;
    u.setScheme(QStringLiteral("redis"));
    u.setHost(host);
    u.setPort(port);
    u.setUserName(user);
    if (withPassword)
        u.setPassword(password);
    if (db != 0)
        u.setPath(QLatin1Char('/') + QString::number(db));
    return u.toString(QUrl::FullyEncoded); // a password with a space or '@' stays one URL
}

QString RedisEndpoint::display() const
{
    if (!isSentinel())
        return host + QLatin1Char(':') + QString::number(port);
    const QString node = HostPort{host, port}.display();
    if (!host.isEmpty()) // resolved: the master, named as the sentinels know it
        return node + QStringLiteral(" (") + masterName + QLatin1Char(')');
    QStringList nodes;
    for (const HostPort &s : sentinels)
        nodes << s.display();
    return masterName + QStringLiteral(" via sentinels ") + nodes.join(QLatin1Char(','));
}

RedisEndpoint RedisEndpoint::atNode(const HostPort &node) const
{
    RedisEndpoint e = *this;
    e.host = node.host;
    e.port = node.port;
    return e;
}

QString HostPort::display() const
{
    const QString h = host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    return h + QLatin1Char(':') + QString::number(port);
}

Result<PgEndpoint> PgEndpoint::fromUrl(const QString &url)
{
    const QUrl u(url, QUrl::StrictMode);
    const bool schemeOk = u.scheme() == QLatin1String("postgresql") || u.scheme() == QLatin1String("postgres");
    if (!u.isValid() || !schemeOk || u.host().isEmpty())
        return Error{
            ConfigText::tr("Not a PostgreSQL URL: \"%1\" (expected postgresql://user[:password]@host[:port]/database).")
                .arg(masked(url))};
    PgEndpoint e;
    e.host = u.host();
    e.port = u.port(5432);
    if (!validPort(e.port))
        return Error{ConfigText::tr("PostgreSQL port out of range in \"%1\".").arg(masked(url))};
    e.user = u.userName();
    e.password = u.password();
    const QString db = u.path().mid(1);
    if (!db.isEmpty())
        e.database = db;
    const QUrlQuery q(u);
    // A password in the query would be dropped here and shown by every tool that prints the URL.
    if (q.hasQueryItem(QStringLiteral("password")))
        return Error{ConfigText::tr("The PostgreSQL URL \"%1\" carries password= in its query: give the password "
                                    "as user:password@host, in MLDECK_PG_URL, or in ~/.pgpass.")
                         .arg(masked(url))};
    if (q.hasQueryItem(QStringLiteral("sslmode")))
        e.sslMode = q.queryItemValue(QStringLiteral("sslmode"), QUrl::FullyDecoded);
    if (q.hasQueryItem(QStringLiteral("sslrootcert")))
        e.sslRootCert = q.queryItemValue(QStringLiteral("sslrootcert"), QUrl::FullyDecoded);
    if (q.hasQueryItem(QStringLiteral("connect_timeout")))
        e.connectTimeoutS = q.queryItemValue(QStringLiteral("connect_timeout")).toInt();
    return e;
}

QString PgEndpoint::toUrl(bool withPassword) const
{
    QUrl u;
    u.setScheme(QStringLiteral("postgresql"));
    u.setHost(host);
    u.setPort(port);
    u.setUserName(user);
    if (withPassword)
        u.setPassword(password);
    u.setPath(QLatin1Char('/') + database);
    QStringList query; // percent-encoded by hand: a file name may hold '&', '=', '%' or spaces
    if (sslMode != QLatin1String("prefer"))
        query << QStringLiteral("sslmode=") + QString::fromLatin1(QUrl::toPercentEncoding(sslMode));
    if (!sslRootCert.isEmpty())
        query << QStringLiteral("sslrootcert=") + QString::fromLatin1(QUrl::toPercentEncoding(sslRootCert, "/"));
    if (!query.isEmpty())
        u.setQuery(query.join(QLatin1Char('&')), QUrl::StrictMode);
    return u.toString(QUrl::FullyEncoded); // a password with a space or '@' stays one URL
}

QString PgEndpoint::toConnInfo(const QString &applicationName) const
{
    QString s = QStringLiteral("host=") + quoteConnValue(host) + QStringLiteral(" port=") + QString::number(port) +
                QStringLiteral(" dbname=") + quoteConnValue(database);
    if (!user.isEmpty())
        s += QStringLiteral(" user=") + quoteConnValue(user);
    if (!password.isEmpty())
        s += QStringLiteral(" password=") + quoteConnValue(password);
    s += QStringLiteral(" sslmode=") + quoteConnValue(sslMode);
    if (!sslRootCert.isEmpty())
        s += QStringLiteral(" sslrootcert=") + quoteConnValue(sslRootCert);
    s += QStringLiteral(" connect_timeout=") + QString::number(connectTimeoutS) + QStringLiteral(" application_name=") +
         quoteConnValue(applicationName);
    return s;
}

QString PgEndpoint::display() const
{
    return user + QLatin1Char('@') + host + QLatin1Char(':') + QString::number(port) + QLatin1Char('/') + database;
}

bool PgEndpoint::verifiesCertificate() const
{
    return sslMode == QLatin1String("verify-ca") || sslMode == QLatin1String("verify-full");
}

QString PgEndpoint::effectiveRootCert() const
{
    if (!sslRootCert.isEmpty())
        return sslRootCert;
    if (const QString fromEnv = qEnvironmentVariable("PGSSLROOTCERT"); !fromEnv.isEmpty())
        return fromEnv;
    return QDir::homePath() + QStringLiteral("/.postgresql/root.crt");
}

Status PgEndpoint::checkTlsFiles() const
{
    if (!sslRootCert.isEmpty()) {
        const QFileInfo ca(sslRootCert);
        if (!ca.exists())
            return Error{ConfigText::tr("The CA file %1 does not exist.").arg(sslRootCert)};
        if (!ca.isFile() || !ca.isReadable())
            return Error{ConfigText::tr("The CA file %1 is not a readable file.").arg(sslRootCert)};
        return {};
    }
    if (verifiesCertificate() && !QFileInfo(effectiveRootCert()).isReadable())
        return Error{ConfigText::tr("sslmode %1 checks the server's certificate against a CA file: choose one (no %2 "
                                    "either).")
                         .arg(sslMode, effectiveRootCert())};
    return {};
}

} // namespace mldeck
