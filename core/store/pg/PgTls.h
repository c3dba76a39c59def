#pragma once

#include "core/config/Endpoints.h"

#include <QString>

namespace mldeck {

// Whether a PostgreSQL session is encrypted and what libpq checked of the server's certificate
// (from the endpoint's sslmode: verify-ca checks the CA, verify-full the host name too).
struct PgTlsState
{
    bool encrypted = false;
    QString protocol; // "TLSv1.3"; empty when not encrypted
    bool caVerified = false;
    bool hostVerified = false;

    static PgTlsState of(bool encrypted, const QString &protocol, const PgEndpoint &endpoint);
    // "TLS verified (TLSv1.3)", "TLS, certificate not verified (TLSv1.3)", "not encrypted" (translated).
    QString describe() const;
};

namespace pg {

// libpq's TLS refusals in words a user can act on ("the server's certificate is for localhost, not
// 127.0.0.1"); an empty string when message is not about TLS.
QString explainTlsFailure(const QString &message, const PgEndpoint &endpoint);

} // namespace pg
} // namespace mldeck
