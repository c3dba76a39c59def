#pragma once

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
        QPointer<QObject> guard(context);
        QMetaObject::invokeMethod(
            m_worker,
            [guard, job = std::move(job), done = std::move(done)]() mutable {
                auto result = std::make_shared<decltype(job())>(job());
                if (!guard)
                    return;
                QMetaObject::invokeMethod(
                    guard.data(),
                    [guard, result, done = std::move(done)]() mutable {
                        if (guard)
                            done(std::move(*result));
                    },
                    Qt::QueuedConnection);
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
