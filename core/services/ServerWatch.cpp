#include "core/services/ServerWatch.h"

#include "core/services/Backoff.h"
#include "core/services/ProbeMailbox.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcProbes)

namespace mldeck {

namespace {
// On destruction a probe that is about to finish (a healthy server answers in a few ms) is joined,
// so a normal exit leaves no thread behind; a hung one is abandoned after this. Short enough to
// stay under a frame, since the destructor runs on the UI thread.
constexpr std::chrono::milliseconds kCloseGrace{10};
} // namespace

ServerWatch::ServerWatch(QString displayName, QObject *parent)
    : QObject(parent), m_displayName(std::move(displayName)), m_mailbox(ProbeMailbox::create(this))
{
    m_nextProbe.setSingleShot(true);
    m_watchdog.setSingleShot(true);
    m_watchdog.setInterval(kWatchdog);
    connect(&m_nextProbe, &QTimer::timeout, this, &ServerWatch::launchProbe);
    connect(&m_watchdog, &QTimer::timeout, this, &ServerWatch::onWatchdog);
}

ServerWatch::~ServerWatch()
{
    shutdown(std::chrono::steady_clock::now() + kCloseGrace);
}

void ServerWatch::shutdown(std::chrono::steady_clock::time_point deadline)
{
    m_nextProbe.stop();
    m_watchdog.stop();
    m_probe = nullptr;
    m_inFlight = false;
    m_mailbox->close(deadline);
}

void ServerWatch::start(Probe probe, const QString &target)
{
    m_probe = std::move(probe);
    m_target = target;
    m_nextProbe.stop();
    m_watchdog.stop();
    // Probes of the old endpoints are abandoned with their mailbox: their answers are dropped and
    // any that hang do not count against the new endpoints' kMaxAbandonedProbes.
    m_mailbox->close(std::chrono::steady_clock::now());
    m_mailbox = ProbeMailbox::create(this);
    m_inFlight = false;
    m_failures = 0;
    Health h;
    h.state = Health::State::Connecting;
    h.detail = tr("connecting to %1").arg(m_target);
    setHealth(h);
    launchProbe();
}

void ServerWatch::retryNow()
{
    if (m_probe && !m_inFlight && m_health.state == Health::State::Down) {
        m_nextProbe.stop();
        launchProbe();
    }
}

void ServerWatch::launchProbe()
{
    if (!m_probe || m_inFlight)
        return;
    const int hung = m_mailbox->running();
    if (hung >= kMaxAbandonedProbes) {
        // Do not pile up threads on a server that swallows connections; wait for the backoff.
        applyOutcome(false, tr("not responding: %1 earlier checks of %2 are still waiting").arg(hung).arg(m_target));
        return;
    }
    const quint64 id = ++m_lastProbeId;
    const bool started =
        m_mailbox->launch(m_probe, [this, id](const ProbeResult &result) { onProbeFinished(id, result); });
    if (!started) {
        applyOutcome(false, tr("could not start a check of %1 (out of threads?)").arg(m_target));
        return;
    }
    m_inFlight = true;
    m_watchdog.start();
}

void ServerWatch::onProbeFinished(quint64 probeId, const ProbeResult &result)
{
    if (!m_inFlight || probeId != m_lastProbeId) {
        qCDebug(lcProbes) << m_displayName << "late answer of an abandoned probe ignored:" << result.detail;
        return;
    }
    m_inFlight = false;
    m_watchdog.stop();
    applyOutcome(result.up, result.detail);
}

void ServerWatch::onWatchdog()
{
    if (!m_inFlight)
        return;
    m_inFlight = false; // the probe keeps running on its thread; its answer will be ignored
    applyOutcome(
        false,
        tr("not responding: no answer from %1 within %2 s").arg(m_target).arg(double(kWatchdog.count()) / 1000.0));
}

void ServerWatch::applyOutcome(bool up, const QString &detail)
{
    Health next = m_health;
    next.detail = detail;
    if (up) {
        m_failures = 0;
        next.state = Health::State::Up;
        next.nextRetrySeconds = 0;
        next.nextRetryAt = {};
        m_nextProbe.start(kUpInterval);
    } else {
        ++m_failures;
        const auto delay = Backoff::jittered(m_failures);
        next.state = Health::State::Down;
        next.nextRetrySeconds = Backoff::nominalSeconds(m_failures);
        next.nextRetryAt = QDateTime::currentDateTimeUtc().addMSecs(delay.count());
        m_nextProbe.start(delay);
        qCInfo(lcProbes).noquote() << m_displayName << "down:" << detail << "- retry" << m_failures << "in"
                                   << delay.count() << "ms";
    }
    setHealth(next);
}

void ServerWatch::setHealth(Health next)
{
    if (next.state != m_health.state || !next.since.isValid())
        next.since = QDateTime::currentDateTimeUtc();
    if (next == m_health)
        return;
    m_health = next;
    Q_EMIT healthChanged(m_health);
}

} // namespace mldeck
