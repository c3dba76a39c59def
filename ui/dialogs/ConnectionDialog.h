#pragma once

#include "core/config/ConnectionProfile.h"

#include <QDialog>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace mldeck::ui {

class ConnectionSession;

// Connection profiles: list, add, rename, delete; Redis and PostgreSQL fields with inline
// validation (a bad value disables Save/Connect and says why; nothing is saved). Passwords go
// only to the keychain; when it is unavailable they are kept for this session, in memory.
class ConnectionDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionDialog)

public:
    explicit ConnectionDialog(ConnectionSession &session, QWidget *parent = nullptr);

    // The profile the fields describe, or why they do not describe a valid one.
    Result<ConnectionProfile> profileFromFields() const;
    QString errorText() const;  // the inline validation error, "" when the fields are valid
    QString noticeText() const; // the last save / keychain notice

    bool save();           // Save: validates, writes the profile (and passwords to the keychain)
    void saveAndConnect(); // Connect: saves, makes it the active profile, closes

    void focusPasswords(); // used when the window asks for this session's passwords

Q_SIGNALS:
    void profileSaved(const QString &name);

private:
    void buildUi();
    void reloadList(const QString &select);
    void loadProfile(const QString &name);
    void startNewProfile();
    void deleteSelected();
    void renameSelected();
    void validate();
    void setNotice(const QString &text, bool warning);
    void writePasswords(const ConnectionProfile &profile, const QString &redisPassword, const QString &pgPassword);
    void moveSecrets(const ConnectionProfile &from, const ConnectionProfile &to);
    bool isEnvironmentSelected() const;
    void chooseCaFile();
    bool isSentinelMode() const;
    void showRedisMode(); // host and port for a single server, sentinels and master name behind Sentinel
    // The sentinel fields read with RedisEndpoint::fromUrl (the one Redis URL parser).
    Result<RedisEndpoint> sentinelEndpointFromFields() const;

    ConnectionSession &m_session;
    QString m_loadedName; // the saved profile the fields were loaded from ("" for a new one)

    QListWidget *m_list = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_rename = nullptr;
    QPushButton *m_delete = nullptr;
    QLineEdit *m_name = nullptr;
    QFormLayout *m_redisForm = nullptr;
    QComboBox *m_redisMode = nullptr; // single server or Sentinel
    QLineEdit *m_redisSentinels = nullptr;
    QLineEdit *m_redisMasterName = nullptr;
    QLabel *m_redisSentinelError = nullptr; // beside the sentinel fields
    QLineEdit *m_redisHost = nullptr;
    QLineEdit *m_redisPort = nullptr;
    QLineEdit *m_redisUser = nullptr;
    QLineEdit *m_redisPassword = nullptr;
    QLineEdit *m_pgHost = nullptr;
    QLineEdit *m_pgPort = nullptr;
    QLineEdit *m_pgDatabase = nullptr;
    QLineEdit *m_pgUser = nullptr;
    QLineEdit *m_pgPassword = nullptr;
    QComboBox *m_pgSslMode = nullptr;
    QLineEdit *m_pgCaFile = nullptr;
    QPushButton *m_pgCaBrowse = nullptr;
    QLineEdit *m_pgReadUrl = nullptr;    // the hot standby for heavy reads; "" = none
    QLineEdit *m_pgReadMaxLag = nullptr; // seconds; "" = the default
    QLabel *m_error = nullptr;
    QLabel *m_notice = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_connect = nullptr;
};

} // namespace mldeck::ui
