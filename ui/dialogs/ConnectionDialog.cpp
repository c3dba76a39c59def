#include "ui/dialogs/ConnectionDialog.h"

#include "ui/Theme.h"

#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "ui/ConnectionSession.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

#include <memory>

namespace mldeck::ui {

namespace {

const QStringList &sslModes()
{
    static const QStringList modes{QStringLiteral("disable"),   QStringLiteral("allow"),
                                   QStringLiteral("prefer"),    QStringLiteral("require"),
                                   QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes;
}

// Ports are typed as text so that a wrong value can be shown and explained, not silently clamped.
std::optional<int> parsePort(const QString &text)
{
    bool ok = false;
    const int port = text.trimmed().toInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return std::nullopt;
    return port;
}

QLineEdit *lineEdit(QWidget *parent, const QString &objectName, const QString &placeholder = {})
{
    auto *e = new QLineEdit(parent);
    e->setObjectName(objectName);
    e->setPlaceholderText(placeholder);
    e->setClearButtonEnabled(false);
    return e;
}

} // namespace

ConnectionDialog::ConnectionDialog(ConnectionSession &session, QWidget *parent) : QDialog(parent), m_session(session)
{
    setObjectName(QStringLiteral("connectionDialog"));
    setWindowTitle(tr("Connect"));
    buildUi();
    const QString active = m_session.activeProfile().name;
    reloadList(active);
    validate();
}

void ConnectionDialog::buildUi()
{
    // Left: the profiles.
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("profileList"));
    m_list->setMinimumWidth(190);
    m_add = new QPushButton(tr("Add"), this);
    m_add->setObjectName(QStringLiteral("addProfile"));
    m_rename = new QPushButton(tr("Rename…"), this);
    m_rename->setObjectName(QStringLiteral("renameProfile"));
    m_delete = new QPushButton(tr("Delete"), this);
    m_delete->setObjectName(QStringLiteral("deleteProfile"));
    auto *listButtons = new QHBoxLayout;
    listButtons->setSpacing(6);
    listButtons->addWidget(m_add);
    listButtons->addWidget(m_rename);
    listButtons->addWidget(m_delete);
    auto *profilesBox = new QVBoxLayout;
    auto *profilesTitle = new QLabel(tr("Profiles"), this);
    profilesTitle->setObjectName(QStringLiteral("sectionTitle"));
    profilesBox->addWidget(profilesTitle);
    profilesBox->addWidget(m_list, 1);
    profilesBox->addLayout(listButtons);

    // Right: the fields.
    m_name = lineEdit(this, QStringLiteral("profileName"), tr("e.g. Production"));
    auto *nameForm = new QFormLayout;
    nameForm->addRow(tr("Profile &name:"), m_name);

    auto *redisBox = new QGroupBox(tr("Redis (rollout flags)"), this);
    m_redisHost = lineEdit(redisBox, QStringLiteral("redisHost"), QStringLiteral("127.0.0.1"));
    m_redisPort = lineEdit(redisBox, QStringLiteral("redisPort"), QStringLiteral("6379"));
    m_redisUser = lineEdit(redisBox, QStringLiteral("redisUser"), tr("optional (Redis 6 ACL user)"));
    m_redisPassword = lineEdit(redisBox, QStringLiteral("redisPassword"));
    m_redisPassword->setEchoMode(QLineEdit::Password);
    m_redisMode = new QComboBox(redisBox);
    m_redisMode->setObjectName(QStringLiteral("redisMode"));
    m_redisMode->addItem(tr("Single server"));
    m_redisMode->addItem(tr("Sentinel (high availability)"));
    m_redisSentinels =
        lineEdit(redisBox, QStringLiteral("redisSentinels"), tr("host1:26379, host2:26379, host3:26379"));
    m_redisSentinels->setToolTip(tr("The sentinels, asked in this order for the master's address. The user and "
                                    "password below log in to the sentinels and to the Redis nodes."));
    m_redisMasterName = lineEdit(redisBox, QStringLiteral("redisMasterName"), QStringLiteral("mymaster"));
    m_redisSentinelError = new QLabel(redisBox);
    m_redisSentinelError->setObjectName(QStringLiteral("redisSentinelError"));
    m_redisSentinelError->setWordWrap(true);
    m_redisSentinelError->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
    m_redisForm = new QFormLayout(redisBox);
    m_redisForm->addRow(tr("Connect to:"), m_redisMode);
    m_redisForm->addRow(tr("Host:"), m_redisHost);
    m_redisForm->addRow(tr("Port:"), m_redisPort);
    m_redisForm->addRow(tr("Sentinels:"), m_redisSentinels);
    m_redisForm->addRow(tr("Master name:"), m_redisMasterName);
    m_redisForm->addRow(QString(), m_redisSentinelError);
    m_redisForm->addRow(tr("User:"), m_redisUser);
    m_redisForm->addRow(tr("Password:"), m_redisPassword);

