#pragma once

#include "core/config/Endpoints.h"
#include "core/config/ReadReplica.h"
#include "core/domain/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QStringList>

#include <map>
#include <memory>

namespace mldeck {

// What the process running the exporter knows about itself (the guard fills it).
struct ExporterProcessState
{
    bool leader = false;
    qint64 rounds = 0;
    qint64 lastRoundSecs = 0; // epoch seconds of the last finished round (0: none yet)
    int lastRoundErrors = 0;
};

// One scrape's worth of Prometheus series (resources/contract/metrics.md), computed from the figures
// MLDeck already keeps: the KPI aggregates (hour rows held in memory and refreshed by transaction
// watermark, the 5 min and 1 h windows through the dashboard's KpiCache), the flags, the guard's
// state, alert rule states and the drift tables. Never a scan of the raw log: a scrape reads the
// aggregate rows written since the previous one. Only a leader exports deployment series; any
// process exports its own health. Blocking and not thread-safe: one scrape at a time, on a worker.
class MetricsCollector final
{
public:
    struct Options
    {
        RedisEndpoint redis;
        PgEndpoint pg;
        QStringList deployments; // empty: every deployment that has aggregates or flags
        ReadReplica pgRead;      // a hot standby the scrapes read (KeptReadConnection); none: the primary
    };
    struct Scrape
    {
        QByteArray text;
        int series = 0;
        int deployments = 0;
        QStringList errors; // what could not be read (also exported as mldeck_exporter_errors)
    };

    explicit MetricsCollector(Options options);
    ~MetricsCollector();
    Q_DISABLE_COPY_MOVE(MetricsCollector)

    Scrape collect(const ExporterProcessState &process, qint64 nowSecs);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace mldeck
