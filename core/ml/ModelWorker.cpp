#include "core/ml/ModelWorker.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;

// Info and above by default: a worker starting is routine, its crash or replacement is worth a line.
Q_LOGGING_CATEGORY(lcWorker, "mldeck.ml.worker", QtInfoMsg)

namespace mldeck {

using worker::Message;
using worker::MessageType;

namespace {

constexpr int kSocketFd = 3;           // the worker's end of the socket, in the worker
constexpr int kStartTimeoutMs = 30000; // a fresh worker has this long at least to load LibTorch and say Ready

std::mutex g_limitsMutex;
std::optional<WorkerLimits> g_limits;

// The worker runs model files, which are code: it is given no credentials. Left out of its environment:
// variables named like a secret (…PASSWORD…, …SECRET…, …TOKEN…, REDISCLI_AUTH, PGPASSFILE) and any whose
// value holds a URL with a password (MLDECK_PG_URL, MLDECK_REDIS_URL, ...).
bool holdsSecret(const char *entry)
{
    const char *eq = std::strchr(entry, '=');
    if (!eq)
        return false;
    const QByteArray name = QByteArray(entry, qsizetype(eq - entry)).toUpper();
    for (const char *word : {"PASSWORD", "SECRET", "TOKEN", "REDISCLI_AUTH", "PGPASSFILE"})
        if (name.contains(word))
            return true;
    const char *scheme = std::strstr(eq + 1, "://");
    if (!scheme)
        return false;
    const char *authority = scheme + 3;
    const char *at = std::strchr(authority, '@');
    const char *slash = std::strchr(authority, '/');
    return at && (!slash || at < slash) && std::memchr(authority, ':', size_t(at - authority));
}

std::vector<char *> workerEnvironment()
{
    std::vector<char *> env;
    for (char **e = environ; *e; ++e)
        if (!holdsSecret(*e))
            env.push_back(*e);
    env.push_back(nullptr);
    return env;
}

WorkerLimits limitsFromEnvironment()
{
    WorkerLimits limits;
    const auto read = [](const char *name, int min, int max, int &out) {
        const QByteArray text = qgetenv(name);
        if (text.isEmpty())
            return;
        bool ok = false;
        const int v = text.toInt(&ok);
        if (ok && v >= min && v <= max)
            out = v;
        else
            qCWarning(lcWorker) << name << "must be a whole number from" << min << "to" << max << "- ignored:" << text;
    };
    read("MLDECK_WORKER_MEMORY_MB", 0, 1 << 20, limits.memoryMb);
    int seconds = limits.requestTimeoutMs / 1000;
    read("MLDECK_WORKER_TIMEOUT_S", 1, 24 * 3600, seconds);
    limits.requestTimeoutMs = seconds * 1000;
    return limits;
}

bool isExecutableFile(const QString &path)
{
    const QFileInfo info(path);
    return info.isFile() && info.isExecutable();
}

} // namespace

WorkerLimits WorkerLimits::defaults()
{
    std::lock_guard lock(g_limitsMutex);
    if (!g_limits)
        g_limits = limitsFromEnvironment();
    return *g_limits;
}

void WorkerLimits::setDefaults(const WorkerLimits &limits)
{
    std::lock_guard lock(g_limitsMutex);
    g_limits = limits;
}

ModelWorker::ModelWorker(WorkerLimits limits) : m_limits(limits) {}

ModelWorker::~ModelWorker()
{
    stop();
}

Result<QString> ModelWorker::executablePath()
{
    const QString fromEnv = qEnvironmentVariable("MLDECK_MODEL_WORKER");
    if (!fromEnv.isEmpty()) {
        if (isExecutableFile(fromEnv))
            return fromEnv;
        return Error{tr("MLDECK_MODEL_WORKER names %1, which is not an executable file.").arg(fromEnv)};
    }
    const QString self = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
    const QString dir = QFileInfo(self).absolutePath();
    QStringList candidates{dir + QStringLiteral("/mldeck-model-worker"),
                           dir + QStringLiteral("/../libexec/mldeck/mldeck-model-worker")};
#ifdef MLDECK_MODEL_WORKER_BUILD_PATH
    candidates.append(QStringLiteral(MLDECK_MODEL_WORKER_BUILD_PATH));
#endif
    for (const QString &candidate : candidates)
        if (isExecutableFile(candidate))
            return QFileInfo(candidate).canonicalFilePath();
    return Error{tr("The model worker (mldeck-model-worker) was not found next to %1 nor in %2; set "
                    "MLDECK_MODEL_WORKER to its path.")
                     .arg(dir, QFileInfo(candidates.at(1)).absolutePath())};
}

Status ModelWorker::start()
{
    if (running())
        return {};
    const auto path = executablePath();
    if (!path)
        return path.error();

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return Error{tr("Cannot start the model worker: %1").arg(QString::fromLocal8Bit(std::strerror(errno)))};

    // The worker gets its end of the socket as fd 3, /dev/null as input, and our stderr for both of its
    // output streams (so nothing a model prints can corrupt the protocol). Its own process group keeps
    // a terminal's Ctrl-C for us: we stop it ourselves, and it exits when we are gone.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], kSocketFd);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGUSR1, SIGINT, SIGTERM, SIGCHLD})
        sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    const QByteArray program = QFile::encodeName(path.value());
    const QByteArray memory = QByteArray::number(m_limits.memoryMb);
    const QByteArray fd = QByteArray::number(kSocketFd);
    char *argv[] = {const_cast<char *>(program.constData()), const_cast<char *>("--socket-fd"),
                    const_cast<char *>(fd.constData()),      const_cast<char *>("--memory-limit-mb"),
                    const_cast<char *>(memory.constData()),  nullptr};
    QElapsedTimer clock;
    clock.start();
    pid_t pid = 0;
    std::vector<char *> env = workerEnvironment();
    const int spawned = posix_spawn(&pid, program.constData(), &actions, &attr, argv, env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (spawned != 0) {
        ::close(sv[0]);
        return Error{tr("Cannot start the model worker %1: %2")
                         .arg(path.value(), QString::fromLocal8Bit(std::strerror(spawned)))};
    }
    m_pid = pid;
    m_fd = sv[0];
    m_buffer = worker::FrameBuffer();

    // Loading LibTorch takes a second on an idle machine, several on a busy one or in a sanitizer build: a short
    // request timeout (the one a hung model gets) must not refuse the start itself.
    const int startTimeoutMs = std::max(m_limits.requestTimeoutMs, kStartTimeoutMs);
    Message ready;
    switch (waitForMessage(ready, startTimeoutMs, nullptr)) {
    case Wait::Message:
        if (ready.type == MessageType::Ready) {
            m_lastStartMs = double(clock.nsecsElapsed()) / 1e6;
            qCDebug(lcWorker) << "model worker" << m_pid << "ready in" << m_lastStartMs << "ms";
            return {};
        }
        kill();
        return Error{tr("The model worker answered with an unexpected message at start.")};
    case Wait::TimedOut:
        kill();
        return Error{tr("The model worker did not start within %1 s.").arg(startTimeoutMs / 1000)};
    case Wait::Corrupt:
        kill();
        return Error{m_corruption};
    case Wait::OverMemory:
        return outOfMemory();
    case Wait::Closed:
    case Wait::Cancelled:
        break;
    }
    return lost(tr("starting"));
}

Result<Message> ModelWorker::request(MessageType type, const QByteArray &payload, const RequestOptions &options)
{
    if (const Status started = start(); !started)
        return started.error();
    if (const Status sent = send(type, payload); !sent)
        return sent.error();

    const std::atomic<bool> *cancel = options.cancel;
    bool cancelling = false;
    for (;;) {
        if (!cancelling && cancel && cancel->load()) {
            if (!options.cooperativeCancel) {
                kill();
                return Error{tr("Cancelled.")};
            }
            ::kill(pid_t(m_pid), SIGUSR1);
            cancelling = true; // from now on, progress is no longer reported: it is past the Cancel
        }
        Message m;
        const int timeout = cancelling ? m_limits.cancelGraceMs : m_limits.requestTimeoutMs;
        switch (waitForMessage(m, timeout, cancelling ? nullptr : cancel)) {
        case Wait::Message:
            if (m.type == MessageType::Progress || m.type == MessageType::Epoch) {
                if (options.onMessage && !cancelling)
                    options.onMessage(m);
                continue;
            }
            if (m.type == MessageType::Failed) {
                worker::WireReader r(m.payload);
                const auto kind = worker::FailureKind(r.u8());
                const QString message = r.string();
                if (kind == worker::FailureKind::OutOfMemory) {
                    qCWarning(lcWorker) << "model worker" << m_pid << "out of memory:" << message;
                    return outOfMemory();
                }
                return Error{message};
            }
            return m;
        case Wait::Cancelled:
            continue; // handled at the top of the loop
        case Wait::TimedOut:
            kill();
            if (cancelling)
                return Error{tr("Cancelled (the model worker did not stop within %1 s and was stopped).")
                                 .arg(m_limits.cancelGraceMs / 1000.0)};
            return Error{tr("The model did not answer within %1 s; its worker was stopped and the next request "
                            "starts a fresh one.")
                             .arg(m_limits.requestTimeoutMs / 1000.0)};
        case Wait::Corrupt:
            kill();
            return Error{m_corruption};
        case Wait::OverMemory:
            qCWarning(lcWorker) << "model worker" << m_pid << "went over" << m_limits.memoryMb << "MB resident";
            return outOfMemory();
        case Wait::Closed:
            return lost(tr("working"));
        }
    }
}

Error ModelWorker::outOfMemory()
{
    kill();
    return Error{tr("The model ran out of memory (the worker's limit is %1 MB); its worker was stopped and the next "
                    "request starts a fresh one.")
                     .arg(m_limits.memoryMb)};
}

qint64 ModelWorker::residentMb() const
{
    QFile statm(QStringLiteral("/proc/%1/statm").arg(m_pid));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    static const qint64 pageBytes = ::sysconf(_SC_PAGESIZE);
    return fields.size() > 1 ? fields.at(1).toLongLong() * pageBytes / (1024 * 1024) : 0;
}

ModelWorker::Wait ModelWorker::waitForMessage(Message &out, int timeoutMs, const std::atomic<bool> *cancel)
{
    QElapsedTimer clock;
    clock.start();
    char chunk[1 << 16];
    for (;;) {
        auto next = m_buffer.next();
        if (!next) {
            m_corruption = next.errorMessage();
            return Wait::Corrupt;
        }
        if (next.value()) {
            out = std::move(*next.value());
            return Wait::Message;
        }
        if (cancel && cancel->load())
            return Wait::Cancelled;
        const qint64 left = timeoutMs - clock.elapsed();
        if (left <= 0)
            return Wait::TimedOut;
        pollfd p{m_fd, POLLIN, 0};
        // Short slices so that Cancel and the memory watch react within 50 ms.
        const int ready = ::poll(&p, 1, int(std::min<qint64>(left, 50)));
        if (ready < 0 && errno != EINTR)
            return Wait::Closed;
        // After each quiet slice the resident size is checked, as well as the heap limit the worker
        // sets on itself: it also covers memory that limit does not count, and sanitizer builds.
        if (ready == 0 && m_limits.memoryMb > 0 && residentMb() > m_limits.memoryMb)
            return Wait::OverMemory;
        if (ready <= 0)
            continue;
        const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return Wait::Closed;
        if (n > 0)
            m_buffer.append(chunk, size_t(n));
    }
}

Status ModelWorker::send(MessageType type, const QByteArray &payload)
{
    if (!worker::sendAll(m_fd, worker::encodeFrame(type, payload)))
        return lost(tr("receiving a request"));
    return {};
}

Error ModelWorker::lost(const QString &while_)
{
    // The worker closed its end: it is exiting or gone. Reap it (bounded: kill it if it lingers).
    const pid_t pid = pid_t(m_pid);
    int status = 0;
    pid_t reaped = 0;
    QElapsedTimer clock;
    clock.start();
    while ((reaped = ::waitpid(pid, &status, WNOHANG)) == 0 && clock.elapsed() < 2000)
        ::usleep(5000);
    if (reaped == 0) {
        ::kill(pid, SIGKILL);
        reaped = ::waitpid(pid, &status, 0);
    }
    ::close(m_fd);
    m_fd = -1;
    m_pid = 0;

    QString what;
    if (reaped == pid && WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        what = sig == SIGKILL ? tr("was killed (signal 9: by a person, or by the system when memory ran out)")
                              : tr("crashed (signal %1: %2)").arg(sig).arg(QString::fromLocal8Bit(strsignal(sig)));
    } else if (reaped == pid && WIFEXITED(status)) {
        what = tr("exited with status %1").arg(WEXITSTATUS(status));
    } else {
        what = tr("closed its connection");
    }
    qCWarning(lcWorker) << "model worker" << pid << what;
    return Error{tr("The model worker %1 while %2; the next request starts a fresh one.").arg(what, while_)};
}

void ModelWorker::kill()
{
    if (m_pid > 0) {
        ::kill(pid_t(m_pid), SIGKILL);
        int status = 0;
        ::waitpid(pid_t(m_pid), &status, 0);
    }
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_pid = 0;
}

void ModelWorker::stop()
{
    if (m_pid <= 0)
        return;
    // Between requests a worker holds nothing worth saving: it is killed at once, and reaped on the
    // side so that whoever drops a model (the UI thread, maybe) never waits for a process to exit.
    const pid_t pid = pid_t(m_pid);
    ::kill(pid, SIGKILL);
    std::thread([pid] {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }).detach();
    ::close(m_fd);
    m_fd = -1;
    m_pid = 0;
}

} // namespace mldeck
