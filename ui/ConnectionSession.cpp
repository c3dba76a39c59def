#include "ui/ConnectionSession.h"

#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/Health.h"
#include "core/services/KeptReadConnection.h"
#include "core/services/RedisAccessService.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTimer>

#include <memory>

Q_LOGGING_CATEGORY(lcSession, "mldeck.ui.session")

namespace mldeck::ui {

namespace {
// Long enough for a healthy keychain, short enough that a hung D-Bus does not delay probing.
constexpr int kKeychainGraceMs = 2000;
} // namespace

ConnectionSession::ConnectionSession(Settings &settings, SecretStore &secrets, ConnectionMonitor &monitor,
                                     QObject *parent)
    : QObject(parent), m_settings(settings), m_secrets(secrets), m_monitor(monitor),
      m_redisAccess(new RedisAccessService(this))
{
    // The role is read again when PostgreSQL comes up: the first read may have found it down.
    connect(&m_monitor, &ConnectionMonitor::pgHealthChanged, this, [this](const Health &health) {
        if (health.state == Health::State::Up && !m_permissions)
            readPermissions();
    });
}

QString ConnectionSession::environmentProfileName()
{
    return tr("Local stack (environment)");
}

std::optional<Result<ConnectionProfile>> ConnectionSession::profileFromEnvironment()
{
    const QString redisUrl = qEnvironmentVariable("MLDECK_REDIS_URL");
    const QString pgUrl = qEnvironmentVariable("MLDECK_PG_URL");
    if (redisUrl.isEmpty() && pgUrl.isEmpty())
        return std::nullopt;
    ConnectionProfile profile;
    profile.name = environmentProfileName();
    if (!redisUrl.isEmpty()) {
        auto redis = RedisEndpoint::fromUrl(redisUrl);
        if (!redis)
            return Result<ConnectionProfile>(Error{tr("MLDECK_REDIS_URL: %1").arg(redis.errorMessage())});
        profile.redis = redis.value();
    }
    if (!pgUrl.isEmpty()) {
        auto pg = PgEndpoint::fromUrl(pgUrl);
        if (!pg)
            return Result<ConnectionProfile>(Error{tr("MLDECK_PG_URL: %1").arg(pg.errorMessage())});
        profile.pg = pg.value();
    }
    auto read = ReadReplica::fromEnvironment(); // MLDECK_PG_READ_URL: optional
    if (!read)
        return Result<ConnectionProfile>(Error{read.errorMessage()});
    profile.pgRead = read.value();
    return Result<ConnectionProfile>(profile);
}

void ConnectionSession::start()
{
    if (auto env = profileFromEnvironment()) {
        if (env->ok()) {
            m_fromEnvironment = true;
            m_active = env->value();
            apply(); // passwords come with the URLs
            return;
        }
        Q_EMIT configurationProblem(env->errorMessage());
    }
    const QString activeName = m_settings.value(Settings::Key::ActiveProfile).toString();
    std::optional<ConnectionProfile> profile = m_settings.profile(activeName);
    if (!profile) {
        const QList<ConnectionProfile> all = m_settings.profiles();
        if (!all.isEmpty())
            profile = all.first();
    }
    if (!profile) {
        ConnectionProfile local;
        local.name = tr("Local defaults");
        profile = local;
    }
    activate(*profile);
}

void ConnectionSession::rememberForSession(const QString &profileName, const QString &redisPassword,
                                           const QString &pgPassword)
{
    m_sessionPasswords.insert(profileName, {redisPassword, pgPassword});
}

void ConnectionSession::activate(const ConnectionProfile &profile, std::optional<QString> redisPassword,
                                 std::optional<QString> pgPassword)
{
    m_fromEnvironment = profile.name == environmentProfileName();
    m_active = profile;
    const quint64 generation = ++m_generation;
    if (!m_fromEnvironment)
        m_settings.setValue(Settings::Key::ActiveProfile, profile.name);

    if (redisPassword || pgPassword) {
        m_active.redis.password = redisPassword.value_or(QString());
        m_active.pg.password = pgPassword.value_or(QString());
        rememberForSession(profile.name, m_active.redis.password, m_active.pg.password);
        apply();
        return;
    }
    if (m_fromEnvironment) {
        apply();
        return;
    }
    if (auto it = m_sessionPasswords.constFind(profile.name); it != m_sessionPasswords.constEnd()) {
        m_active.redis.password = it->redis;
        m_active.pg.password = it->pg;
        apply();
        return;
    }

    // Read both passwords; connect when both answered, or after a grace period with what we have
    // (and again when a late answer arrives), so that a hung keychain never stalls probing.
    struct Pending
    {
        int outstanding = 2;
        bool applied = false;
        QStringList errors;
    };
    auto pending = std::make_shared<Pending>();
    auto finishOne = [this, pending, generation](const QString &error, const QString &account) {
        if (generation != m_generation)
            return;
        // "Nothing saved" is normal for a server without a password; only a keychain that cannot
        // answer is worth telling the user. SecretStore reports both as errors, told apart by text.
        const QString notFound = SecretStore::tr("no password is saved in the system keychain for %1").arg(account);
        if (!error.isEmpty() && error != notFound)
            pending->errors << error;
        if (--pending->outstanding > 0)
            return;
        if (!pending->errors.isEmpty()) {
            qCInfo(lcSession) << "keychain:" << pending->errors;
            Q_EMIT keychainUnavailable(pending->errors.first());
        }
        pending->applied = true;
        apply();
    };
    const QString redisAccount = profile.redisSecretAccount();
    const QString pgAccount = profile.pgSecretAccount();
    m_secrets.readPassword(redisAccount, this, [this, finishOne, generation, redisAccount](Result<QString> r) {
        if (generation == m_generation && r.ok())
            m_active.redis.password = r.value();
        finishOne(r.ok() ? QString() : r.errorMessage(), redisAccount);
    });
    m_secrets.readPassword(pgAccount, this, [this, finishOne, generation, pgAccount](Result<QString> r) {
        if (generation == m_generation && r.ok())
            m_active.pg.password = r.value();
        finishOne(r.ok() ? QString() : r.errorMessage(), pgAccount);
    });
    QTimer::singleShot(kKeychainGraceMs, this, [this, pending, generation] {
        if (generation == m_generation && !pending->applied)
            apply();
    });
    Q_EMIT activeProfileChanged(m_active);
}

void ConnectionSession::apply()
{
    m_readSource.reset();
    m_monitor.setEndpoints(m_active.redis, m_active.pg);
    m_redisAccess->setEndpoint(m_active.redis);
    Q_EMIT activeProfileChanged(m_active);
    if (m_permissions) {
        m_permissions.reset(); // another server or user: what the last one said no longer holds
        Q_EMIT permissionsChanged();
    }
    readPermissions();
}

void ConnectionSession::noteReadSource(const ReadSource &source)
{
    if (!m_active.pgRead.endpoint || !source.replicaConfigured)
        return;
    // A read posted before the profile changed names the servers it used: not the active profile's.
    // The standby as the reads name it: with the primary's user when its URL names none.
    const QString expected = source.server == ReadSource::Server::Standby
                                 ? KeptReadConnection::standbyEndpoint(*m_active.pgRead.endpoint, m_active.pg).display()
                                 : m_active.pg.display();
    if (source.where != expected)
        return;
    // Several pages read; one that measured earlier but answered later does not replace a newer figure.
    if (m_readSource && source.measuredAt < m_readSource->measuredAt)
        return;
    m_readSource = source;
    Q_EMIT readSourceChanged(source);
}

void ConnectionSession::readPermissions()
{
    const quint64 generation = m_generation;
    m_roleWorker.post(
        this, std::optional<PgEndpoint>(m_active.pg), [](PgConnection &c) { return RolePermissions::read(c); },
        [this, generation](const Result<RolePermissions> &r) {
            if (generation != m_generation)
                return; // an answer about a profile no longer active
            if (!r)
                qCInfo(lcSession) << "role not read:" << r.errorMessage();
            m_permissions = r ? std::optional<RolePermissions>(r.value()) : std::nullopt;
            Q_EMIT permissionsChanged();
        });
}

} // namespace mldeck::ui
