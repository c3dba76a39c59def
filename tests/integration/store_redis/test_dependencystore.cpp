// DependencyStore against the real test Redis: round trip, expiry turns a report into Unknown,
// values planted by hand read as Unknown with a reason, many dependencies in one read, and the
// change channel only speaks when something changed.
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/FlagSubscriber.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestServers.h"

#include <QtTest>

using namespace mldeck;

class TestRedisDependencyStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RedisConnection> m_conn;
    QStringList m_created;

    QString newDeployment()
    {
        const QString d = test::uniqueName(QStringLiteral("t_deps"));
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

    static DependencyReport weather(const QString &deployment, DependencyHealth h, bool fallback)
    {
        DependencyReport r;
        r.deployment = deployment;
        r.name = QStringLiteral("weather");
        r.state = h;
        r.fallbackActive = fallback;
        if (fallback)
            r.fallbackSince = QDateTime::currentDateTimeUtc().addSecs(-11 * 60);
        r.lastError = fallback ? QStringLiteral("HTTP 503") : QString();
        r.reportedBy = QStringLiteral("test@host");
        return r;
    }

    std::vector<DependencyState> readAll(const QString &deployment)
    {
        auto r = DependencyStore(*m_conn).read(deployment);
        if (!r)
            qWarning("%s", qPrintable(r.errorMessage()));
        return r ? *r : std::vector<DependencyState>{};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        auto a = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(a, qPrintable(a.errorMessage()));
        m_conn = std::move(a).value();
    }

    void cleanupTestCase()
    {
        if (!m_conn)
            return;
        for (const QString &d : std::as_const(m_created)) {
            auto names = m_conn->command({"SMEMBERS", DependencyStore::indexKey(d)});
            if (names && names->isArray())
                for (const RedisValue &n : names->array)
                    raw({"DEL", DependencyStore::key(d, QString::fromUtf8(n.string))});
            raw({"DEL", DependencyStore::indexKey(d)});
        }
    }

    void nothingReportedIsAnEmptyList()
    {
        auto r = DependencyStore(*m_conn).read(newDeployment());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(r->empty());
    }

    void roundTripWithExpiry()
    {
        const QString d = newDeployment();
        DependencyStore store(*m_conn);
        const DependencyReport report = weather(d, DependencyHealth::Down, true);
        QVERIFY2(store.report(report, 15000), "report");
        const auto deps = readAll(d);
        QCOMPARE(deps.size(), size_t(1));
        const DependencyState &s = deps.front();
        QCOMPARE(s.name, QStringLiteral("weather"));
        QCOMPARE(s.state, DependencyHealth::Down);
        QVERIFY(s.fallbackActive);
        QCOMPARE(s.fallbackSince.toMSecsSinceEpoch(), report.fallbackSince.toMSecsSinceEpoch());
        QCOMPARE(s.fallbackMinutes(QDateTime::currentDateTimeUtc()), 11);
        QCOMPARE(s.lastError, QStringLiteral("HTTP 503"));
        QCOMPARE(s.reportedBy, QStringLiteral("test@host"));
        QVERIFY(s.expiresInMs > 10000 && s.expiresInMs <= 15000);
        QVERIFY(qAbs(s.updatedAt.msecsTo(QDateTime::currentDateTimeUtc())) < 5000);

        // Recovery replaces the hash: fallback_since and last_error do not linger.
        QVERIFY(store.report(weather(d, DependencyHealth::Up, false), 15000));
        auto h = raw({"HGETALL", DependencyStore::key(d, QStringLiteral("weather"))});
        QCOMPARE(h.array.size(), 2 * 4); // state, fallback_active, updated_at, reported_by
        const auto after = readAll(d);
        QCOMPARE(after.front().state, DependencyHealth::Up);
        QVERIFY(!after.front().fallbackActive);
        QVERIFY(after.front().lastError.isEmpty());
    }

    void expiryReadsAsUnknown()
    {
        const QString d = newDeployment();
        QVERIFY(DependencyStore(*m_conn).report(weather(d, DependencyHealth::Down, true), 1000));
        QCOMPARE(readAll(d).front().state, DependencyHealth::Down);
        // Redis removes the hash when its expiry passes; the name stays in the index.
        QTRY_VERIFY_WITH_TIMEOUT(readAll(d).front().isUnknown(), 5000);
        const DependencyState s = readAll(d).front();
        QCOMPARE(s.name, QStringLiteral("weather"));
        QVERIFY(!s.fallbackActive);
        QVERIFY(s.unknownReason.contains(QLatin1String("expiry")));
    }

    void aHashWithoutExpiryIsNotBelieved()
    {
        const QString d = newDeployment();
        QVERIFY(DependencyStore(*m_conn).report(weather(d, DependencyHealth::Up, false), 15000));
        raw({"PERSIST", DependencyStore::key(d, QStringLiteral("weather"))});
        const DependencyState s = readAll(d).front();
        QVERIFY(s.isUnknown());
        QVERIFY2(s.unknownReason.contains(QLatin1String("expiry")), qPrintable(s.unknownReason));
    }

    void plantedBadValuesReadAsUnknown()
    {
        const QString d = newDeployment();
        const QByteArray now = DependencyFields::formatTime(QDateTime::currentDateTimeUtc());
        auto plant = [&](const char *name, QList<QByteArray> fields) {
            const QByteArray key = DependencyStore::key(d, QString::fromLatin1(name));
            QList<QByteArray> cmd{"HSET", key};
            cmd << fields;
            raw(cmd);
            raw({"PEXPIRE", key, "60000"});
            raw({"SADD", DependencyStore::indexKey(d), name});
        };
        plant("a-state", {"state", "UP", "fallback_active", "0", "updated_at", now});
        plant("b-fallback", {"state", "down", "fallback_active", "yes", "updated_at", now});
        plant("c-since", {"state", "down", "fallback_active", "1", "fallback_since", "yesterday", "updated_at", now});
        plant("d-good", {"state", "degraded", "fallback_active", "0", "updated_at", now});
        // A key of the wrong type and a name that cannot be a key.
        raw({"SET", DependencyStore::key(d, QStringLiteral("e-string")), "up"});
        raw({"SADD", DependencyStore::indexKey(d), "e-string", "Not A Name"});
        raw({"SADD", DependencyStore::indexKey(d), "f-never-written"});

        const auto deps = readAll(d);
        QCOMPARE(deps.size(), size_t(6)); // the invalid name is skipped
        QStringList names;
        for (const auto &s : deps)
            names << s.name;
        QCOMPARE(names, (QStringList{QStringLiteral("a-state"), QStringLiteral("b-fallback"), QStringLiteral("c-since"),
                                     QStringLiteral("d-good"), QStringLiteral("e-string"),
                                     QStringLiteral("f-never-written")}));
        QVERIFY(deps[0].isUnknown() && deps[0].unknownReason.contains(QLatin1String("state")));
        QVERIFY(deps[1].isUnknown() && deps[1].unknownReason.contains(QLatin1String("fallback_active")));
        QVERIFY(deps[2].isUnknown() && deps[2].unknownReason.contains(QLatin1String("fallback_since")));
        QCOMPARE(deps[3].state, DependencyHealth::Degraded);
        QVERIFY(deps[4].isUnknown() && deps[4].unknownReason.contains(QLatin1String("string")));
        QVERIFY(deps[5].isUnknown());
        raw({"DEL", DependencyStore::key(d, QStringLiteral("e-string"))});
    }

    void anIndexOfTheWrongTypeIsAReadableError()
    {
        const QString d = newDeployment();
        raw({"SET", DependencyStore::indexKey(d), "weather"});
        auto r = DependencyStore(*m_conn).read(d);
        QVERIFY(!r);
        QVERIFY2(r.errorMessage().contains(QLatin1String("not a set")), qPrintable(r.errorMessage()));
    }

    void manyDependencies()
    {
        const QString d = newDeployment();
        DependencyStore store(*m_conn);
        for (int i = 0; i < 100; ++i) {
            DependencyReport r = weather(d, i % 3 == 0 ? DependencyHealth::Down : DependencyHealth::Up, i % 3 == 0);
            r.name = QStringLiteral("dep-%1").arg(i, 3, 10, QLatin1Char('0'));
            QVERIFY(store.report(r, 60000));
        }
        QElapsedTimer t;
        t.start();
        const auto deps = readAll(d);
        qInfo("read 100 dependencies in %lld ms", t.elapsed());
        QCOMPARE(deps.size(), size_t(100));
        QCOMPARE(deps.front().name, QStringLiteral("dep-000"));
        QCOMPARE(deps.back().name, QStringLiteral("dep-099"));
        int down = 0;
        for (const auto &s : deps)
            down += s.state == DependencyHealth::Down ? 1 : 0;
        QCOMPARE(down, 34);
        QVERIFY(store.forget(d, QStringLiteral("dep-000")));
        QCOMPARE(readAll(d).size(), size_t(99));
    }

    void refusesBadReports()
    {
        DependencyStore store(*m_conn);
        DependencyReport r = weather(newDeployment(), DependencyHealth::Up, false);
        QVERIFY(!store.report(r, 10)); // expiry too short
        r.state = DependencyHealth::Unknown;
        QVERIFY(!store.report(r, 15000));
        r.state = DependencyHealth::Down;
        r.fallbackActive = true;
        r.fallbackSince = {};
        QVERIFY(!store.report(r, 15000));
        QVERIFY(readAll(r.deployment).empty()); // nothing was written
    }

    void publishesOnlyOnChange()
    {
        const QString d = newDeployment();
        auto sub = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(sub, qPrintable(sub.errorMessage()));
        QVERIFY(sub.value()->subscribe({DependencyStore::channel()}));
        DependencyStore store(*m_conn);
        auto nextMessage = [&]() -> QByteArray {
            // Messages of other tests' deployments running in parallel are skipped.
            QDeadlineTimer deadline(500);
            while (!deadline.hasExpired()) {
                auto push = sub.value()->nextPush(int(deadline.remainingTime()));
                if (!push || !push->has_value())
                    return {};
                const QByteArray payload = push->value().array.value(2).string;
                if (payload.contains(d.toUtf8()))
                    return payload;
            }
            return {};
        };
        QVERIFY(store.report(weather(d, DependencyHealth::Up, false), 15000));
        const QByteArray first = nextMessage();
        QVERIFY2(first.contains("\"state\":\"up\""), first.constData());
        QVERIFY(store.report(weather(d, DependencyHealth::Up, false), 15000)); // same: silent
        QVERIFY(nextMessage().isEmpty());
        QVERIFY(store.report(weather(d, DependencyHealth::Down, true), 15000));
        const QByteArray third = nextMessage();
        QVERIFY2(third.contains("\"fallback_active\":1"), third.constData());
    }
};

QTEST_GUILESS_MAIN(TestRedisDependencyStore)
#include "test_dependencystore.moc"
