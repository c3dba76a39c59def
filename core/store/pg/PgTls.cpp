#include "core/store/pg/PgTls.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace mldeck {

PgTlsState PgTlsState::of(bool encrypted, const QString &protocol, const PgEndpoint &endpoint)
{
    PgTlsState s;
    s.encrypted = encrypted;
    if (!encrypted)
        return s;
    s.protocol = protocol;
    // libpq refuses the session when a verifying mode's check fails, so an open one passed it.
    s.caVerified = endpoint.verifiesCertificate();
    s.hostVerified = endpoint.sslMode == QLatin1String("verify-full");
    return s;
}

QString PgTlsState::describe() const
{
    if (!encrypted)
        return StoreText::tr("not encrypted");
    if (hostVerified)
        return StoreText::tr("TLS verified (%1)").arg(protocol);
    if (caVerified)
        return StoreText::tr("TLS, CA verified, host name not checked (%1)").arg(protocol);
    return StoreText::tr("TLS, certificate not verified (%1)").arg(protocol);
}

namespace pg {

QString explainTlsFailure(const QString &message, const PgEndpoint &endpoint)
{
    // The texts of libpq 15 (fe-secure-common.c, fe-secure-openssl.c, fe-connect.c).
    static const QRegularExpression wrongHost(
        QStringLiteral("server certificate for \"([^\"]*)\"(?: \\(and (\\d+) other names?\\))? does not match host "
                       "name \"([^\"]*)\""));
    if (const auto m = wrongHost.match(message); m.hasMatch()) {
        if (m.captured(2).isEmpty())
            return StoreText::tr("the server's certificate is for %1, not %2: connect with the name on the certificate")
                .arg(m.captured(1), m.captured(3));
        return StoreText::tr("the server's certificate is for %1 and %n other name(s), not %2: connect with a name on "
                             "the certificate",
                             nullptr, m.captured(2).toInt())
            .arg(m.captured(1), m.captured(3));
    }
    if (message.contains(QLatin1String("certificate verify failed")))
        return StoreText::tr("the server's certificate is not signed by the CA in %1")
            .arg(endpoint.effectiveRootCert());
    static const QRegularExpression noRoot(QStringLiteral("root certificate file \"([^\"]*)\" does not exist"));
    if (const auto m = noRoot.match(message); m.hasMatch())
        return StoreText::tr("sslmode %1 checks the server's certificate against a CA file, and %2 does not exist: "
                             "choose the CA file in the connection profile or add sslrootcert=FILE to the URL")
            .arg(endpoint.sslMode, m.captured(1));
    static const QRegularExpression unreadable(
        QStringLiteral("could not read root certificate file \"([^\"]*)\": (.*)"));
    if (const auto m = unreadable.match(message); m.hasMatch())
        return StoreText::tr("the CA file %1 could not be read: %2").arg(m.captured(1), m.captured(2).trimmed());
    if (message.contains(QLatin1String("server does not support SSL, but SSL was required")))
        return StoreText::tr("the server does not accept TLS connections, and sslmode %1 requires TLS")
            .arg(endpoint.sslMode);
    return {};
}

} // namespace pg
} // namespace mldeck
