#include "core/config/Settings.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSettings>

#include <algorithm>
#include <array>

Q_LOGGING_CATEGORY(lcSettings, "mldeck.config")

namespace mldeck {

namespace {

struct KeyInfo
{
    Settings::Key key;
    const char *name;
    Settings::Scope scope;
    QVariant defaultValue;
    QMetaType::Type type;
};

// The single table: every key, where it lives and what it defaults to.
const std::array<KeyInfo, 5> &keyTable()
{
    using K = Settings::Key;
    using S = Settings::Scope;
    static const std::array<KeyInfo, 5> table{{
        {K::Language, "language", S::Roaming, QString(), QMetaType::QString},
        {K::ActiveProfile, "activeProfile", S::Roaming, QString(), QMetaType::QString},
        {K::RefreshIntervalMs, "refreshIntervalMs", S::Roaming, 2000, QMetaType::Int},
        {K::MainWindowGeometry, "mainWindowGeometry", S::Local, QByteArray(), QMetaType::QByteArray},
        {K::LastPage, "lastPage", S::Local, QStringLiteral("dashboard"), QMetaType::QString},
    }};
    return table;
}

const KeyInfo &info(Settings::Key key)
{
    const auto &table = keyTable();
    const auto it = std::find_if(table.begin(), table.end(), [key](const KeyInfo &i) { return i.key == key; });
    Q_ASSERT(it != table.end());
    return *it;
}

// Local keys are kept in their own group so that a config file copied to another machine can
// drop them in one place.
QString storageKey(Settings::Key key)
{
    const KeyInfo &i = info(key);
    return (i.scope == Settings::Scope::Local ? QStringLiteral("local/") : QStringLiteral("general/")) +
           QLatin1String(i.name);
}

constexpr int kMinRefreshMs = 250;
constexpr int kMaxRefreshMs = 600000;

const QString kProfilesArray = QStringLiteral("profiles");

} // namespace

Settings::Settings(const QString &filePath, QObject *parent)
    : QObject(parent),
      m_settings(filePath.isEmpty() ? std::make_unique<QSettings>(QSettings::IniFormat, QSettings::UserScope,
                                                                  QStringLiteral("MLDeck"), QStringLiteral("mldeck"))
                                    : std::make_unique<QSettings>(filePath, QSettings::IniFormat))
{
}

Settings::~Settings() = default;

QString Settings::filePath() const
{
    return m_settings->fileName();
}

QVariant Settings::defaultValue(Key key)
{
    return info(key).defaultValue;
}

Settings::Scope Settings::scope(Key key)
{
    return info(key).scope;
}

QString Settings::keyName(Key key)
{
    return QLatin1String(info(key).name);
}

Status Settings::check(Key key, const QVariant &value)
{
    const KeyInfo &i = info(key);
    if (!value.canConvert(QMetaType(i.type)))
        return Error{tr("Setting \"%1\" cannot hold a value of type %2.")
                         .arg(QLatin1String(i.name), QLatin1String(value.typeName()))};
    switch (key) {
    case Key::Language: {
        const QString lang = value.toString();
        if (!lang.isEmpty() && lang != QLatin1String("en") && lang != QLatin1String("fr"))
            return Error{tr("Language \"%1\" is not available (choose the system language, en or fr).").arg(lang)};
        break;
    }
    case Key::RefreshIntervalMs: {
        bool ok = false;
        const int ms = value.toInt(&ok);
        if (!ok || ms < kMinRefreshMs || ms > kMaxRefreshMs)
            return Error{tr("Refresh interval must be between %1 and %2 ms.").arg(kMinRefreshMs).arg(kMaxRefreshMs)};
        break;
    }
    case Key::ActiveProfile:
    case Key::MainWindowGeometry:
    case Key::LastPage:
        break;
    }
    return {};
}

QVariant Settings::value(Key key) const
{
    const KeyInfo &i = info(key);
    const QVariant stored = m_settings->value(storageKey(key));
    // A hand-edited file with a bad value falls back to the default instead of breaking the app.
    if (!stored.isValid() || !check(key, stored).ok())
        return i.defaultValue;
    QVariant converted = stored;
    converted.convert(QMetaType(i.type));
    return converted;
}

void Settings::setValue(Key key, const QVariant &value)
{
    if (const Status st = check(key, value); !st.ok()) {
        qCWarning(lcSettings) << "refused setting" << keyName(key) << ":" << st.errorMessage();
        return;
    }
    QVariant converted = value;
    converted.convert(QMetaType(info(key).type));
    if (this->value(key) == converted && m_settings->contains(storageKey(key)))
        return;
    m_settings->setValue(storageKey(key), converted);
    m_settings->sync();
    Q_EMIT changed(key);
}

QList<ConnectionProfile> Settings::profiles() const
{
    QList<ConnectionProfile> out;
    const int n = m_settings->beginReadArray(kProfilesArray);
    for (int idx = 0; idx < n; ++idx) {
        m_settings->setArrayIndex(idx);
        ConnectionProfile p;
        p.name = m_settings->value(QStringLiteral("name")).toString();
        p.redis.host = m_settings->value(QStringLiteral("redis/host"), p.redis.host).toString();
        p.redis.port = m_settings->value(QStringLiteral("redis/port"), p.redis.port).toInt();
        p.redis.user = m_settings->value(QStringLiteral("redis/user")).toString();
        p.redis.db = m_settings->value(QStringLiteral("redis/db"), p.redis.db).toInt();
        p.redis.timeoutMs = m_settings->value(QStringLiteral("redis/timeoutMs"), p.redis.timeoutMs).toInt();
        // Behind Sentinel: the sentinels and master name, read with the one Redis URL parser.
        if (const QString sentinelUrl = m_settings->value(QStringLiteral("redis/sentinelUrl")).toString();
            !sentinelUrl.isEmpty()) {
            if (auto viaSentinels = RedisEndpoint::fromUrl(sentinelUrl); viaSentinels && viaSentinels->isSentinel()) {
                p.redis.host.clear();
                p.redis.sentinels = viaSentinels->sentinels;
                p.redis.masterName = viaSentinels->masterName;
            } else {
                qCWarning(lcSettings) << "ignoring the sentinels of saved profile" << p.name;
            }
        }
        p.pg.host = m_settings->value(QStringLiteral("pg/host"), p.pg.host).toString();
        p.pg.port = m_settings->value(QStringLiteral("pg/port"), p.pg.port).toInt();
        p.pg.database = m_settings->value(QStringLiteral("pg/database"), p.pg.database).toString();
        p.pg.user = m_settings->value(QStringLiteral("pg/user")).toString();
        p.pg.sslMode = m_settings->value(QStringLiteral("pg/sslmode"), p.pg.sslMode).toString();
        p.pg.sslRootCert = m_settings->value(QStringLiteral("pg/sslrootcert")).toString();
        p.pg.connectTimeoutS = m_settings->value(QStringLiteral("pg/connectTimeoutS"), p.pg.connectTimeoutS).toInt();
        if (auto read = ReadReplica::fromUrl(
                m_settings->value(QStringLiteral("pg/readUrl")).toString(),
                m_settings->value(QStringLiteral("pg/readMaxLagS"), ReadReplica::kDefaultMaxLagSeconds).toInt()))
            p.pgRead = *read;
        else
            qCWarning(lcSettings) << "ignoring the read replica of saved profile" << p.name << ":"
                                  << read.errorMessage();
        // Skip entries a hand edit broke rather than handing out endpoints that cannot work.
        if (const Status st = p.validate(); !st.ok()) {
            qCWarning(lcSettings) << "ignoring invalid saved profile" << p.name << ":" << st.errorMessage();
            continue;
        }
        out.append(p);
    }
    m_settings->endArray();
    std::sort(out.begin(), out.end(), [](const ConnectionProfile &a, const ConnectionProfile &b) {
        return QString::localeAwareCompare(a.name, b.name) < 0;
    });
    return out;
}

std::optional<ConnectionProfile> Settings::profile(const QString &name) const
{
    for (const ConnectionProfile &p : profiles()) {
        if (p.name == name)
            return p;
    }
    return std::nullopt;
}

void Settings::writeProfiles(const QList<ConnectionProfile> &profiles)
{
    m_settings->remove(kProfilesArray);
    m_settings->beginWriteArray(kProfilesArray, int(profiles.size()));
    for (int idx = 0; idx < profiles.size(); ++idx) {
        const ConnectionProfile &p = profiles.at(idx);
        m_settings->setArrayIndex(idx);
        // Field by field, on purpose: the endpoints' password members are never written.
        m_settings->setValue(QStringLiteral("name"), p.name);
        m_settings->setValue(QStringLiteral("redis/host"), p.redis.host);
        m_settings->setValue(QStringLiteral("redis/port"), p.redis.port);
        m_settings->setValue(QStringLiteral("redis/user"), p.redis.user);
        m_settings->setValue(QStringLiteral("redis/db"), p.redis.db);
        m_settings->setValue(QStringLiteral("redis/timeoutMs"), p.redis.timeoutMs);
        m_settings->setValue(QStringLiteral("redis/sentinelUrl"), p.redis.isSentinel() ? p.redis.toUrl() : QString());
        m_settings->setValue(QStringLiteral("pg/host"), p.pg.host);
        m_settings->setValue(QStringLiteral("pg/port"), p.pg.port);
        m_settings->setValue(QStringLiteral("pg/database"), p.pg.database);
        m_settings->setValue(QStringLiteral("pg/user"), p.pg.user);
        m_settings->setValue(QStringLiteral("pg/sslmode"), p.pg.sslMode);
        m_settings->setValue(QStringLiteral("pg/sslrootcert"), p.pg.sslRootCert);
        m_settings->setValue(QStringLiteral("pg/connectTimeoutS"), p.pg.connectTimeoutS);
        m_settings->setValue(QStringLiteral("pg/readUrl"), p.pgRead.endpoint ? p.pgRead.endpoint->toUrl() : QString());
        m_settings->setValue(QStringLiteral("pg/readMaxLagS"), p.pgRead.maxLagSeconds);
    }
    m_settings->endArray();
    m_settings->sync();
    Q_EMIT profilesChanged();
}

Status Settings::saveProfile(const ConnectionProfile &profile)
{
    if (Status st = profile.validate(); !st.ok())
        return st;
    QList<ConnectionProfile> all = profiles();
    ConnectionProfile stored = profile;
    stored.redis.password.clear();
    stored.pg.password.clear();
    if (stored.pgRead.endpoint)
        stored.pgRead.endpoint->password.clear();
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const ConnectionProfile &p) { return p.name == profile.name; });
    if (it != all.end())
        *it = stored;
    else
        all.append(stored);
    writeProfiles(all);
    if (m_settings->status() != QSettings::NoError)
        return Error{tr("Could not write the settings file %1.").arg(filePath())};
    return {};
}

void Settings::removeProfile(const QString &name)
{
    QList<ConnectionProfile> all = profiles();
    const auto removed = all.removeIf([&](const ConnectionProfile &p) { return p.name == name; });
    if (removed == 0)
        return;
    writeProfiles(all);
    if (value(Key::ActiveProfile).toString() == name)
        setValue(Key::ActiveProfile, QString());
}

Status Settings::sync()
{
    m_settings->sync();
    if (m_settings->status() != QSettings::NoError)
        return Error{tr("Could not write the settings file %1.").arg(filePath())};
    return {};
}

} // namespace mldeck
