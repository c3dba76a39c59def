#include "core/services/metrics/MetricsServer.h"

#include "core/services/Probes.h"

#include <QDateTime>
#include <QHttpServer>
#include <QHttpServerResponse>
#include <QLoggingCategory>
#include <QtConcurrent>

#include <algorithm>

Q_LOGGING_CATEGORY(lcMetrics, "mldeck.metrics")

namespace mldeck {

namespace {

const QByteArray kTextFormat("text/plain; version=0.0.4; charset=utf-8");

} // namespace

MetricsServer::MetricsServer(MetricsCollector::Options options, QObject *parent)
    : QObject(parent), m_options(options), m_collector(std::make_unique<MetricsCollector>(options)),
      m_http(std::make_unique<QHttpServer>())
{
    // One thread each, kept: scrapes are serialised on the collector's connections, and a readiness
    // probe stuck on a frozen server never piles up more threads.
    m_scrapes.setMaxThreadCount(1);
    m_scrapes.setExpiryTimeout(-1);
    m_probes.setMaxThreadCount(1);
    m_probes.setExpiryTimeout(-1);

    m_http->route(QStringLiteral("/metrics"), QHttpServerRequest::Method::Get, [this] {
        const ExporterProcessState state = processState();
        return QtConcurrent::run(&m_scrapes, [this, state] {
            const MetricsCollector::Scrape s = m_collector->collect(state, QDateTime::currentSecsSinceEpoch());
            for (const QString &e : s.errors)
                qCWarning(lcMetrics).noquote() << "metrics:" << e;
            return QHttpServerResponse(kTextFormat, s.text);
        });
    });
    m_http->route(QStringLiteral("/healthz"), QHttpServerRequest::Method::Get,
                  [] { return QHttpServerResponse(kTextFormat, QByteArrayLiteral("ok\n")); });
    m_http->route(QStringLiteral("/readyz"), QHttpServerRequest::Method::Get, [this] {
        const bool leader = m_leader.load();
        const RedisEndpoint redis = m_options.redis;
        const PgEndpoint pg = m_options.pg;
        return QtConcurrent::run(&m_probes, [redis, pg, leader] {
            const ProbeResult r = probeRedis(redis);
            const ProbeResult p = probePg(pg, QStringLiteral("mldeck-readyz"));
            const QByteArray body = QStringLiteral("%1\nredis: %2 (%3)\npostgresql: %4 (%5)\nrole: %6\n")
                                        .arg(r.up && p.up ? QStringLiteral("ready") : QStringLiteral("not ready"),
                                             r.up ? QStringLiteral("up") : QStringLiteral("down"), r.detail,
                                             p.up ? QStringLiteral("up") : QStringLiteral("down"), p.detail,
                                             leader ? QStringLiteral("leader") : QStringLiteral("follower"))
                                        .toUtf8();
            return QHttpServerResponse(kTextFormat, body,
                                       r.up && p.up ? QHttpServerResponse::StatusCode::Ok
                                                    : QHttpServerResponse::StatusCode::ServiceUnavailable);
        });
    });
}

MetricsServer::~MetricsServer()
{
    m_http.reset(); // no new request; then the running scrape and probe finish
    m_scrapes.waitForDone();
    m_probes.waitForDone();
}

Result<std::pair<QHostAddress, quint16>> MetricsServer::parseListenAddress(const QString &text)
{
    QString t = text.trimmed();
    if (!t.isEmpty() && std::all_of(t.cbegin(), t.cend(), [](QChar c) { return c.isDigit(); }))
        t.prepend(QStringLiteral("127.0.0.1:")); // a port alone: loopback
    const qsizetype colon = t.lastIndexOf(QLatin1Char(':'));
    QString host = colon > 0 ? t.left(colon) : QString();
    bool ok = false;
    const uint port = colon > 0 ? t.mid(colon + 1).toUInt(&ok) : 0;
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (host == QLatin1String("localhost"))
        host = QStringLiteral("127.0.0.1");
    QHostAddress address;
    if (!ok || port > 65535 || !address.setAddress(host))
        return Error{tr("--listen takes PORT (on loopback) or HOST:PORT with an IP address, such as 9464, "
                        "127.0.0.1:9464 or [::1]:9464 (got \"%1\").")
                         .arg(text)};
    return std::pair{address, quint16(port)};
}

Status MetricsServer::listen(const QHostAddress &address, quint16 port)
{
    m_port = m_http->listen(address, port);
    if (m_port == 0)
        return Error{tr("Cannot listen on %1:%2 for /metrics.").arg(address.toString()).arg(port)};
    return {};
}

void MetricsServer::setProcessState(const ExporterProcessState &state)
{
    m_leader = state.leader;
    m_rounds = state.rounds;
    m_lastRoundSecs = state.lastRoundSecs;
    m_lastRoundErrors = state.lastRoundErrors;
}

ExporterProcessState MetricsServer::processState() const
{
    return ExporterProcessState{m_leader.load(), m_rounds.load(), m_lastRoundSecs.load(), m_lastRoundErrors.load()};
}

} // namespace mldeck
