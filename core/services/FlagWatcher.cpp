#include "core/services/FlagWatcher.h"

#include "core/store/redis/FlagStore.h"
#include "core/store/redis/FlagSubscriber.h"
#include "core/store/redis/RedisConnection.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QLoggingCategory>

#include <thread>

Q_LOGGING_CATEGORY(lcFlagWatcher, "mldeck.services.watch", QtWarningMsg)

namespace mldeck {

namespace {
constexpr int kWaitSliceMs = 100;      // how quickly a stop request is noticed
constexpr int kSafetyRereadMs = 30000; // re-read even without messages
constexpr int kFirstBackoffMs = 200;
constexpr int kMaxBackoffMs = 5000;
} // namespace

struct FlagWatcher::Shared
{
    RedisEndpoint endpoint;
    QString deployment;
    StateCallback onState;
    ProblemCallback onProblem;
    std::atomic<bool> stop{false};

    void sleepUnlessStopped(int ms)
    {
        QDeadlineTimer d(ms);
        while (!stop && !d.hasExpired())
            std::this_thread::sleep_for(
                std::chrono::milliseconds(qMin<qint64>(50, qMax<qint64>(1, d.remainingTime()))));
    }

    bool readAndReport(RedisConnection &conn)
    {
        FlagStore store(conn);
        auto s = store.read(deployment);
        if (!s) {
            if (!stop)
                onProblem(s.errorMessage());
            return false;
        }
        auto id = store.lastChangeId(deployment);
        if (!stop)
            onState(*s, id ? *id : QString());
        return true;
    }

    void run()
    {
        int backoff = kFirstBackoffMs;
        while (!stop) {
            auto sub = FlagSubscriber::open(endpoint);
            auto conn = sub ? RedisConnection::open(endpoint) : Result<std::unique_ptr<RedisConnection>>(sub.error());
            if (!sub || !conn) {
                if (!stop)
                    onProblem(sub ? conn.errorMessage() : sub.errorMessage());
                sleepUnlessStopped(backoff);
                backoff = qMin(backoff * 2, kMaxBackoffMs);
                continue;
            }
            // (Re)connected: whatever happened meanwhile is unknown, so read now.
            if (!readAndReport(**conn)) {
                sleepUnlessStopped(backoff);
                backoff = qMin(backoff * 2, kMaxBackoffMs);
                continue;
            }
            backoff = kFirstBackoffMs;
            QElapsedTimer sinceRead;
            sinceRead.start();
            while (!stop) {
                auto ev = (*sub)->waitForChange(kWaitSliceMs);
                if (!ev) {
                    if (!stop)
                        onProblem(ev.errorMessage());
                    break;
                }
                const bool relevant =
                    ev->has_value() && ((*ev)->deployment.isEmpty() || (*ev)->deployment == deployment);
                if (relevant || sinceRead.elapsed() > kSafetyRereadMs) {
                    if (!readAndReport(**conn))
                        break;
                    sinceRead.restart();
                }
            }
        }
        qCDebug(lcFlagWatcher) << "watcher of" << deployment << "stopped";
    }
};

FlagWatcher::FlagWatcher(RedisEndpoint endpoint, QString deployment, StateCallback onState, ProblemCallback onProblem)
    : m_shared(std::make_shared<Shared>())
{
    m_shared->endpoint = std::move(endpoint);
    m_shared->deployment = std::move(deployment);
    m_shared->onState = std::move(onState);
    m_shared->onProblem = std::move(onProblem);
    std::thread([shared = m_shared] { shared->run(); }).detach();
}

FlagWatcher::~FlagWatcher()
{
    stop();
}

void FlagWatcher::stop()
{
    m_shared->stop = true;
}

} // namespace mldeck
