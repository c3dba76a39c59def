#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/services/metrics/MetricsCollector.h"

#include <QHostAddress>
#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <memory>

class QHttpServer;

namespace mldeck {

// The guard's HTTP endpoint for Prometheus (Qt HTTP Server, on loopback unless told otherwise):
//   GET /metrics  the text exposition of MetricsCollector (computed on its own thread per scrape)
//   GET /healthz  200 while the process runs
//   GET /readyz   200 when Redis and PostgreSQL answer, 503 otherwise; says leader or follower
// Scrapes and readiness probes run off the event loop, one at a time each, so a hung server delays
// a scrape but never /healthz. Lives on the thread that runs the event loop.
class MetricsServer final : public QObject
{
    Q_OBJECT

public:
    MetricsServer(MetricsCollector::Options options, QObject *parent = nullptr);
    ~MetricsServer() override;

    // "9464" (loopback), "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464" (port 0: any free port).
    static Result<std::pair<QHostAddress, quint16>> parseListenAddress(const QString &text);
    Status listen(const QHostAddress &address, quint16 port);
    quint16 port() const { return m_port; }

    // Updated by the guard after each round (any thread).
    void setProcessState(const ExporterProcessState &state);

private:
    ExporterProcessState processState() const;

    MetricsCollector::Options m_options;
    std::unique_ptr<MetricsCollector> m_collector; // used on m_scrapes' one thread only
    QThreadPool m_scrapes;
    QThreadPool m_probes;
    std::unique_ptr<QHttpServer> m_http;
    quint16 m_port = 0;
    std::atomic<bool> m_leader{false};
    std::atomic<qint64> m_rounds{0};
    std::atomic<qint64> m_lastRoundSecs{0};
    std::atomic<int> m_lastRoundErrors{0};
};

} // namespace mldeck
