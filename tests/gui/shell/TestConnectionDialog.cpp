// Connection dialog: bad input is explained inline and saves nothing; a valid profile is saved
// without its passwords; when the keychain is unavailable the dialog says so and the password
// is kept for the session only.
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
