#pragma once

#include "core/domain/Result.h"

#include <QObject>

#include <chrono>
#include <functional>

namespace mldeck {

// Passwords in the system keychain through QtKeychain, asynchronously. There is deliberately NO
// plaintext fallback: where no keychain is available every call fails with a readable reason and
// the app asks for the password each session.
// Contract: each call's `done` runs exactly once, on `context`'s thread, and never after `context`
// is destroyed; a keychain that does not answer within timeoutMs() ends the call with an error.
class SecretStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SecretStore)

public:
    explicit SecretStore(QObject *parent = nullptr);
    ~SecretStore() override;

    void readPassword(const QString &account, QObject *context, std::function<void(mldeck::Result<QString>)> done);
    void writePassword(const QString &account, const QString &password, QObject *context,
                       std::function<void(mldeck::Status)> done);
    void deletePassword(const QString &account, QObject *context, std::function<void(mldeck::Status)> done);

    std::chrono::milliseconds timeout() const { return m_timeout; }
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }

    static QString serviceName(); // the keychain "service" all MLDeck entries are filed under

private:
    std::chrono::milliseconds m_timeout{15000};
};

} // namespace mldeck
