// The change channel: a subscriber sees another connection's write at once, times out quietly,
// and reports an error when its Redis dies (the caller must then reconnect and re-read).
#include "PrivateRedis.h"

#include "core/store/redis/FlagStore.h"
#include "core/store/redis/FlagSubscriber.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestServers.h"

#include <QElapsedTimer>
#include <QtTest>

#include <algorithm>
#include <future>
#include <thread>

using namespace mldeck;

class TestRedisFlagSubscriber : public QObject
{
    Q_OBJECT

private:
    QStringList m_created;

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void cleanupTestCase()
    {
        auto c = RedisConnection::open(test::TestServers::redis());
        if (!c)
            return;
        for (const QString &d : std::as_const(m_created)) {
            (void)(*c)->command({"DEL", FlagStore::key(d)});
            (void)(*c)->command({"SREM", FlagStore::deploymentsKey(), d.toUtf8()});
        }
    }

    void parsesMessages()
    {
        const FlagChangeEvent e = FlagSubscriber::parseMessage(R"({"deployment":"eta","version":7})");
        QCOMPARE(e.deployment, QStringLiteral("eta"));
        QCOMPARE(e.version, 7);
        QVERIFY(FlagSubscriber::parseMessage("not json").deployment.isEmpty());
        QVERIFY(FlagSubscriber::parseMessage(R"({"deployment":"Bad Name","version":1})").deployment.isEmpty());
    }

    void receivesAChangeFromAnotherConnectionQuickly()
    {
        const QString d = test::uniqueName(QStringLiteral("t_sub"));
        m_created.append(d);
        auto sub = FlagSubscriber::open(test::TestServers::redis());
        QVERIFY2(sub, qPrintable(sub.errorMessage()));
        auto writer = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(writer, qPrintable(writer.errorMessage()));
        FlagStore store(**writer);
        auto init = store.initialiseIfMissing(d, FlagChange{false, 0, true, QStringLiteral("t@test")});
        QVERIFY(init);

        // Initialisation publishes version 1.
        auto first = (*sub)->waitForChange(2000);
        QVERIFY2(first, qPrintable(first.errorMessage()));
        // Other tests may publish too: skip their deployments.
        while (first->has_value() && (*first)->deployment != d)
            first = (*sub)->waitForChange(2000);
        QVERIFY(first->has_value());
        QCOMPARE((*first)->version, 1);

        std::vector<double> latenciesMs;
        qint64 version = 1;
        for (int i = 0; i < 20; ++i) {
            QElapsedTimer t;
            t.start();
            auto w = store.write(d, FlagChange{true, i * 5, std::nullopt, QStringLiteral("t@test")}, version);
            QVERIFY2(w, qPrintable(w.errorMessage()));
            version = w->version;
            std::optional<FlagChangeEvent> ev;
            do {
                auto r = (*sub)->waitForChange(2000);
                QVERIFY2(r, qPrintable(r.errorMessage()));
                QVERIFY2(r->has_value(), "no change message within 2 s");
                ev = **r;
            } while (ev->deployment != d);
            latenciesMs.push_back(double(t.nsecsElapsed()) / 1e6);
            QCOMPARE(ev->version, version);
        }
        std::sort(latenciesMs.begin(), latenciesMs.end());
        const double median = latenciesMs[latenciesMs.size() / 2];
        qInfo("write + change message received: median %.3f ms, max %.3f ms over %zu changes", median,
              latenciesMs.back(), latenciesMs.size());
        QVERIFY2(median < 50.0, qPrintable(QString::number(median)));
    }

    void timesOutQuietly()
    {
        // A private server: nobody else publishes there.
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({}, &why), qPrintable(why));
        auto sub = FlagSubscriber::open(server.endpoint());
        QVERIFY2(sub, qPrintable(sub.errorMessage()));
        QElapsedTimer t;
        t.start();
        auto r = (*sub)->waitForChange(300);
        const qint64 elapsed = t.elapsed();
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(!r->has_value());
        QVERIFY2(elapsed >= 280 && elapsed < 1000, qPrintable(QString::number(elapsed)));
        // Still usable after a timeout.
        auto writer = RedisConnection::open(server.endpoint());
        QVERIFY(writer);
        QVERIFY(FlagStore(**writer).initialiseIfMissing(QStringLiteral("eta"),
                                                        FlagChange{{}, {}, {}, QStringLiteral("t@test")}));
        auto ev = (*sub)->waitForChange(2000);
        QVERIFY(ev && ev->has_value());
        QCOMPARE((*ev)->deployment, QStringLiteral("eta"));
    }

    void reportsAnErrorWhenRedisDies()
    {
        test::PrivateRedis server;
        QString why;
        QVERIFY2(server.start({}, &why), qPrintable(why));
        auto opened = FlagSubscriber::open(server.endpoint());
        QVERIFY2(opened, qPrintable(opened.errorMessage()));
        std::unique_ptr<FlagSubscriber> sub = std::move(opened).value();

        // The subscriber is blocked in waitForChange when the server is killed.
        QElapsedTimer t;
        auto waiting = std::async(std::launch::async, [&sub, &t] {
            t.start();
            return sub->waitForChange(10000);
        });
        QThread::msleep(200);
        QElapsedTimer sinceKill;
        sinceKill.start();
        server.kill();
        QVERIFY(waiting.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
        const qint64 detectMs = sinceKill.elapsed();
        auto r = waiting.get();
        QVERIFY2(!r, "waitForChange must report the lost connection, not a timeout");
        QVERIFY2(r.errorMessage().contains(QString::number(server.port())), qPrintable(r.errorMessage()));
        qInfo("lost connection reported %lld ms after the kill: %s", detectMs, qPrintable(r.errorMessage()));
        QVERIFY(detectMs < 1000);
        // And it stays an error (no silent "no news" afterwards).
        QVERIFY(!sub->waitForChange(100));
        // Reconnecting to a dead server fails readably.
        auto again = FlagSubscriber::open(server.endpoint());
        QVERIFY(!again);
        QVERIFY2(again.errorMessage().contains(QLatin1String("Cannot connect")), qPrintable(again.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestRedisFlagSubscriber)
#include "test_flagsubscriber.moc"