    auto *pgBox = new QGroupBox(tr("PostgreSQL (prediction log, registry, audit)"), this);
    m_pgHost = lineEdit(pgBox, QStringLiteral("pgHost"), QStringLiteral("127.0.0.1"));
    m_pgPort = lineEdit(pgBox, QStringLiteral("pgPort"), QStringLiteral("5432"));
    m_pgDatabase = lineEdit(pgBox, QStringLiteral("pgDatabase"), QStringLiteral("mldeck"));
    m_pgUser = lineEdit(pgBox, QStringLiteral("pgUser"));
    m_pgPassword = lineEdit(pgBox, QStringLiteral("pgPassword"));
    m_pgPassword->setEchoMode(QLineEdit::Password);
    m_pgSslMode = new QComboBox(pgBox);
    m_pgSslMode->setObjectName(QStringLiteral("pgSslMode"));
    m_pgSslMode->addItems(sslModes());
    auto *pgForm = new QFormLayout(pgBox);
    pgForm->addRow(tr("Host:"), m_pgHost);
    pgForm->addRow(tr("Port:"), m_pgPort);
    pgForm->addRow(tr("Database:"), m_pgDatabase);
    pgForm->addRow(tr("User:"), m_pgUser);
    pgForm->addRow(tr("Password:"), m_pgPassword);
    pgForm->addRow(tr("SSL mode:"), m_pgSslMode);
    // The CA the server's certificate must chain to (verify-ca, verify-full); empty: ~/.postgresql/root.crt.
    m_pgCaFile = lineEdit(pgBox, QStringLiteral("pgCaFile"), tr("~/.postgresql/root.crt"));
    m_pgCaBrowse = new QPushButton(tr("Choose…"), pgBox);
    m_pgCaBrowse->setObjectName(QStringLiteral("pgCaBrowse"));
    auto *caRow = new QHBoxLayout;
    caRow->setSpacing(6);
    caRow->addWidget(m_pgCaFile, 1);
    caRow->addWidget(m_pgCaBrowse);
    pgForm->addRow(tr("CA file:"), caRow);
    // Same role and password as the primary (a physical standby has its roles), so no password field of its own.
    m_pgReadUrl = lineEdit(pgBox, QStringLiteral("pgReadUrl"), tr("optional: postgresql://standby-host:5432/mldeck"));
    m_pgReadUrl->setToolTip(tr("A hot standby of this PostgreSQL: the dashboard, drift page, reports and /metrics "
                               "read there, every change goes to the primary. It uses the primary's user and "
                               "password."));
    m_pgReadMaxLag =
        lineEdit(pgBox, QStringLiteral("pgReadMaxLag"), QString::number(ReadReplica::kDefaultMaxLagSeconds));
    pgForm->addRow(tr("Read replica URL:"), m_pgReadUrl);
    pgForm->addRow(tr("Read replica max lag (s):"), m_pgReadMaxLag);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("validationError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(themeStyle(QStringLiteral("color: @{bad}; font-weight: 600;")));
    m_notice = new QLabel(this);
    m_notice->setObjectName(QStringLiteral("saveNotice"));
    m_notice->setWordWrap(true);
    m_notice->hide();

    auto *fields = new QVBoxLayout;
    fields->setSpacing(10);
    fields->addLayout(nameForm);
    fields->addWidget(redisBox);
    fields->addWidget(pgBox);
    auto *keychainHint =
        new QLabel(tr("Passwords are stored only in the system keychain, never in the settings file. Leave a password "
                      "empty to keep the stored one."),
                   this);
    keychainHint->setObjectName(QStringLiteral("hint"));
    keychainHint->setWordWrap(true);
    fields->addWidget(keychainHint);
    fields->addWidget(m_error);
    fields->addWidget(m_notice);
    fields->addStretch(1);

    auto *columns = new QHBoxLayout;
    columns->setSpacing(18);
    columns->addLayout(profilesBox, 2);
    columns->addLayout(fields, 5);

    auto *buttons = new QDialogButtonBox(this);
    m_save = buttons->addButton(tr("&Save"), QDialogButtonBox::ActionRole);
    m_save->setObjectName(QStringLiteral("saveButton"));
    m_connect = buttons->addButton(tr("&Connect"), QDialogButtonBox::AcceptRole);
    m_connect->setObjectName(QStringLiteral("connectButton"));
    m_connect->setDefault(true);
    auto *close = buttons->addButton(QDialogButtonBox::Close);
    close->setObjectName(QStringLiteral("closeButton"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(18, 18, 18, 14);
    layout->setSpacing(14);
    layout->addLayout(columns, 1);
    layout->addWidget(buttons);
    resize(layout->sizeHint().expandedTo(QSize(840, 620)));

    connect(m_list, &QListWidget::currentTextChanged, this, [this](const QString &name) { loadProfile(name); });
    connect(m_add, &QPushButton::clicked, this, &ConnectionDialog::startNewProfile);
    connect(m_rename, &QPushButton::clicked, this, &ConnectionDialog::renameSelected);
    connect(m_delete, &QPushButton::clicked, this, &ConnectionDialog::deleteSelected);
    connect(m_save, &QPushButton::clicked, this, [this] { save(); });
    connect(m_connect, &QPushButton::clicked, this, &ConnectionDialog::saveAndConnect);
    connect(close, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_pgCaBrowse, &QPushButton::clicked, this, &ConnectionDialog::chooseCaFile);
    connect(m_redisMode, &QComboBox::currentIndexChanged, this, [this] {
        showRedisMode();
        validate();
    });
    for (QLineEdit *e : {m_name, m_redisHost, m_redisPort, m_redisSentinels, m_redisMasterName, m_redisUser, m_pgHost,
                         m_pgPort, m_pgDatabase, m_pgUser, m_pgCaFile, m_pgReadUrl, m_pgReadMaxLag})
        connect(e, &QLineEdit::textChanged, this, &ConnectionDialog::validate);
    connect(m_pgSslMode, &QComboBox::currentIndexChanged, this, &ConnectionDialog::validate);
}

bool ConnectionDialog::isSentinelMode() const
{
    return m_redisMode->currentIndex() == 1;
}

void ConnectionDialog::showRedisMode()
{
    const bool sentinel = isSentinelMode();
    m_redisForm->setRowVisible(m_redisHost, !sentinel);
    m_redisForm->setRowVisible(m_redisPort, !sentinel);
    m_redisForm->setRowVisible(m_redisSentinels, sentinel);
    m_redisForm->setRowVisible(m_redisMasterName, sentinel);
    m_redisForm->setRowVisible(m_redisSentinelError, sentinel && !m_redisSentinelError->text().isEmpty());
}

Result<RedisEndpoint> ConnectionDialog::sentinelEndpointFromFields() const
{
    // "h1:26379, h2:26379" as typed; the master name percent-encoded so that it reaches the parser whole.
    QStringList sentinels = m_redisSentinels->text().split(QLatin1Char(','));
    for (QString &s : sentinels)
        s = s.trimmed();
    sentinels.removeAll(QString());
    const QString url = QStringLiteral("redis-sentinel://%1/%2")
                            .arg(sentinels.join(QLatin1Char(',')),
                                 QString::fromLatin1(QUrl::toPercentEncoding(m_redisMasterName->text().trimmed())));
    return RedisEndpoint::fromUrl(url);
}

void ConnectionDialog::chooseCaFile()
{
    const QString file =
        QFileDialog::getOpenFileName(this, tr("CA certificate of the PostgreSQL server"), m_pgCaFile->text(),
                                     tr("Certificates (*.crt *.pem *.cer);;All files (*)"));
    if (!file.isEmpty())
        m_pgCaFile->setText(file);
}

bool ConnectionDialog::isEnvironmentSelected() const
{
    return m_list->currentItem() && m_list->currentItem()->text() == ConnectionSession::environmentProfileName();
}

void ConnectionDialog::reloadList(const QString &select)
{
    const QSignalBlocker block(m_list);
    m_list->clear();
    if (m_session.isEnvironmentProfile() || ConnectionSession::profileFromEnvironment())
        m_list->addItem(ConnectionSession::environmentProfileName());
    for (const ConnectionProfile &p : m_session.settings().profiles())
        m_list->addItem(p.name);
    const auto found = m_list->findItems(select, Qt::MatchExactly);
    if (!found.isEmpty())
        m_list->setCurrentItem(found.first());
    else if (m_list->count() > 0)
        m_list->setCurrentRow(0);
    if (m_list->currentItem())
        loadProfile(m_list->currentItem()->text());
    else
        startNewProfile();
}

void ConnectionDialog::loadProfile(const QString &name)
{
    std::optional<ConnectionProfile> profile;
    const bool fromEnvironment = name == ConnectionSession::environmentProfileName();
    if (fromEnvironment) {
        if (auto env = ConnectionSession::profileFromEnvironment(); env && env->ok())
            profile = env->value();
        else if (m_session.isEnvironmentProfile())
            profile = m_session.activeProfile();
    } else {
        profile = m_session.settings().profile(name);
    }
    if (!profile)
        return;
    m_loadedName = fromEnvironment ? QString() : profile->name;
    m_name->setText(profile->name);
    const bool sentinel = profile->redis.isSentinel();
    m_redisMode->setCurrentIndex(sentinel ? 1 : 0);
    QStringList sentinels;
    for (const HostPort &node : profile->redis.sentinels)
        sentinels << node.display();
    m_redisSentinels->setText(sentinels.join(QStringLiteral(", ")));
    m_redisMasterName->setText(profile->redis.masterName);
    m_redisHost->setText(sentinel ? ConnectionProfile().redis.host : profile->redis.host);
    m_redisPort->setText(QString::number(sentinel ? ConnectionProfile().redis.port : profile->redis.port));
    m_redisUser->setText(profile->redis.user);
    m_redisPassword->clear();
    m_pgHost->setText(profile->pg.host);
    m_pgPort->setText(QString::number(profile->pg.port));
    m_pgDatabase->setText(profile->pg.database);
    m_pgUser->setText(profile->pg.user);
    m_pgPassword->clear();
    m_pgSslMode->setCurrentIndex(std::max(0, int(sslModes().indexOf(profile->pg.sslMode))));
    m_pgCaFile->setText(profile->pg.sslRootCert);
    m_pgReadUrl->setText(profile->pgRead.endpoint ? profile->pgRead.endpoint->toUrl() : QString());
    m_pgReadMaxLag->setText(QString::number(profile->pgRead.maxLagSeconds));

    // The environment profile is what the local stack set up: shown, not edited or saved.
    for (QWidget *w : std::initializer_list<QWidget *>{m_name, m_redisMode, m_redisHost, m_redisPort, m_redisSentinels,
                                                       m_redisMasterName, m_redisUser, m_redisPassword, m_pgHost,
                                                       m_pgPort, m_pgDatabase, m_pgUser, m_pgPassword, m_pgSslMode,
                                                       m_pgCaFile, m_pgCaBrowse, m_pgReadUrl, m_pgReadMaxLag})
        w->setEnabled(!fromEnvironment);
    const QString placeholder = fromEnvironment ? tr("from the environment") : tr("unchanged");
    m_redisPassword->setPlaceholderText(placeholder);
    m_pgPassword->setPlaceholderText(placeholder);
    m_rename->setEnabled(!fromEnvironment);
    m_delete->setEnabled(!fromEnvironment);
    setNotice(fromEnvironment ? tr("This profile comes from MLDECK_REDIS_URL / MLDECK_PG_URL and takes precedence "
                                   "while they are set. It cannot be edited here.")
                              : QString(),
              false);
    validate();
}

void ConnectionDialog::startNewProfile()
{
    QString name = tr("New profile");
    for (int i = 2; m_session.settings().profile(name); ++i)
        name = tr("New profile %1").arg(i);
    {
        const QSignalBlocker block(m_list);
        m_list->clearSelection();
        m_list->setCurrentItem(nullptr);
    }
    m_loadedName.clear();
    const ConnectionProfile defaults;
    for (QWidget *w : std::initializer_list<QWidget *>{m_name, m_redisMode, m_redisHost, m_redisPort, m_redisSentinels,
                                                       m_redisMasterName, m_redisUser, m_redisPassword, m_pgHost,
                                                       m_pgPort, m_pgDatabase, m_pgUser, m_pgPassword, m_pgSslMode,
                                                       m_pgCaFile, m_pgCaBrowse, m_pgReadUrl, m_pgReadMaxLag})
        w->setEnabled(true);
    m_name->setText(name);
    m_redisMode->setCurrentIndex(0);
    m_redisSentinels->clear();
    m_redisMasterName->clear();
    m_redisHost->setText(defaults.redis.host);
    m_redisPort->setText(QString::number(defaults.redis.port));
    m_redisUser->clear();
    m_redisPassword->clear();
    m_pgHost->setText(defaults.pg.host);
    m_pgPort->setText(QString::number(defaults.pg.port));
    m_pgDatabase->setText(defaults.pg.database);
    m_pgUser->clear();
    m_pgPassword->clear();
    m_pgSslMode->setCurrentIndex(int(sslModes().indexOf(defaults.pg.sslMode)));
    m_pgCaFile->clear();
    m_pgReadUrl->clear();
    m_pgReadMaxLag->clear();
    m_redisPassword->setPlaceholderText(tr("optional"));
    m_pgPassword->setPlaceholderText(tr("optional"));
    m_rename->setEnabled(false);
    m_delete->setEnabled(false);
    setNotice({}, false);
    m_name->setFocus();
    m_name->selectAll();
    validate();
}

Result<ConnectionProfile> ConnectionDialog::profileFromFields() const
{
    ConnectionProfile p;
    p.name = m_name->text();
    if (!m_loadedName.isEmpty() && p.name != m_loadedName && m_session.settings().profile(p.name))
        return Error{tr("A profile named \"%1\" already exists.").arg(p.name)};
    if (m_loadedName.isEmpty() && m_session.settings().profile(p.name))
        return Error{tr("A profile named \"%1\" already exists.").arg(p.name)};
    if (p.name == ConnectionSession::environmentProfileName())
        return Error{tr("The name \"%1\" is reserved for the environment profile.").arg(p.name)};
    if (isSentinelMode()) {
        const Result<RedisEndpoint> viaSentinels = sentinelEndpointFromFields();
        if (!viaSentinels)
            return Error{tr("Redis sentinels: %1").arg(viaSentinels.errorMessage())};
        p.redis.host.clear(); // found through the sentinels when connecting
        p.redis.sentinels = viaSentinels->sentinels;
        p.redis.masterName = viaSentinels->masterName;
    } else {
        p.redis.host = m_redisHost->text().trimmed();
        const auto redisPort = parsePort(m_redisPort->text());
        if (!redisPort)
            return Error{tr("Redis port \"%1\" is not a number between 1 and 65535.").arg(m_redisPort->text())};
        p.redis.port = *redisPort;
    }
    p.redis.user = m_redisUser->text().trimmed();
    p.pg.host = m_pgHost->text().trimmed();
    const auto pgPort = parsePort(m_pgPort->text());
    if (!pgPort)
        return Error{tr("PostgreSQL port \"%1\" is not a number between 1 and 65535.").arg(m_pgPort->text())};
    p.pg.port = *pgPort;
    p.pg.database = m_pgDatabase->text().trimmed();
    p.pg.user = m_pgUser->text().trimmed();
    p.pg.sslMode = m_pgSslMode->currentText();
    p.pg.sslRootCert = m_pgCaFile->text().trimmed();
    int maxLag = ReadReplica::kDefaultMaxLagSeconds;
    if (const QString lag = m_pgReadMaxLag->text().trimmed(); !lag.isEmpty()) {
        bool ok = false;
        maxLag = lag.toInt(&ok);
        if (!ok)
            return Error{tr("The read replica's max lag \"%1\" is not a whole number of seconds.").arg(lag)};
    }
    auto read = ReadReplica::fromUrl(m_pgReadUrl->text(), maxLag); // PgEndpoint::fromUrl's checks
    if (!read)
        return read.error();
    if (read->endpoint && !read->endpoint->password.isEmpty())
        return Error{tr("The read replica URL must not carry a password: the primary's password is used (a physical "
                        "standby has the primary's roles).")};
    p.pgRead = read.value();
    if (Status valid = p.validate(); !valid)
        return valid.error();
    if (Status files = p.pg.checkTlsFiles(); !files)
        return files.error();
    if (p.pgRead.endpoint)
        if (Status files = p.pgRead.endpoint->checkTlsFiles(); !files)
            return files.error();
    return p;
}

void ConnectionDialog::validate()
{
    // The sentinel fields' own error, beside them; the same text also heads the dialog's error below.
    const Result<RedisEndpoint> viaSentinels =
        isSentinelMode() ? sentinelEndpointFromFields() : Result<RedisEndpoint>(RedisEndpoint{});
    m_redisSentinelError->setText(viaSentinels ? QString() : viaSentinels.errorMessage());
    showRedisMode();
    if (isEnvironmentSelected()) {
        m_error->clear();
        m_error->hide();
        m_save->setEnabled(false);
        m_connect->setEnabled(true);
        return;
    }
    const Result<ConnectionProfile> profile = profileFromFields();
    m_error->setText(profile.errorMessage());
    m_error->setVisible(!profile.ok());
    m_save->setEnabled(profile.ok());
    m_connect->setEnabled(profile.ok());
}

QString ConnectionDialog::errorText() const
{
    return m_error->text();
}
QString ConnectionDialog::noticeText() const
{
    return m_notice->text();
}

void ConnectionDialog::setNotice(const QString &text, bool warning)
{
    m_notice->setText(text);
    m_notice->setVisible(!text.isEmpty());
    m_notice->setStyleSheet(
        warning ? themeStyle(QStringLiteral("background: @{warnSoft}; border: 1px solid @{warnBorder}; "
                                            "border-radius: 6px; padding: 8px; color: @{warnInk};"))
                : themeStyle(QStringLiteral("background: @{accentSoft}; border: 1px solid @{accentBorder}; "
                                            "border-radius: 6px; padding: 8px; color: @{accentInk};")));
}

bool ConnectionDialog::save()
{
    if (isEnvironmentSelected())
        return true;
    const Result<ConnectionProfile> profile = profileFromFields();
    if (!profile) {
        validate();
        return false;
    }
    const Status saved = m_session.settings().saveProfile(profile.value());
    if (!saved) {
        m_error->setText(saved.errorMessage());
        m_error->show();
        return false;
    }
    if (!m_loadedName.isEmpty() && m_loadedName != profile->name) {
        if (auto old = m_session.settings().profile(m_loadedName)) {
            moveSecrets(*old, profile.value());
            m_session.settings().removeProfile(m_loadedName);
        }
    }
    if (Status synced = m_session.settings().sync(); !synced) {
        m_error->setText(synced.errorMessage());
        m_error->show();
        return false;
    }
    const QString redisPassword = m_redisPassword->text();
    const QString pgPassword = m_pgPassword->text();
    reloadList(profile->name); // clears the password fields
    setNotice(tr("Profile \"%1\" saved.").arg(profile->name), false);
    writePasswords(profile.value(), redisPassword, pgPassword);
    Q_EMIT profileSaved(profile->name);
    return true;
}

void ConnectionDialog::writePasswords(const ConnectionProfile &profile, const QString &redisPassword,
                                      const QString &pgPassword)
{
    if (redisPassword.isEmpty() && pgPassword.isEmpty())
        return;
    // The session is the callbacks' context: it outlives this dialog (Connect closes it at once),
    // so a keychain failure still reaches the window and the typed passwords are kept in memory.
    QPointer<ConnectionDialog> self(this);
    ConnectionSession *session = &m_session;
    const QString name = profile.name;
    auto failed = [self, session, name, redisPassword, pgPassword](const QString &why) {
        session->rememberForSession(name, redisPassword, pgPassword);
        const QString text = tr("The password could not be stored in the system keychain: %1\nIt is kept in "
                                "memory for this session "
                                "only.")
                                 .arg(why);
        if (self)
            self->setNotice(text, true);
    };
    if (!redisPassword.isEmpty()) {
        m_session.secrets().writePassword(profile.redisSecretAccount(), redisPassword, session, [failed](Status s) {
            if (!s)
                failed(s.errorMessage());
        });
    }
    if (!pgPassword.isEmpty()) {
        m_session.secrets().writePassword(profile.pgSecretAccount(), pgPassword, session, [failed](Status s) {
            if (!s)
                failed(s.errorMessage());
        });
    }
}

void ConnectionDialog::moveSecrets(const ConnectionProfile &from, const ConnectionProfile &to)
{
    SecretStore *secrets = &m_session.secrets();
    ConnectionSession *session = &m_session;
    const std::pair<QString, QString> moves[] = {{from.redisSecretAccount(), to.redisSecretAccount()},
                                                 {from.pgSecretAccount(), to.pgSecretAccount()}};
    for (const auto &[oldAccount, newAccount] : moves) {
        secrets->readPassword(oldAccount, session, [secrets, session, oldAccount, newAccount](Result<QString> r) {
            if (!r || r.value().isEmpty())
                return;
            secrets->writePassword(newAccount, r.value(), session, [secrets, session, oldAccount](Status s) {
                if (s)
                    secrets->deletePassword(oldAccount, session, [](Status) {});
            });
        });
    }
}

void ConnectionDialog::saveAndConnect()
{
    if (isEnvironmentSelected()) {
        if (auto env = ConnectionSession::profileFromEnvironment(); env && env->ok())
            m_session.activate(env->value());
        accept();
        return;
    }
    const QString redisPassword = m_redisPassword->text();
    const QString pgPassword = m_pgPassword->text();
    if (!save())
        return;
    const auto profile = m_session.settings().profile(m_name->text());
    if (!profile)
        return;
    if (redisPassword.isEmpty() && pgPassword.isEmpty())
        m_session.activate(*profile);
    else
        m_session.activate(*profile, redisPassword, pgPassword);
    accept();
}

void ConnectionDialog::renameSelected()
{
    if (m_loadedName.isEmpty())
        return;
    bool ok = false;
    const QString newName =
        QInputDialog::getText(this, tr("Rename profile"), tr("New name:"), QLineEdit::Normal, m_loadedName, &ok);
    if (!ok || newName == m_loadedName)
        return;
    m_name->setText(newName);
    save();
}

void ConnectionDialog::deleteSelected()
{
    if (m_loadedName.isEmpty())
        return;
    const auto profile = m_session.settings().profile(m_loadedName);
    if (!profile)
        return;
    const auto answer = QMessageBox::question(
        this, tr("Delete profile"), tr("Delete the profile \"%1\" and its stored passwords?").arg(profile->name));
    if (answer != QMessageBox::Yes)
        return;
    ConnectionSession *session = &m_session;
    m_session.secrets().deletePassword(profile->redisSecretAccount(), session, [](Status) {});
    m_session.secrets().deletePassword(profile->pgSecretAccount(), session, [](Status) {});
    m_session.settings().removeProfile(profile->name);
    (void)m_session.settings().sync();
    setNotice(tr("Profile \"%1\" deleted.").arg(profile->name), false);
    reloadList({});
}

void ConnectionDialog::focusPasswords()
{
    if (m_redisPassword->isEnabled()) {
        m_pgPassword->setFocus();
        setNotice(tr("Enter the passwords for this session. They are kept in memory only until MLDeck quits."), true);
    }
}

} // namespace mldeck::ui
