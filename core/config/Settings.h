#pragma once

#include "core/config/ConnectionProfile.h"
#include "core/domain/Result.h"

#include <QList>
#include <QObject>
#include <QVariant>

#include <memory>
#include <optional>

class QSettings;

namespace mldeck {

// One typed registry of keys, each with its scope and default in a single table (Settings.cpp),
// after KeePassXC's Config. Secrets are never stored here: profiles are written without passwords.
// Lives on one thread (the UI thread in the GUI); not thread-safe.
class Settings final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Settings)

public:
    enum class Key
    {
        Language,           // "" = follow the system locale, or "en"/"fr"
        ActiveProfile,      // name of a saved ConnectionProfile, "" = none
        RefreshIntervalMs,  // dashboard refresh, 250 ms .. 10 min
        MainWindowGeometry, // QByteArray from QWidget::saveGeometry()
        LastPage,           // page name the main window reopens on
    };
    Q_ENUM(Key)

    // Roaming: preferences a user would carry to another machine. Local: this machine's window state.
    enum class Scope
    {
        Roaming,
        Local
    };

    // Empty path: the user's config file (~/.config/MLDeck/mldeck.ini). Tests pass a temp file.
    explicit Settings(const QString &filePath = {}, QObject *parent = nullptr);
    ~Settings() override;

    QVariant value(Key key) const;
    // Invalid values (wrong type, out of range) are refused with a warning and change nothing;
    // use check() first to show the reason to the user.
    void setValue(Key key, const QVariant &value);
    static Status check(Key key, const QVariant &value);
    static QVariant defaultValue(Key key);
    static Scope scope(Key key);
    static QString keyName(Key key);

    QList<ConnectionProfile> profiles() const; // sorted by name; passwords always empty
    std::optional<ConnectionProfile> profile(const QString &name) const;
    // Validates (name, hosts, ports, ...) → readable error, nothing saved on error.
    // A profile with the same name is replaced. Passwords in the endpoints are ignored.
    Status saveProfile(const ConnectionProfile &profile);
    void removeProfile(const QString &name); // also clears ActiveProfile when it named this one

    QString filePath() const;
    Status sync(); // flushes to disk; the error says why the file could not be written

Q_SIGNALS:
    void changed(mldeck::Settings::Key key);
    void profilesChanged();

private:
    void writeProfiles(const QList<ConnectionProfile> &profiles);

    std::unique_ptr<QSettings> m_settings;
};

} // namespace mldeck
