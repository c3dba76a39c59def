// Confirmed flag changes behind Sentinel (run by hand; prints figures, asserts nothing). Starts its own
// master, replica and three sentinels (tests/support/SentinelCluster) and measures, as ratios to the PING
// round trip on the same connection in the same run:
//  1. the flag write script alone (FlagStore::write) vs the write followed by WAIT 1 (what "applied"
//     means behind Sentinel), p50/p99 over 2,000 changes;
//  2. a whole audited change (FlagService::apply) to the master directly (redis://, no WAIT) vs through
//     the sentinel endpoint (WAIT 1), p50/p99 over 300 changes each.
// Uses MLDECK_TEST_PG_URL (or MLDECK_PG_URL) for the audit log.
#include "core/services/FlagService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/BenchOutput.h"
#include "tests/support/PgSql.h"
#include "tests/support/SentinelCluster.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
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

void report(const QString &what, const std::vector<double> &ms, double pingP50)
{
    const double p50 = percentile(ms, 0.5);
    bench::out() << what.leftJustified(44)
                 << QStringLiteral(" p50 %1 ms  p99 %2 ms  = %3x PING\n")
                        .arg(p50, 0, 'f', 3)
                        .arg(percentile(ms, 0.99), 0, 'f', 3)
                        .arg(p50 / pingP50, 0, 'f', 1);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    auto pgEp = PgEndpoint::fromUrl(env("MLDECK_TEST_PG_URL", "MLDECK_PG_URL"));
    if (!pgEp)
        bench::die(QStringLiteral("set MLDECK_TEST_PG_URL: ") + pgEp.errorMessage());
    auto pg = PgConnection::open(*pgEp, QStringLiteral("bench"));
    if (!pg || !Migrator::migrate(**pg))
        bench::die(QStringLiteral("cannot migrate the PostgreSQL database"));

    test::SentinelCluster cluster;
    QString why;
    if (!cluster.start(&why))
        bench::die(why);
    auto conn = RedisConnection::open(cluster.endpoint());
    if (!conn)
        bench::die(conn.errorMessage());
    FlagStore store(**conn);
    const QString d = QStringLiteral("bench-sentinel");
    const QString viaService = QStringLiteral("bench-sentinel-svc");
    for (const QString &name : {d, viaService}) {
        if (auto s = store.initialiseIfMissing(name, FlagChange{true, 0, true, QStringLiteral("bench@local")}); !s)
            bench::die(s.errorMessage());
        (void)test::exec(**pg, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1') ON CONFLICT DO "
                                              "NOTHING")
                                   .arg(name));
    }

    std::vector<double> ping;
    for (int i = 0; i < 5000; ++i)
        ping.push_back(*(*conn)->pingMs());
    const double pingP50 = percentile(ping, 0.5);
    bench::out() << QStringLiteral("PING (master via sentinel resolution)        p50 %1 ms\n").arg(pingP50, 0, 'f', 3);

    // 1. The write script, without and with WAIT 1.
    constexpr int kWrites = 2000;
    std::vector<double> plainWrite, confirmedWrite;
    qint64 version = store.read(d)->version;
    QElapsedTimer t;
    for (int i = 0; i < 2 * kWrites; ++i) {
        const bool confirm = i % 2 == 1; // interleaved: both see the same load
        FlagChange c;
        c.trafficPercentage = i % 101;
        c.actor = QStringLiteral("bench@local");
        t.start();
        auto w = store.write(d, c, version);
        if (!w)
            bench::die(w.errorMessage());
        if (confirm) {
            auto acked = (*conn)->waitForReplicas(1, 1000);
            if (!acked || *acked < 1)
                bench::die(QStringLiteral("the replica did not acknowledge a write"));
        }
        (confirm ? confirmedWrite : plainWrite).push_back(double(t.nsecsElapsed()) / 1e6);
        version = w->version;
    }
    report(QStringLiteral("flag write script, not confirmed"), plainWrite, pingP50);
    report(QStringLiteral("flag write script + WAIT 1 (confirmed)"), confirmedWrite, pingP50);

    // 2. Whole audited changes: to the master directly, and through the sentinels.
    QTemporaryDir spool;
    RedisEndpoint direct;
    direct.host = (*conn)->endpoint().host;
    direct.port = (*conn)->endpoint().port;
    FlagService plainService(direct, *pgEp, spool.path());
    FlagService sentinelService(cluster.endpoint(), *pgEp, spool.path());
    constexpr int kApplies = 300;
    std::vector<double> plainApply, sentinelApply;
    version = store.read(viaService)->version;
    for (int i = 0; i < 2 * kApplies; ++i) {
        const bool confirm = i % 2 == 1;
        FlagEdit e;
        e.trafficPercentage = i % 101;
        t.start();
        const ApplyOutcome out = (confirm ? sentinelService : plainService)
                                     .apply(viaService, e, version, QStringLiteral("bench"), Actor::current());
        if (!out.applied || out.notReplicated)
            bench::die(out.message);
        (confirm ? sentinelApply : plainApply).push_back(double(t.nsecsElapsed()) / 1e6);
        version = out.state.version;
    }
    report(QStringLiteral("audited change, redis:// (no WAIT)"), plainApply, pingP50);
    report(QStringLiteral("audited change, redis-sentinel:// (WAIT 1)"), sentinelApply, pingP50);
    return 0;
}
