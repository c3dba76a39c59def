#pragma once

#include "core/config/Endpoints.h"

#include <QString>

namespace mldeck::test {

// A login user of the test server holding one MLDeck group role ("mldeck_viewer", ...), with a
// password, dropped when this goes out of scope. Roles are cluster-wide: the name is unique.
class LoginRole
{
public:
    explicit LoginRole(const QString &groupRole);
    ~LoginRole();
    LoginRole(const LoginRole &) = delete;
    LoginRole &operator=(const LoginRole &) = delete;

    const QString &name() const { return m_name; }
    // base (a scratch database's endpoint) as this user.
    PgEndpoint endpoint(const PgEndpoint &base) const;

private:
    QString m_name;
    QString m_password;
};

} // namespace mldeck::test
