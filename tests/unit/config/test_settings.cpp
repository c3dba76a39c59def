#include "core/config/Settings.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using Key = Settings::Key;

class TestSettings final : public QObject
{
    Q_OBJECT

private:
    QString path() const { return m_dir->filePath(QStringLiteral("mldeck.ini")); }
    QByteArray rawFile() const
    {
        QFile f(path());
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    static ConnectionProfile sampleProfile(const QString &name)
    {
        ConnectionProfile p;
        p.name = name;
        p.redis.host = QStringLiteral("redis.internal");
        p.redis.port = 6380;
        p.redis.user = QStringLiteral("ops");
        p.redis.password = QStringLiteral("r3dis-S3CRET");
        p.redis.db = 2;
        p.pg.host = QStringLiteral("db.internal");
        p.pg.port = 5433;
        p.pg.database = QStringLiteral("prod");
        p.pg.user = QStringLiteral("viewer");
        p.pg.password = QStringLiteral("pg-S3CRET");
        p.pg.sslMode = QStringLiteral("require");
        p.pg.sslRootCert = QStringLiteral("/etc/mldeck/pg ca.crt"); // a path only: not read when saved
        return p;
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void defaults_data()
    {
        QTest::addColumn<Key>("key");
        QTest::addColumn<QVariant>("expected");
        QTest::newRow("language follows the system") << Key::Language << QVariant(QString());
        QTest::newRow("no active profile") << Key::ActiveProfile << QVariant(QString());
        QTest::newRow("refresh 2 s") << Key::RefreshIntervalMs << QVariant(2000);
        QTest::newRow("no geometry") << Key::MainWindowGeometry << QVariant(QByteArray());
        QTest::newRow("dashboard first") << Key::LastPage << QVariant(QStringLiteral("dashboard"));
    }
    void defaults()
    {
        QFETCH(Key, key);
        QFETCH(QVariant, expected);
        Settings s(path());
        QCOMPARE(s.value(key), expected);
        QCOMPARE(Settings::defaultValue(key), expected);
        QVERIFY(!QFile::exists(path())); // reading defaults writes nothing
    }

    void scopes()
    {
        QCOMPARE(Settings::scope(Key::Language), Settings::Scope::Roaming);
        QCOMPARE(Settings::scope(Key::MainWindowGeometry), Settings::Scope::Local);
    }

    void roundTripThroughFile()
    {
        const QByteArray geometry("\x01\x02\x00\xff geometry", 13);
        {
            Settings s(path());
            s.setValue(Key::Language, QStringLiteral("fr"));
            s.setValue(Key::ActiveProfile, QStringLiteral("staging"));
            s.setValue(Key::RefreshIntervalMs, 5000);
            s.setValue(Key::MainWindowGeometry, geometry);
            s.setValue(Key::LastPage, QStringLiteral("rollout"));
        }
        QVERIFY(QFile::exists(path()));
        Settings reopened(path());
        QCOMPARE(reopened.value(Key::Language).toString(), QStringLiteral("fr"));
        QCOMPARE(reopened.value(Key::ActiveProfile).toString(), QStringLiteral("staging"));
        QCOMPARE(reopened.value(Key::RefreshIntervalMs).toInt(), 5000);
        QCOMPARE(reopened.value(Key::MainWindowGeometry).toByteArray(), geometry);
        QCOMPARE(reopened.value(Key::LastPage).toString(), QStringLiteral("rollout"));
    }

    void changedSignalOncePerRealChange()
    {
        Settings s(path());
        QSignalSpy spy(&s, &Settings::changed);
        s.setValue(Key::RefreshIntervalMs, 1000);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).value<Key>(), Key::RefreshIntervalMs);
        s.setValue(Key::RefreshIntervalMs, 1000); // same value: no signal
        QCOMPARE(spy.count(), 1);
        s.setValue(Key::Language, QStringLiteral("en"));
        QCOMPARE(spy.count(), 2);
        QCOMPARE(spy.at(1).at(0).value<Key>(), Key::Language);
    }

