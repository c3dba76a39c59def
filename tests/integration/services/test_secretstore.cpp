#include "core/secrets/SecretStore.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QtTest>

#include <memory>

using namespace mldeck;

// The test machine has no Secret Service. To make that certain (and not depend on whoever runs
// the suite), the session bus is pointed at a socket that does not exist before the first job.
// The contract checked here: every call ends exactly once, with an error a user can read, and
// never hangs; no plaintext fallback quietly "succeeds".
class TestSecretStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        qunsetenv("DISPLAY"); // no X11 autolaunch of a bus either
    }

    void writeWithoutKeychainFailsOnceReadably()
    {
        SecretStore store;
        QObject context;
        int calls = 0;
        Status result;
        QElapsedTimer clock;
        clock.start();
        store.writePassword(QStringLiteral("postgresql/test"), QStringLiteral("s3cret"), &context, [&](Status st) {
            ++calls;
            result = st;
        });
        QCOMPARE(calls, 0); // asynchronous: never inside the call
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 20000);
        const qint64 ms = clock.elapsed();
        QVERIFY(!test::happensWithin([&] { return calls > 1; }, 300)); // and never a second time
        QVERIFY(!result.ok());
        QVERIFY2(result.errorMessage().contains(QStringLiteral("keychain")), qPrintable(result.errorMessage()));
        qInfo("write without keychain: \"%s\" after %lld ms", qPrintable(result.errorMessage()), ms);
    }

    void readWithoutKeychainFailsOnceReadably()
    {
        SecretStore store;
        QObject context;
        int calls = 0;
        Result<QString> result = Error{};
        store.readPassword(QStringLiteral("postgresql/test"), &context, [&](Result<QString> r) {
            ++calls;
            result = std::move(r);
        });
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 20000);
        QVERIFY(!test::happensWithin([&] { return calls > 1; }, 300)); // and never a second time
        QVERIFY(!result.ok());
        QVERIFY2(result.errorMessage().contains(QStringLiteral("keychain")), qPrintable(result.errorMessage()));
        QVERIFY2(result.errorMessage().contains(QStringLiteral("asked each session")) ||
                     result.errorMessage().contains(QStringLiteral("no password")),
                 qPrintable(result.errorMessage()));
    }

    void deleteWithoutKeychainEndsOnce()
    {
        SecretStore store;
        QObject context;
        int calls = 0;
        store.deletePassword(QStringLiteral("redis/test"), &context, [&](Status) { ++calls; });
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 20000);
        QVERIFY(!test::happensWithin([&] { return calls > 1; }, 300)); // and never a second time
    }

    void timeoutStillEndsExactlyOnce()
    {
        SecretStore store;
        store.setTimeout(std::chrono::milliseconds(1)); // the timeout and the job race: one of them wins
        QObject context;
        int calls = 0;
        store.readPassword(QStringLiteral("postgresql/test"), &context, [&](Result<QString> r) {
            ++calls;
            QVERIFY(!r.ok());
        });
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 20000);
        QVERIFY(!test::happensWithin([&] { return calls > 1; }, 1000)); // the loser of the race stays silent
    }

    void noCallbackAfterContextDestroyed()
    {
        SecretStore store;
        int calls = 0;
        {
            auto context = std::make_unique<QObject>();
            store.readPassword(QStringLiteral("postgresql/test"), context.get(), [&](Result<QString>) { ++calls; });
            store.writePassword(QStringLiteral("postgresql/test"), QStringLiteral("x"), context.get(),
                                [&](Status) { ++calls; });
        } // destroyed before any job could answer
        QVERIFY(!test::happensWithin([&] { return calls > 0; }, 2000));
    }

    void emptyAccountRefused()
    {
        SecretStore store;
        QObject context;
        int calls = 0;
        QString message;
        store.writePassword(QString(), QStringLiteral("x"), &context, [&](Status st) {
            ++calls;
            message = st.errorMessage();
        });
        QCOMPARE(calls, 0);
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 2000);
        QVERIFY(message.contains(QStringLiteral("account")));
    }
};

QTEST_GUILESS_MAIN(TestSecretStore)
#include "test_secretstore.moc"
