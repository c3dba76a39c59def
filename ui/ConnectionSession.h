#pragma once

#include "core/config/ConnectionProfile.h"
#include "core/services/PgService.h"
#include "core/store/pg/RolePermissions.h"

#include <QHash>
#include <QObject>

#include <optional>

namespace mldeck {
class ConnectionMonitor;
class RedisAccessService;
class SecretStore;
class Settings;
} // namespace mldeck

namespace mldeck::ui {

// Which servers the window is connected to, and the passwords for them.
// Passwords come from the keychain (SecretStore) or, when it is unavailable, from what the user
// typed this session: they are kept in memory only and never written to Settings.
class ConnectionSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionSession)

public:
    ConnectionSession(Settings &settings, SecretStore &secrets, ConnectionMonitor &monitor, QObject *parent = nullptr);

    // "Local stack (environment)": the profile built from MLDECK_REDIS_URL / MLDECK_PG_URL.
    static QString environmentProfileName();
    // nullopt when neither variable is set; an error when one is set but is not a valid URL.
    static std::optional<Result<ConnectionProfile>> profileFromEnvironment();

    // Picks the environment profile when the variables are set (it wins), else the active
    // profile from Settings, reads its passwords and starts the monitor. Never blocks.
    void start();

    // Connects to profile. Passwords given here are used as they are (and kept for the
    // session); otherwise they are read from the keychain or from this session's memory.
    void activate(const ConnectionProfile &profile, std::optional<QString> redisPassword = std::nullopt,
                  std::optional<QString> pgPassword = std::nullopt);

    const ConnectionProfile &activeProfile() const { return m_active; }
    bool isEnvironmentProfile() const { return m_fromEnvironment; }
    Settings &settings() { return m_settings; }
    SecretStore &secrets() { return m_secrets; }

    // Memory-only passwords for a profile, used when the keychain cannot hold them.
    void rememberForSession(const QString &profileName, const QString &redisPassword, const QString &pgPassword);

    // What the connected PostgreSQL role may do, asked of the database on every profile change, when
    // PostgreSQL comes up and on readPermissions(). nullopt until it answered: the pages then leave
    // their actions enabled (the database refuses what the role may not do anyway).
    const std::optional<RolePermissions> &permissions() const { return m_permissions; }
    void readPermissions(); // -> permissionsChanged
    // What the connection's Redis ACL user may do, probed on every profile change and every 30 s:
    // the one probe the status bar and the pages share.
    RedisAccessService &redisAccess() const { return *m_redisAccess; }

    // Where the pages' last read went and the standby's lag (PgService::readSourceChanged): the pages that read on
    // the read replica report here, and the status bar shows the newest, so the standby is asked once per read and
    // never by a probe of its own. Reports of a read that does not use the active profile's replica are ignored.
    void noteReadSource(const mldeck::ReadSource &source);
    const std::optional<ReadSource> &readSource() const { return m_readSource; }

Q_SIGNALS:
    void activeProfileChanged(const mldeck::ConnectionProfile &profile);
    // Passwords could not be read from the keychain: why, so the window can say it and ask.
    void keychainUnavailable(const QString &why);
    // A problem with the configuration itself (e.g. a malformed MLDECK_PG_URL).
    void configurationProblem(const QString &message);
    // permissions() changed (or could not be read: then nullopt).
    void permissionsChanged();
    // A read measured the standby (or fell back to the primary): the newest report for the active profile.
    void readSourceChanged(const mldeck::ReadSource &source);

private:
    struct SessionPasswords
    {
        QString redis;
        QString pg;
    };
    void apply();

    Settings &m_settings;
    SecretStore &m_secrets;
    ConnectionMonitor &m_monitor;
    ConnectionProfile m_active;
    bool m_fromEnvironment = false;
    quint64 m_generation = 0; // late keychain answers for a profile no longer active are ignored
    QHash<QString, SessionPasswords> m_sessionPasswords;
    PgWorker m_roleWorker{QStringLiteral("role")};
    std::optional<RolePermissions> m_permissions;
    std::optional<ReadSource> m_readSource; // the newest of the active profile's
    RedisAccessService *m_redisAccess = nullptr;
};

} // namespace mldeck::ui
