// Connection dialog: bad input is explained inline and saves nothing; a valid profile is saved
// without its passwords; a Redis Sentinel profile keeps its sentinels through save and edit; when the keychain is
// unavailable the dialog says so and the password is kept for the session only.
#include "ShellFixture.h"
#include "tests/support/TestChecks.h"
#include "ui/Theme.h"
#include "ui/dialogs/ConnectionDialog.h"
#include "ui/widgets/InfoBar.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;

namespace {

QByteArray fileBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A missing widget fails the test; a stand-in of the same type (a child of `w`, which goes with it) keeps
// the test function from dereferencing null before its next check stops it.
template <typename T> T *child(QWidget *w, const char *name)
{
    if (T *c = w->findChild<T *>(QString::fromLatin1(name)))
        return c;
    MLDECK_FAIL_IN_HELPER(QStringLiteral("missing widget ") + QLatin1String(name));
    return new T(w);
}

void setText(QWidget *dialog, const char *name, const QString &text)
{
    QLineEdit *e = child<QLineEdit>(dialog, name);
    e->clear();
    QTest::keyClicks(e, text); // typed, as a user would
}

} // namespace

class TestConnectionDialog final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        test::isolateFromEnvironment();
        ui::applyTheme(*qApp);
    }

    void invalidInputShowsErrorAndSavesNothing_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("redis port too large")
            << QByteArray("redisPort") << QStringLiteral("70000") << QStringLiteral("Redis port");
        QTest::newRow("redis port not a number")
            << QByteArray("redisPort") << QStringLiteral("63a9") << QStringLiteral("Redis port");
        QTest::newRow("pg port zero") << QByteArray("pgPort") << QStringLiteral("0")
                                      << QStringLiteral("PostgreSQL port");
        QTest::newRow("pg port negative")
            << QByteArray("pgPort") << QStringLiteral("-5432") << QStringLiteral("PostgreSQL port");
        QTest::newRow("empty name") << QByteArray("profileName") << QString() << QStringLiteral("name");
        QTest::newRow("host with space") << QByteArray("pgHost") << QStringLiteral("db host")
                                         << QStringLiteral("PostgreSQL host");
        QTest::newRow("empty database") << QByteArray("pgDatabase") << QString() << QStringLiteral("database");
        QTest::newRow("CA file missing") << QByteArray("pgCaFile") << QStringLiteral("/nonexistent/ca.crt")
                                         << QStringLiteral("does not exist");
        QTest::newRow("CA file relative")
            << QByteArray("pgCaFile") << QStringLiteral("ca.crt") << QStringLiteral("full path");
        QTest::newRow("read replica not a URL") << QByteArray("pgReadUrl") << QStringLiteral("standby:5432")
                                                << QStringLiteral("Read replica: Not a PostgreSQL URL");
        QTest::newRow("read replica with a password")
            << QByteArray("pgReadUrl") << QStringLiteral("postgresql://ops:pw@standby/mldeck")
            << QStringLiteral("must not carry a password");
        QTest::newRow("read replica max lag zero")
            << QByteArray("pgReadMaxLag") << QStringLiteral("0") << QStringLiteral("at least 1 s");
        QTest::newRow("read replica max lag not a number")
            << QByteArray("pgReadMaxLag") << QStringLiteral("soon") << QStringLiteral("whole number of seconds");
    }

    void invalidInputShowsErrorAndSavesNothing()
    {
        QFETCH(QByteArray, field);
        QFETCH(QString, value);
        QFETCH(QString, expected);

        test::Shell shell;
        const QByteArray before = fileBytes(shell.settingsFile());
        ui::ConnectionDialog dialog(shell.session);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        setText(&dialog, "profileName", QStringLiteral("Bad one"));
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText())); // defaults are valid
        setText(&dialog, field.constData(), value);

        auto *error = child<QLabel>(&dialog, "validationError");
        QVERIFY(error->isVisible());
        QVERIFY2(error->text().contains(expected, Qt::CaseInsensitive), qPrintable(error->text()));
        QVERIFY(!child<QPushButton>(&dialog, "saveButton")->isEnabled());
        QVERIFY(!child<QPushButton>(&dialog, "connectButton")->isEnabled());
        QVERIFY(!dialog.save()); // even when called directly
        QVERIFY(shell.settings.profiles().isEmpty());
        QCOMPARE(fileBytes(shell.settingsFile()), before);
        QVERIFY(!fileBytes(shell.settingsFile()).contains("Bad one"));
    }

    void validProfileIsSavedWithoutPasswords()
    {
        test::Shell shell;
        ui::ConnectionDialog dialog(shell.session);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        setText(&dialog, "profileName", QStringLiteral("Staging"));
        setText(&dialog, "redisHost", QStringLiteral("redis.staging.internal"));
        setText(&dialog, "redisPort", QStringLiteral("6380"));
        setText(&dialog, "redisPassword", QStringLiteral("redis-Pw-7731"));
        setText(&dialog, "pgHost", QStringLiteral("pg.staging.internal"));
        setText(&dialog, "pgPort", QStringLiteral("5433"));
        setText(&dialog, "pgDatabase", QStringLiteral("mldeck_staging"));
        setText(&dialog, "pgUser", QStringLiteral("ops"));
        setText(&dialog, "pgPassword", QStringLiteral("pg-Pw-99881"));
        child<QComboBox>(&dialog, "pgSslMode")->setCurrentText(QStringLiteral("verify-full"));
        // verify-full needs a CA file (the test's HOME has no ~/.postgresql/root.crt).
        QTemporaryDir caDir;
        QVERIFY(caDir.isValid());
        const QString caFile = caDir.filePath(QStringLiteral("staging-ca.crt"));
        if (!QFileInfo::exists(QDir::homePath() + QStringLiteral("/.postgresql/root.crt")))
            QVERIFY2(dialog.errorText().contains(QLatin1String("CA file")), qPrintable(dialog.errorText()));
        {
            QFile ca(caFile);
            QVERIFY(ca.open(QIODevice::WriteOnly));
            ca.write("-----BEGIN CERTIFICATE-----\n");
        }
        setText(&dialog, "pgCaFile", caFile);
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));

        QPushButton *save = child<QPushButton>(&dialog, "saveButton");
        QVERIFY(save->isEnabled());
        QTest::mouseClick(save, Qt::LeftButton);

        const auto saved = shell.settings.profile(QStringLiteral("Staging"));
        QVERIFY(saved);
        QCOMPARE(saved->redis.host, QStringLiteral("redis.staging.internal"));
        QCOMPARE(saved->redis.port, 6380);
        QCOMPARE(saved->pg.port, 5433);
        QCOMPARE(saved->pg.database, QStringLiteral("mldeck_staging"));
        QCOMPARE(saved->pg.user, QStringLiteral("ops"));
        QCOMPARE(saved->pg.sslMode, QStringLiteral("verify-full"));
        QCOMPARE(saved->pg.sslRootCert, caFile);
        QVERIFY(saved->pg.password.isEmpty());
        QVERIFY(saved->redis.password.isEmpty());

        // The keychain is unreachable in this test (no session bus): the dialog must say so.
        QTRY_VERIFY_WITH_TIMEOUT(dialog.noticeText().contains(QLatin1String("keychain"), Qt::CaseInsensitive), 20000);
        QVERIFY2(dialog.noticeText().contains(QLatin1String("memory")), qPrintable(dialog.noticeText()));
        if (qEnvironmentVariableIsSet("MLDECK_KEEP_SCREENSHOTS"))
            dialog.grab().save(qEnvironmentVariable("MLDECK_KEEP_SCREENSHOTS") +
                               QStringLiteral("/connection-dialog.png"));

        // Whatever happened, the settings file never holds a password.
        const QByteArray bytes = fileBytes(shell.settingsFile());
        QVERIFY(bytes.contains("Staging"));
        QVERIFY(bytes.contains("pg.staging.internal"));
        QVERIFY(!bytes.contains("redis-Pw-7731"));
        QVERIFY(!bytes.contains("pg-Pw-99881"));

        // A fresh reader of the same file sees the same profile.
        Settings reread(shell.settingsFile());
        QVERIFY(reread.profile(QStringLiteral("Staging")));
        QVERIFY(reread.profile(QStringLiteral("Staging"))->pg.password.isEmpty());

        // The list now shows it, selected.
        auto *list = child<QListWidget>(&dialog, "profileList");
        QVERIFY(list->currentItem());
        QCOMPARE(list->currentItem()->text(), QStringLiteral("Staging"));
    }

    // Behind Sentinel: the sentinel list and master name go through RedisEndpoint::fromUrl; its error is shown
    // beside the fields and in the dialog's error, and nothing is saved.
    void sentinelInputIsCheckedBesideTheField_data()
    {
        QTest::addColumn<QString>("sentinels");
        QTest::addColumn<QString>("master");
        QTest::addColumn<QString>("expected"); // "" = valid
        QTest::addColumn<int>("count");
        QTest::newRow("three sentinels, spaces after commas")
            << QStringLiteral("s1.internal:26379, s2.internal:26380,s3.internal") << QStringLiteral("mymaster")
            << QString() << 3;
        QTest::newRow("IPv6 sentinel") << QStringLiteral("[::1]:26379") << QStringLiteral("cache-master") << QString()
                                       << 1;
        QTest::newRow("no sentinel") << QString() << QStringLiteral("mymaster") << QStringLiteral("no sentinel given")
                                     << 0;
        QTest::newRow("sentinel port too large") << QStringLiteral("s1:99999") << QStringLiteral("mymaster")
                                                 << QStringLiteral("sentinel port \"99999\"") << 0;
        QTest::newRow("sentinel port not a number") << QStringLiteral("s1:26379,s2:2637x") << QStringLiteral("mymaster")
                                                    << QStringLiteral("sentinel port \"2637x\"") << 0;
        QTest::newRow("host with a space")
            << QStringLiteral("bad host:26379") << QStringLiteral("mymaster") << QStringLiteral("not a host name") << 0;
        QTest::newRow("unclosed IPv6 bracket")
            << QStringLiteral("[::1:26379") << QStringLiteral("mymaster") << QStringLiteral("unclosed [") << 0;
        QTest::newRow("no master name") << QStringLiteral("s1:26379") << QString() << QStringLiteral("no master name")
                                        << 0;
        QTest::newRow("master name with a space")
            << QStringLiteral("s1:26379") << QStringLiteral("my master") << QStringLiteral("is not a master name") << 0;
    }

    void sentinelInputIsCheckedBesideTheField()
    {
        QFETCH(QString, sentinels);
        QFETCH(QString, master);
        QFETCH(QString, expected);
        QFETCH(int, count);

        test::Shell shell;
        const QByteArray before = fileBytes(shell.settingsFile());
        ui::ConnectionDialog dialog(shell.session);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        setText(&dialog, "profileName", QStringLiteral("HA"));
        auto *sentinelField = child<QLineEdit>(&dialog, "redisSentinels");
        QVERIFY(!sentinelField->isVisible()); // a single server by default
        child<QComboBox>(&dialog, "redisMode")->setCurrentIndex(1);
        QVERIFY(sentinelField->isVisible());
        QVERIFY(!child<QLineEdit>(&dialog, "redisHost")->isVisible());
        setText(&dialog, "redisSentinels", sentinels);
        setText(&dialog, "redisMasterName", master);

        auto *beside = child<QLabel>(&dialog, "redisSentinelError");
        if (expected.isEmpty()) {
            QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
            QVERIFY(!beside->isVisible());
            const auto profile = dialog.profileFromFields();
            QVERIFY2(profile, qPrintable(profile.errorMessage()));
            QVERIFY(profile->redis.isSentinel());
            QCOMPARE(profile->redis.sentinels.size(), count);
            QCOMPARE(profile->redis.masterName, master);
            QVERIFY(child<QPushButton>(&dialog, "saveButton")->isEnabled());
            return;
        }
        QVERIFY(beside->isVisible());
        QVERIFY2(beside->text().contains(expected, Qt::CaseInsensitive), qPrintable(beside->text()));
        QVERIFY2(dialog.errorText().contains(expected, Qt::CaseInsensitive), qPrintable(dialog.errorText()));
        QVERIFY(!child<QPushButton>(&dialog, "saveButton")->isEnabled());
        QVERIFY(!child<QPushButton>(&dialog, "connectButton")->isEnabled());
        QVERIFY(!dialog.save());
        QVERIFY(shell.settings.profiles().isEmpty());
        QCOMPARE(fileBytes(shell.settingsFile()), before);
    }

    // A sentinel profile saved, read back by a fresh reader, reopened and saved again keeps its sentinels;
    // its password takes the keychain path (here unavailable: kept in memory) and never reaches the file.
    void sentinelProfileRoundTrip()
    {
        test::Shell shell;
        {
            ui::ConnectionDialog dialog(shell.session);
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            setText(&dialog, "profileName", QStringLiteral("Prod HA"));
            child<QComboBox>(&dialog, "redisMode")->setCurrentIndex(1);
            setText(&dialog, "redisSentinels", QStringLiteral("s1.internal:26379, s2.internal:26380"));
            setText(&dialog, "redisMasterName", QStringLiteral("flags"));
            setText(&dialog, "redisUser", QStringLiteral("mldeck"));
            setText(&dialog, "redisPassword", QStringLiteral("sentinel-Pw-4411"));
            QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
            QTest::mouseClick(child<QPushButton>(&dialog, "saveButton"), Qt::LeftButton);
            QTRY_VERIFY_WITH_TIMEOUT(dialog.noticeText().contains(QLatin1String("keychain"), Qt::CaseInsensitive),
                                     20000);
        }
        const QByteArray bytes = fileBytes(shell.settingsFile());
        QVERIFY(bytes.contains("s2.internal"));
        QVERIFY(!bytes.contains("sentinel-Pw-4411"));
        Settings reread(shell.settingsFile());
        const auto saved = reread.profile(QStringLiteral("Prod HA"));
        QVERIFY(saved);
        QVERIFY(saved->redis.isSentinel());
        QCOMPARE(saved->redis.masterName, QStringLiteral("flags"));
        QVERIFY(saved->redis.sentinels ==
                (QList<HostPort>{{QStringLiteral("s1.internal"), 26379}, {QStringLiteral("s2.internal"), 26380}}));
        QCOMPARE(saved->redis.user, QStringLiteral("mldeck"));
        QVERIFY(saved->redis.password.isEmpty());

        // Reopened: the fields show the sentinels; an unrelated edit saved keeps them.
        ui::ConnectionDialog again(shell.session);
        again.show();
        auto *list = child<QListWidget>(&again, "profileList");
        const auto items = list->findItems(QStringLiteral("Prod HA"), Qt::MatchExactly);
        QCOMPARE(items.size(), 1);
        list->setCurrentItem(items.first());
        QCOMPARE(child<QComboBox>(&again, "redisMode")->currentIndex(), 1);
        QVERIFY(child<QLineEdit>(&again, "redisSentinels")->isVisible());
        QCOMPARE(child<QLineEdit>(&again, "redisSentinels")->text(),
                 QStringLiteral("s1.internal:26379, s2.internal:26380"));
        QCOMPARE(child<QLineEdit>(&again, "redisMasterName")->text(), QStringLiteral("flags"));
        setText(&again, "pgDatabase", QStringLiteral("mldeck_ha"));
        QVERIFY(again.save());
        const auto resaved = shell.settings.profile(QStringLiteral("Prod HA"));
        QVERIFY(resaved);
        QCOMPARE(resaved->pg.database, QStringLiteral("mldeck_ha"));
        QVERIFY(resaved->redis.isSentinel());
        QVERIFY(resaved->redis.sentinels == saved->redis.sentinels);
        QCOMPARE(resaved->redis.masterName, QStringLiteral("flags"));

        // Back to a single server: the sentinels are gone from the saved profile.
        child<QComboBox>(&again, "redisMode")->setCurrentIndex(0);
        setText(&again, "redisHost", QStringLiteral("redis.internal"));
        QVERIFY(again.save());
        QVERIFY(!shell.settings.profile(QStringLiteral("Prod HA"))->redis.isSentinel());
        QCOMPARE(shell.settings.profile(QStringLiteral("Prod HA"))->redis.host, QStringLiteral("redis.internal"));
    }

    void duplicateNameIsRefused()
    {
        test::Shell shell;
        ConnectionProfile existing;
        existing.name = QStringLiteral("Production");
        QVERIFY(shell.settings.saveProfile(existing).ok());
        ui::ConnectionDialog dialog(shell.session);
        dialog.show();
        QTest::mouseClick(child<QPushButton>(&dialog, "addProfile"), Qt::LeftButton);
        QCOMPARE(child<QLineEdit>(&dialog, "profileName")->text(), QStringLiteral("New profile"));
        setText(&dialog, "profileName", QStringLiteral("Production"));
        QVERIFY2(dialog.errorText().contains(QLatin1String("already exists")), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.save());
        QCOMPARE(shell.settings.profiles().size(), 1);
    }

    void connectMakesTheProfileActiveWithSessionPasswords()
    {
        test::Shell shell;
        ui::ConnectionDialog dialog(shell.session);
        dialog.show();
        setText(&dialog, "profileName", QStringLiteral("Local"));
        setText(&dialog, "pgPassword", QStringLiteral("only-in-memory"));
        QTest::mouseClick(child<QPushButton>(&dialog, "connectButton"), Qt::LeftButton);
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(shell.session.activeProfile().name, QStringLiteral("Local"));
        QCOMPARE(shell.session.activeProfile().pg.password, QStringLiteral("only-in-memory"));
        QCOMPARE(shell.settings.value(Settings::Key::ActiveProfile).toString(), QStringLiteral("Local"));
        QVERIFY(!fileBytes(shell.settingsFile()).contains("only-in-memory"));
    }

    void startWithoutKeychainSaysWhyAndOffersToAsk()
    {
        test::Shell shell;
        ConnectionProfile saved;
        saved.name = QStringLiteral("Production");
        saved.pg.user = QStringLiteral("ops");
        QVERIFY(shell.settings.saveProfile(saved).ok());
        shell.settings.setValue(Settings::Key::ActiveProfile, saved.name);
        shell.window->show();
        shell.session.start();
        QCOMPARE(shell.session.activeProfile().name, saved.name);
        ui::InfoBar *bar = shell.window->infoBar();
        QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 20000);
        QVERIFY2(bar->text().contains(QLatin1String("keychain")), qPrintable(bar->text()));
        QVERIFY2(bar->text().contains(QLatin1String("this session")), qPrintable(bar->text()));
        if (qEnvironmentVariableIsSet("MLDECK_KEEP_SCREENSHOTS"))
            shell.window->grab().save(qEnvironmentVariable("MLDECK_KEEP_SCREENSHOTS") +
                                      QStringLiteral("/keychain-bar.png"));

        // Its action opens the dialog on the active profile, ready for the passwords.
        auto *action = bar->findChild<QPushButton *>(QStringLiteral("infoBarAction"));
        QVERIFY(action && action->isVisible());
        QTest::mouseClick(action, Qt::LeftButton);
        auto *dialog = shell.window->findChild<ui::ConnectionDialog *>();
        QVERIFY(dialog && dialog->isVisible());
        QCOMPARE(child<QLineEdit>(dialog, "profileName")->text(), saved.name);
        QVERIFY2(dialog->noticeText().contains(QLatin1String("memory only")), qPrintable(dialog->noticeText()));
    }
};

QTEST_MAIN(TestConnectionDialog)
#include "TestConnectionDialog.moc"