    void invalidValuesRefusedAndUnchanged_data()
    {
        QTest::addColumn<Key>("key");
        QTest::addColumn<QVariant>("bad");
        QTest::newRow("unknown language") << Key::Language << QVariant(QStringLiteral("klingon"));
        QTest::newRow("refresh too fast") << Key::RefreshIntervalMs << QVariant(10);
        QTest::newRow("refresh negative") << Key::RefreshIntervalMs << QVariant(-5);
        QTest::newRow("refresh not a number") << Key::RefreshIntervalMs << QVariant(QStringLiteral("soon"));
    }
    void invalidValuesRefusedAndUnchanged()
    {
        QFETCH(Key, key);
        QFETCH(QVariant, bad);
        Settings s(path());
        const QVariant before = s.value(key);
        QSignalSpy spy(&s, &Settings::changed);
        const Status st = Settings::check(key, bad);
        QVERIFY(!st.ok());
        QVERIFY(!st.errorMessage().isEmpty());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("refused setting")));
        s.setValue(key, bad);
        QCOMPARE(spy.count(), 0);
        QCOMPARE(s.value(key), before);
        QVERIFY(!QFile::exists(path()));
    }

    void handEditedBadValueFallsBackToDefault()
    {
        QFile f(path());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[general]\nrefreshIntervalMs=-3\nlanguage=xx\n");
        f.close();
        Settings s(path());
        QCOMPARE(s.value(Key::RefreshIntervalMs).toInt(), 2000);
        QCOMPARE(s.value(Key::Language).toString(), QString());
    }

    void profilesSavedWithoutPasswords()
    {
        Settings s(path());
        QSignalSpy spy(&s, &Settings::profilesChanged);
        const ConnectionProfile p = sampleProfile(QStringLiteral("production"));
        const Status st = s.saveProfile(p);
        QVERIFY2(st.ok(), qPrintable(st.errorMessage()));
        QCOMPARE(spy.count(), 1);

        const QByteArray raw = rawFile();
        QVERIFY(raw.contains("db.internal")); // the file really holds the profile...
        QVERIFY(!raw.contains("S3CRET"));     // ...and no password, in any form
        QVERIFY(!raw.toLower().contains("password"));

        Settings reopened(path());
        const QList<ConnectionProfile> all = reopened.profiles();
        QCOMPARE(all.size(), 1);
        const ConnectionProfile &got = all.first();
        QCOMPARE(got.name, p.name);
        QCOMPARE(got.redis.host, p.redis.host);
        QCOMPARE(got.redis.port, p.redis.port);
        QCOMPARE(got.redis.user, p.redis.user);
        QCOMPARE(got.redis.db, p.redis.db);
        QCOMPARE(got.pg.host, p.pg.host);
        QCOMPARE(got.pg.port, p.pg.port);
        QCOMPARE(got.pg.database, p.pg.database);
        QCOMPARE(got.pg.user, p.pg.user);
        QCOMPARE(got.pg.sslMode, p.pg.sslMode);
        QCOMPARE(got.pg.sslRootCert, p.pg.sslRootCert);
        QVERIFY(got.redis.password.isEmpty());
        QVERIFY(got.pg.password.isEmpty());
    }

    void saveReplacesSameNameAndRemoveClearsActive()
    {
        Settings s(path());
        QVERIFY(s.saveProfile(sampleProfile(QStringLiteral("b"))).ok());
        QVERIFY(s.saveProfile(sampleProfile(QStringLiteral("a"))).ok());
        ConnectionProfile changed = sampleProfile(QStringLiteral("b"));
        changed.pg.port = 6000;
        QVERIFY(s.saveProfile(changed).ok());
        QList<ConnectionProfile> all = s.profiles();
        QCOMPARE(all.size(), 2);
        QCOMPARE(all.at(0).name, QStringLiteral("a")); // sorted
        QCOMPARE(all.at(1).pg.port, 6000);

        s.setValue(Key::ActiveProfile, QStringLiteral("b"));
        QSignalSpy spy(&s, &Settings::changed);
        s.removeProfile(QStringLiteral("b"));
        QCOMPARE(s.profiles().size(), 1);
        QVERIFY(!s.profile(QStringLiteral("b")).has_value());
        QCOMPARE(s.value(Key::ActiveProfile).toString(), QString());
        QCOMPARE(spy.count(), 1);
        s.removeProfile(QStringLiteral("does not exist")); // harmless
        QCOMPARE(s.profiles().size(), 1);
    }

    void invalidProfileRefusedNothingSaved_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("expectInError");
        QTest::newRow("empty name") << QStringLiteral("name") << QStringLiteral("name");
        QTest::newRow("blank redis host") << QStringLiteral("redisHost") << QStringLiteral("Redis host");
        QTest::newRow("redis port 0") << QStringLiteral("redisPort") << QStringLiteral("Redis port");
        QTest::newRow("pg port 70000") << QStringLiteral("pgPort") << QStringLiteral("PostgreSQL port");
        QTest::newRow("pg host with space") << QStringLiteral("pgHost") << QStringLiteral("PostgreSQL host");
        QTest::newRow("no database") << QStringLiteral("pgDb") << QStringLiteral("database");
        QTest::newRow("bad sslmode") << QStringLiteral("ssl") << QStringLiteral("sslmode");
    }
    void invalidProfileRefusedNothingSaved()
    {
        QFETCH(QString, field);
        QFETCH(QString, expectInError);
        Settings s(path());
        QVERIFY(s.saveProfile(sampleProfile(QStringLiteral("keep"))).ok());
        const QByteArray before = rawFile();

        ConnectionProfile bad = sampleProfile(QStringLiteral("keep")); // would replace "keep" if accepted
        if (field == QLatin1String("name"))
            bad.name = QString();
        else if (field == QLatin1String("redisHost"))
            bad.redis.host = QStringLiteral("  ");
        else if (field == QLatin1String("redisPort"))
            bad.redis.port = 0;
        else if (field == QLatin1String("pgPort"))
            bad.pg.port = 70000;
        else if (field == QLatin1String("pgHost"))
            bad.pg.host = QStringLiteral("db internal");
        else if (field == QLatin1String("pgDb"))
            bad.pg.database = QString();
        else if (field == QLatin1String("ssl"))
            bad.pg.sslMode = QStringLiteral("sometimes");

        QSignalSpy spy(&s, &Settings::profilesChanged);
        const Status st = s.saveProfile(bad);
        QVERIFY(!st.ok());
        QVERIFY2(st.errorMessage().contains(expectInError, Qt::CaseInsensitive), qPrintable(st.errorMessage()));
        QCOMPARE(spy.count(), 0);
        QCOMPARE(rawFile(), before);
        QCOMPARE(s.profiles().size(), 1);
        QCOMPARE(s.profiles().first().pg.port, 5433);
    }
};

QTEST_GUILESS_MAIN(TestSettings)
#include "test_settings.moc"
