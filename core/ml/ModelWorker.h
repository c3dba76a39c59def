#pragma once

#include "core/domain/Result.h"
#include "core/ml/WorkerProtocol.h"

#include <QCoreApplication>
#include <QString>

#include <atomic>
#include <functional>

namespace mldeck {

// What a model worker may use. A model that exceeds a limit costs its worker, never the console.
struct WorkerLimits
{
    int memoryMb = 4096;          // heap of the worker (RLIMIT_DATA, set by itself) and its resident size (watched)
    int requestTimeoutMs = 60000; // silence allowed per request (training: between two messages)
    int cancelGraceMs = 3000;     // after Cancel, time the worker has to stop by itself before it is killed

    // MLDECK_WORKER_MEMORY_MB and MLDECK_WORKER_TIMEOUT_S when set (invalid values are ignored with a
    // warning), else the defaults above; setDefaults() replaces them for the whole process.
    static WorkerLimits defaults();
    static void setDefaults(const WorkerLimits &limits);
};

// One model worker process (app/mldeck-model-worker, the only executable that links LibTorch) and
// the blocking conversation with it. Call it from a worker thread, never the UI thread: a request
// waits for the worker's answer. Not thread-safe: one owner at a time.
//
// The process starts on the first request. When it crashes, is killed, runs out of memory or does
// not answer within the limit, the request gets a readable Error, the process is stopped, and the
// next request starts a fresh one.
class ModelWorker final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ModelWorker)

public:
    struct RequestOptions
    {
        const std::atomic<bool> *cancel = nullptr;
        // Messages other than the final one (training progress, epochs), on the calling thread.
        std::function<void(const worker::Message &)> onMessage;
        // true: on Cancel, SIGUSR1 asks the worker to stop and its own final answer is awaited for
        // cancelGraceMs; false: the worker is stopped at once (its request cannot be interrupted).
        bool cooperativeCancel = false;
    };

    explicit ModelWorker(WorkerLimits limits = WorkerLimits::defaults());
    ~ModelWorker();
    Q_DISABLE_COPY_MOVE(ModelWorker)

    const WorkerLimits &limits() const { return m_limits; }
    bool running() const { return m_pid > 0; }
    qint64 pid() const { return m_pid; }
    // Wall-clock time the last start took (process creation to Ready), in ms.
    double lastStartMs() const { return m_lastStartMs; }

    // Starts the process when it is not running.
    Status start();
    // Sends one request and waits for its final answer (any message but Progress and Epoch). A Failed
    // answer becomes an Error; the worker stays unless the failure was out of memory.
    Result<worker::Message> request(worker::MessageType type, const QByteArray &payload, const RequestOptions &options);
    // Stops the process (killed: between requests it holds nothing), without waiting for it.
    void stop();

    // Where the worker executable is: MLDECK_MODEL_WORKER, else next to this program, else
    // ../libexec/mldeck/ from it (the .deb), else the build tree this library was built in.
    static Result<QString> executablePath();

private:
    enum class Wait
    {
        Message,
        Closed,
        TimedOut,
        Cancelled,
        Corrupt,
        OverMemory
    };
    Wait waitForMessage(worker::Message &out, int timeoutMs, const std::atomic<bool> *cancel);
    Status send(worker::MessageType type, const QByteArray &payload);
    Error lost(const QString &while_); // the process is gone or dropped: says why, reaps it
    Error outOfMemory();               // stops the worker
    qint64 residentMb() const;         // the worker's resident memory, from /proc
    void kill();

    WorkerLimits m_limits;
    qint64 m_pid = 0;
    int m_fd = -1;
    worker::FrameBuffer m_buffer;
    double m_lastStartMs = 0;
    QString m_corruption;
};

} // namespace mldeck
