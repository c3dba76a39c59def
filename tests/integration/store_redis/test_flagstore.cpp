// FlagStore against the real test Redis: round trip, compare-and-set, bad values refused before
// sending, values planted by hand read back as invalid (never coerced).
#include "core/rollout/Bucketing.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestServers.h"

#include <QtTest>

using namespace mldeck;

class TestRedisFlagStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RedisConnection> m_conn;
    std::unique_ptr<RedisConnection> m_other; // a second editor
    QStringList m_created;

    QString newDeployment()
    {
        const QString d = test::uniqueName(QStringLiteral("t_flags"));
        m_created.append(d);
        return d;
    }

    RedisValue raw(const QList<QByteArray> &argv)
    {
        auto r = m_conn->command(argv);
        if (!r)
            qWarning("%s", qPrintable(r.errorMessage()));
        return r ? *r : RedisValue{};
    }

    FlagChange change(std::optional<bool> enabled, std::optional<int> pct, std::optional<bool> fallback,
                      const QString &actor = QStringLiteral("alice@test"))
    {
        return FlagChange{enabled, pct, fallback, actor};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        auto a = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(a, qPrintable(a.errorMessage()));
        m_conn = std::move(a).value();
        auto b = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(b, qPrintable(b.errorMessage()));
        m_other = std::move(b).value();
    }

    void cleanupTestCase()
    {
        if (!m_conn)
            return;
        for (const QString &d : std::as_const(m_created)) {
            raw({"DEL", FlagStore::key(d)});
            raw({"SREM", FlagStore::deploymentsKey(), d.toUtf8()});
        }
    }

    void genericCommands()
    {
        const QByteArray k = "mldeck:test:" + test::uniqueName(QStringLiteral("generic")).toUtf8();
        auto nil = m_conn->command({"GET", k});
        QVERIFY(nil && nil->isNil());
        auto set = m_conn->command({"SET", k, QByteArray("bin\0ary", 7)});
        QVERIFY(set && set->isStatus() && set->string == "OK");
        auto got = m_conn->command({"GET", k});
        QVERIFY(got && got->isString());
        QCOMPARE(got->string, QByteArray("bin\0ary", 7));
        auto err = m_conn->command({"INCR", k});
        QVERIFY(!err);
        QVERIFY2(err.errorMessage().contains(QLatin1String("INCR")), qPrintable(err.errorMessage()));
        QVERIFY(!m_conn->isBroken()); // an error reply does not break the connection
        auto del = m_conn->command({"DEL", k});
        QVERIFY(del && del->isInteger() && del->integer == 1);
        auto ms = m_conn->pingMs();
        QVERIFY2(ms, qPrintable(ms.errorMessage()));
        QVERIFY(*ms > 0 && *ms < 1000);
        qInfo("PING round trip: %.3f ms", *ms);
    }

    void missingDeploymentReadsAsNotExisting()
    {
        FlagStore store(*m_conn);
        auto s = store.read(newDeployment());
        QVERIFY2(s, qPrintable(s.errorMessage()));
        QVERIFY(!s->exists);
        QVERIFY(!s->routesToMl(1));
    }

    void initialiseThenRoundTrip()
    {
        FlagStore store(*m_conn);
        const QString d = newDeployment();
        auto init = store.initialiseIfMissing(d, change(std::nullopt, std::nullopt, std::nullopt));
        QVERIFY2(init, qPrintable(init.errorMessage()));
        QVERIFY(init->isValid());
        QCOMPARE(init->version, 1);
        QVERIFY(!init->mlEnabled);
        QCOMPARE(init->trafficPercentage, 0);
        QVERIFY(init->fallbackOnError);

        // A second initialisation changes nothing.
        auto again = store.initialiseIfMissing(d, change(true, 100, false, QStringLiteral("mallory@test")));
        QVERIFY(again);
        QCOMPARE(again->version, 1);
        QVERIFY(!again->mlEnabled);
        QCOMPARE(again->updatedBy, QStringLiteral("alice@test"));

        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
        auto w = store.write(d, change(true, 25, std::nullopt, QStringLiteral("bob@host")), 1);
        QVERIFY2(w, qPrintable(w.errorMessage()));
        QCOMPARE(w->version, 2);
        QVERIFY(w->mlEnabled);
        QCOMPARE(w->trafficPercentage, 25);
        QVERIFY(w->fallbackOnError); // untouched
        QCOMPARE(w->updatedBy, QStringLiteral("bob@host"));
        QVERIFY(w->updatedAt >= before && w->updatedAt <= QDateTime::currentDateTimeUtc().addSecs(1));

        auto r = store.read(d);
        QVERIFY(r && r->isValid());
        QCOMPARE(r->version, 2);
        QCOMPARE(r->trafficPercentage, 25);
        QCOMPARE(r->updatedAt, w->updatedAt);

        // What a backend sees with HGETALL: canonical text.
        const RedisValue h = raw({"HGET", FlagStore::key(d), "ml_traffic_percentage"});
        QCOMPARE(h.string, QByteArray("25"));
        QCOMPARE(raw({"HGET", FlagStore::key(d), "ml_enabled"}).string, QByteArray("1"));
        QVERIFY(raw({"HGET", FlagStore::key(d), "updated_at"}).string.endsWith('Z'));

        auto names = store.deployments();
        QVERIFY(names && names->contains(d));
        QVERIFY(routesToMl(*r, QStringLiteral("any")) == (bucket(d, QStringLiteral("any")) <= 25));
    }

    void writeNeedsAnExistingSet()
    {
        FlagStore store(*m_conn);
        const QString d = newDeployment();
        auto w = store.write(d, change(true, 10, std::nullopt), 0);
        QVERIFY(!w);
        QVERIFY2(w.errorMessage().contains(QLatin1String("init")), qPrintable(w.errorMessage()));
        QVERIFY(!store.lastWriteWasConflict());
        QCOMPARE(raw({"EXISTS", FlagStore::key(d)}).integer, 0);
    }

    void concurrentEditorGetsAConflictNamingTheOther()
    {
        const QString d = newDeployment();
        FlagStore alice(*m_conn);
        FlagStore bob(*m_other);
        QVERIFY(alice.initialiseIfMissing(d, change(false, 0, true)));
        auto seen = alice.read(d);
        QVERIFY(seen && seen->version == 1);

        auto b = bob.write(d, change(true, 50, std::nullopt, QStringLiteral("bob@laptop")), 1);
        QVERIFY2(b, qPrintable(b.errorMessage()));

        auto a = alice.write(d, change(true, 10, std::nullopt, QStringLiteral("alice@desk")), seen->version);
        QVERIFY(!a);
        QVERIFY(alice.lastWriteWasConflict());
        const QString msg = a.errorMessage();
        QVERIFY2(msg.contains(QLatin1String("bob@laptop")), qPrintable(msg));
        QVERIFY2(msg.contains(QLatin1String("version 2")), qPrintable(msg));
        QVERIFY2(msg.contains(QLatin1String("ml_traffic_percentage=50")), qPrintable(msg));

        auto now = alice.read(d);
        QCOMPARE(now->trafficPercentage, 50); // Bob's value stands
        QCOMPARE(now->version, 2);
        QCOMPARE(now->updatedBy, QStringLiteral("bob@laptop"));

        // Retrying on the fresh version succeeds.
        auto retry = alice.write(d, change(true, 10, std::nullopt, QStringLiteral("alice@desk")), now->version);
        QVERIFY2(retry, qPrintable(retry.errorMessage()));
        QCOMPARE(retry->version, 3);
    }

    void badValuesAreRefusedBeforeSending()
    {
        FlagStore store(*m_conn);
        const QString d = newDeployment();
        QVERIFY(store.initialiseIfMissing(d, change(false, 0, true)));
        for (int bad : {150, -1, 101}) {
            auto w = store.write(d, change(std::nullopt, bad, std::nullopt), 1);
            QVERIFY(!w);
            QVERIFY2(w.errorMessage().contains(QString::number(bad)), qPrintable(w.errorMessage()));
        }
        QVERIFY(!store.write(d, change(true, 10, std::nullopt, QString()), 1));        // no actor
        QVERIFY(!store.write(d, change(std::nullopt, std::nullopt, std::nullopt), 1)); // nothing to change
        QVERIFY(!store.write(d, change(true, 10, std::nullopt), -5));
        auto badName = store.write(QStringLiteral("Bad Name"), change(true, 10, std::nullopt), 1);
        QVERIFY(!badName);
        QVERIFY2(badName.errorMessage().contains(QLatin1String("Bad Name")), qPrintable(badName.errorMessage()));
        QVERIFY(!store.read(QStringLiteral("x:y")));
        QVERIFY(!store.initialiseIfMissing(d, change(true, 150, true)));

        auto s = store.read(d);
        QCOMPARE(s->version, 1); // nothing was written
        QCOMPARE(s->trafficPercentage, 0);
    }

    void plantedValuesReadAsInvalid_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("value"); // empty: delete the field
        QTest::newRow("percentage 150") << QByteArray("ml_traffic_percentage") << QByteArray("150");
        QTest::newRow("percentage -1") << QByteArray("ml_traffic_percentage") << QByteArray("-1");
        QTest::newRow("percentage abc") << QByteArray("ml_traffic_percentage") << QByteArray("abc");
        QTest::newRow("percentage 12.5") << QByteArray("ml_traffic_percentage") << QByteArray("12.5");
        QTest::newRow("percentage missing") << QByteArray("ml_traffic_percentage") << QByteArray();
        QTest::newRow("enabled abc") << QByteArray("ml_enabled") << QByteArray("abc");
        QTest::newRow("enabled 2") << QByteArray("ml_enabled") << QByteArray("2");
        QTest::newRow("enabled missing") << QByteArray("ml_enabled") << QByteArray();
        QTest::newRow("fallback -1") << QByteArray("fallback_on_error") << QByteArray("-1");
        QTest::newRow("version abc") << QByteArray("version") << QByteArray("abc");
    }

    void plantedValuesReadAsInvalid()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, value);
        FlagStore store(*m_conn);
        const QString d = newDeployment();
        QVERIFY(store.initialiseIfMissing(d, change(true, 100, true)));
        if (value.isEmpty())
            raw({"HDEL", FlagStore::key(d), field});
        else
            raw({"HSET", FlagStore::key(d), field, value});
        auto s = store.read(d);
        QVERIFY2(s, qPrintable(s.errorMessage()));
        QVERIFY(s->exists);
        QCOMPARE(s->invalidFields, QStringList{QString::fromLatin1(field)});
        QVERIFY(!s->isValid());
        QVERIFY(!routesToMl(*s, QStringLiteral("k1")));
        QVERIFY(!s->routesToMl(1));
        // The stored text is left as planted: reading never rewrites.
        if (!value.isEmpty())
            QCOMPARE(raw({"HGET", FlagStore::key(d), field}).string, value);
    }

    void keyOfWrongTypeReadsAsInvalid()
    {
        FlagStore store(*m_conn);
        const QString d = newDeployment();
        raw({"RPUSH", FlagStore::key(d), "ml_enabled", "1"});
        auto s = store.read(d);
        QVERIFY2(s, qPrintable(s.errorMessage()));
        QVERIFY(s->exists);
        QCOMPARE(s->invalidFields.size(), 4);
        QVERIFY(!s->routesToMl(1));

        auto w = store.write(d, change(true, 10, std::nullopt), 0);
        QVERIFY(!w);
        QVERIFY2(w.errorMessage().contains(QLatin1String("list")), qPrintable(w.errorMessage()));
        QCOMPARE(raw({"LLEN", FlagStore::key(d)}).integer, 2); // untouched
        auto init = store.initialiseIfMissing(d, change(true, 10, true));
        QVERIFY(init && !init->isValid());
        QCOMPARE(raw({"TYPE", FlagStore::key(d)}).string, QByteArray("list"));
    }

    void setWithBrokenVersionCanBeRepairedWithExpectedZero()
    {
        FlagStore store(*m_conn);
        const QString d = newDeployment();
        QVERIFY(store.initialiseIfMissing(d, change(false, 0, true)));
        raw({"HSET", FlagStore::key(d), "version", "abc"});
        QVERIFY(!store.write(d, change(false, 0, true), 1)); // version 1 no longer matches
        auto w = store.write(d, change(false, 0, true), 0);
        QVERIFY2(w, qPrintable(w.errorMessage()));
        QVERIFY(w->isValid());
        QCOMPARE(w->version, 1);
    }
};

QTEST_GUILESS_MAIN(TestRedisFlagStore)
#include "test_flagstore.moc"
