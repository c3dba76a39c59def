// Flag change propagation (run by hand; prints figures, asserts nothing):
//  1. write in one client (FlagStore::write, the CAS script) -> notification in another
//     (FlagSubscriber), p50/p99 over 10,000 changes, as a ratio to the Redis PING round trip
//     measured in the same run (goal <= 3x);
//  2. rollback call (FlagService::rollback, audit included) -> state confirmed in Redis by an
//     independent reader, p50/p99 over 1,000 rollbacks.
// Uses MLDECK_TEST_REDIS_URL / MLDECK_TEST_PG_URL (or MLDECK_REDIS_URL / MLDECK_PG_URL).
#include "core/services/FlagService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/FlagSubscriber.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using namespace mldeck;

namespace {

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[size_t(p * double(v.size() - 1))];
}

QString env(const char *a, const char *b)
{
    const QString x = qEnvironmentVariable(a);
    return x.isEmpty() ? qEnvironmentVariable(b) : x;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    auto redisEp = RedisEndpoint::fromUrl(env("MLDECK_TEST_REDIS_URL", "MLDECK_REDIS_URL"));
    auto pgEp = PgEndpoint::fromUrl(env("MLDECK_TEST_PG_URL", "MLDECK_PG_URL"));
    if (!redisEp || !pgEp) {
        std::fprintf(stderr, "set MLDECK_TEST_REDIS_URL and MLDECK_TEST_PG_URL\n");
        return 2;
    }
    {
        auto pg = PgConnection::open(*pgEp, QStringLiteral("bench"));
        if (!pg || !Migrator::migrate(**pg)) {
            std::fprintf(stderr, "cannot migrate the PostgreSQL database\n");
            return 2;
        }
    }
    const QString d = QStringLiteral("bench-flags-%1").arg(QCoreApplication::applicationPid());
    auto writerConn = RedisConnection::open(*redisEp);
    if (!writerConn) {
        std::fprintf(stderr, "%s\n", qPrintable(writerConn.errorMessage()));
        return 2;
    }
    FlagStore writer(**writerConn);
    if (auto s = writer.initialiseIfMissing(d, FlagChange{true, 0, true, QStringLiteral("bench@local")}); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 2;
    }

    // PING round trip on the same kind of connection.
    std::vector<double> ping;
    for (int i = 0; i < 10000; ++i)
        ping.push_back(*(*writerConn)->pingMs());

    // 1. Propagation: the subscriber thread timestamps each message for our deployment.
    auto sub = FlagSubscriber::open(*redisEp);
    if (!sub) {
        std::fprintf(stderr, "%s\n", qPrintable(sub.errorMessage()));
        return 2;
    }
    constexpr int kChanges = 10000;
    std::vector<qint64> seenAt(kChanges + 2, -1);
    std::atomic<bool> stop{false};
    QElapsedTimer clock;
    clock.start();
    auto version0 = writer.read(d)->version;
    std::thread listener([&] {
        while (!stop) {
            auto ev = (*sub)->waitForChange(50);
            if (ev && ev->has_value() && (*ev)->deployment == d) {
                const qint64 idx = (*ev)->version - version0;
                if (idx >= 0 && idx < qint64(seenAt.size()))
                    seenAt[size_t(idx)] = clock.nsecsElapsed();
            }
        }
    });
    std::vector<double> propagation;
    qint64 version = version0;
    for (int i = 1; i <= kChanges; ++i) {
        FlagChange c;
        c.trafficPercentage = i % 101;
        c.actor = QStringLiteral("bench@local");
        const qint64 sent = clock.nsecsElapsed();
        auto w = writer.write(d, c, version);
        if (!w) {
            std::fprintf(stderr, "%s\n", qPrintable(w.errorMessage()));
            break;
        }
        version = w->version;
        // Wait for the other client to see it before the next change (measures one change at a time).
        const qint64 idx = version - version0;
        while (seenAt[size_t(idx)] < 0 && clock.nsecsElapsed() - sent < 1000000000LL)
            std::this_thread::sleep_for(std::chrono::microseconds(20)); // leave the CPU to the listener
        if (seenAt[size_t(idx)] >= 0)
            propagation.push_back(double(seenAt[size_t(idx)] - sent) / 1e6);
    }
    stop = true;
    listener.join();

    // 2. Rollback call -> state confirmed by an independent reader.
    QTemporaryDir spool;
    FlagService flags(*redisEp, *pgEp, spool.path());
    auto readerConn = RedisConnection::open(*redisEp);
    FlagStore reader(**readerConn);
    std::vector<double> rollback;
    for (int i = 0; i < 1000; ++i) {
        FlagChange on;
        on.mlEnabled = true;
        on.trafficPercentage = 50;
        on.actor = QStringLiteral("bench@local");
        auto st = writer.read(d);
        (void)writer.write(d, on, st->version);
        QElapsedTimer t;
        t.start();
        const ApplyOutcome out = flags.rollback(d, QStringLiteral("bench"), Actor::current());
        auto seen = reader.read(d);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        if (!out.applied || !seen || seen->mlEnabled) {
            std::fprintf(stderr, "rollback not confirmed: %s\n", qPrintable(out.message));
            return 1;
        }
        rollback.push_back(ms);
    }
    (void)(*writerConn)->command({"DEL", FlagStore::key(d)});
    (void)(*writerConn)->command({"SREM", FlagStore::deploymentsKey(), d.toUtf8()});

    const double p50ping = percentile(ping, 0.5), p99ping = percentile(ping, 0.99);
    const double p50 = percentile(propagation, 0.5), p99 = percentile(propagation, 0.99);
    std::printf("redis PING round trip:         p50 %.3f ms  p99 %.3f ms  (%zu pings)\n", p50ping, p99ping,
                ping.size());
    std::printf("flag change -> other client:   p50 %.3f ms  p99 %.3f ms  (%zu of %d changes seen)\n", p50, p99,
                propagation.size(), kChanges);
    std::printf("ratio to PING:                 p50 %.2fx  p99 %.2fx  (goal <= 3x)\n", p50 / p50ping, p99 / p99ping);
    std::printf("rollback call -> confirmed:    p50 %.3f ms  p99 %.3f ms  (1000 rollbacks, audit row included)\n",
                percentile(rollback, 0.5), percentile(rollback, 0.99));
    return 0;
}
