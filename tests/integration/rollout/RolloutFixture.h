#pragma once

// Shared set-up of the rollout integration tests: a scratch database migrated to the latest
// schema, a unique deployment with flags in the shared test Redis, a private audit spool.
#include "core/services/FlagService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace mldeck::test {

struct RolloutFixture
{
    std::unique_ptr<ScratchDatabase> db;
    std::unique_ptr<QTemporaryDir> spoolDir;
    std::unique_ptr<PgConnection> pg;
    std::unique_ptr<RedisConnection> redis;
    QString deployment;

    bool setUp(QString *why, int percentage = 10, bool enabled = true)
    {
        db = std::make_unique<ScratchDatabase>(QStringLiteral("rollout"));
        spoolDir = std::make_unique<QTemporaryDir>();
        auto c = PgConnection::open(db->endpoint(), QStringLiteral("test"));
        if (!c) {
            *why = c.errorMessage();
            return false;
        }
        pg = std::move(c).value();
        if (auto m = Migrator::migrate(*pg); !m) {
            *why = m.errorMessage();
            return false;
        }
        auto r = RedisConnection::open(TestServers::redis());
        if (!r) {
            *why = r.errorMessage();
            return false;
        }
        redis = std::move(r).value();
        deployment = uniqueName(QStringLiteral("ro")).toLower().replace(QLatin1Char('.'), QLatin1Char('-'));
        FlagChange init;
        init.mlEnabled = enabled;
        init.trafficPercentage = percentage;
        init.fallbackOnError = true;
        init.actor = QStringLiteral("fixture@test");
        auto s = FlagStore(*redis).initialiseIfMissing(deployment, init);
        if (!s) {
            *why = s.errorMessage();
            return false;
        }
        if (auto e =
                test::exec(*pg, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(deployment));
            !e) {
            *why = e.errorMessage();
            return false;
        }
        return true;
    }

    QString spool() const { return spoolDir->path() + QStringLiteral("/spool"); }

    std::unique_ptr<FlagService> service(const RedisEndpoint &r = TestServers::redis()) const
    {
        return std::make_unique<FlagService>(r, db->endpoint(), spool());
    }

    FlagState state() const
    {
        auto s = FlagStore(*redis).read(deployment);
        return s ? *s : FlagState{};
    }

    int auditRows(const QString &where = QStringLiteral("true")) const
    {
        auto r = test::query(
            *pg, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND (%1)").arg(where),
            {deployment});
        return r ? r->value(0).value(0).toInt() : -1;
    }

    // Logs `n` predictions in the last minute for this deployment: path ml unless given, with a
    // failed share, a latency and (for labelled rows) an outcome with absolute error `error`.
    bool logPredictions(int n, double failedShare, double latencyMs, double error,
                        const QString &path = QStringLiteral("ml"), const QString &keyPrefix = QStringLiteral("k"))
    {
        const QString sql =
            QStringLiteral(
                "INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key) "
                "SELECT now() - make_interval(secs => (i %% 50)), CASE WHEN i < %1 * %2 THEN NULL ELSE 10 + (i %% 7) "
                "END, "
                "%3, i < %1 * %2, '%4', '%5', '%6' || i FROM generate_series(0, %1 - 1) AS i;"
                "INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key) "
                "SELECT now(), 10 + (i %% 7) + CASE WHEN i %% 2 = 0 THEN %7 ELSE -%7 END, '%5', '%6' || i "
                "FROM generate_series(0, %1 - 1) AS i;")
                .arg(n)
                .arg(failedShare)
                .arg(latencyMs)
                .arg(path, deployment, keyPrefix)
                .arg(error);
        QString s = sql;
        s.replace(QStringLiteral("%%"), QStringLiteral("%"));
        const Status st = test::exec(*pg, s);
        if (!st)
            qWarning("%s", qPrintable(st.errorMessage()));
        return bool(st);
    }
};

} // namespace mldeck::test
