#pragma once

#include <QAbstractEventDispatcher>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <functional>
#include <memory>

namespace mldeck {

// One owned worker thread that runs jobs in the order they are posted. Services use it to keep
// every blocking call (Redis, PostgreSQL, LibTorch) off the UI thread:
//
//   m_jobs.post(this, [state] { return state->store.read(dep); },          // on the worker
//               [this](Result<FlagState> r) { Q_EMIT flagsRead(r); });      // back on this's thread
//
// The result callback runs on the context object's thread and never after the context is
// destroyed. Each posted job runs exactly once; its callback runs at most once (not at all when
// the context is gone). State that only the worker may touch (connections) is captured by
// shared_ptr and used only inside jobs.
class JobThread final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobThread)

public:
    explicit JobThread(const QString &name, QObject *parent = nullptr);
    // Lets the running job finish (bounded wait), drops the jobs not yet started.
    ~JobThread() override;

    template <typename Job, typename Done> void post(QObject *context, Job job, Done done)
    {
        // The reply goes through the event dispatcher of the context's thread, which outlives the context:
        // posting to the context itself from the worker raced with its destruction on its own thread (a
        // use after free when a window closed while a job finished). The guard is read on that thread only.
        QPointer<QObject> guard(context);
        QObject *home = QAbstractEventDispatcher::instance(context->thread());
        QMetaObject::invokeMethod(
            m_worker,
            [guard, home, job = std::move(job), done = std::move(done)]() mutable {
                auto result = std::make_shared<decltype(job())>(job());
                auto reply = [guard, result, done = std::move(done)]() mutable {
                    if (guard)
                        done(std::move(*result));
                };
                if (home)
                    QMetaObject::invokeMethod(home, std::move(reply), Qt::QueuedConnection);
                else if (guard) // a context whose thread runs no event loop yet: the former way
                    QMetaObject::invokeMethod(guard.data(), std::move(reply), Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
    }

    // Fire-and-forget work on the worker thread.
    template <typename Job> void post(Job job)
    {
        QMetaObject::invokeMethod(m_worker, std::move(job), Qt::QueuedConnection);
    }

private:
    QThread *m_thread = nullptr;
    QObject *m_worker = nullptr;
};

} // namespace mldeck
