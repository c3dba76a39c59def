#include "core/store/redis/RedisConnection.h"

#include "core/Text.h"
#include "core/store/redis/RedisLog.h"
#include "core/store/redis/Sentinel.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <hiredis/hiredis.h>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include <poll.h>

namespace mldeck {

// Warnings and above by default: mldeckctl prints errors as one line on stderr, nothing more.
Q_LOGGING_CATEGORY(lcRedis, "mldeck.store.redis", QtWarningMsg)

namespace {

timeval toTimeval(int ms)
{
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

// hiredis writes with write(2): a server that went away would kill the process with SIGPIPE.
// Ignore it once, unless the application already installed its own handler.
void ignoreSigpipeOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction current
        {
        };
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(SIGPIPE, SIG_IGN);
    });
}

struct ReplyDeleter
{
    void operator()(redisReply *r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Converts a reply; an error reply (also nested, e.g. in EXEC) becomes errorText.
RedisValue convert(const redisReply *r, QByteArray *errorText)
{
    RedisValue v;
    switch (r->type) {
    case REDIS_REPLY_STRING:
        v.type = RedisValue::Type::String;
        v.string = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_STATUS:
        v.type = RedisValue::Type::StatusReply;
        v.string = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_INTEGER:
        v.type = RedisValue::Type::Integer;
        v.integer = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        v.type = RedisValue::Type::Array;
        v.array.reserve(qsizetype(r->elements));
        for (size_t i = 0; i < r->elements; ++i)
            v.array.append(convert(r->element[i], errorText));
        break;
    case REDIS_REPLY_ERROR:
        if (errorText->isEmpty())
            *errorText = QByteArray(r->str, qsizetype(r->len));
        break;
    default: // REDIS_REPLY_NIL
        break;
    }
    return v;
}

} // namespace

struct RedisConnection::Impl
{
    RedisEndpoint endpoint;
    redisContext *ctx = nullptr;
    QByteArray lastErrorReply; // raw text of the last error reply, for messages during open()
    QByteArray staleReply;     // sentinel endpoint: the reply that showed this node is no longer the master

    ~Impl()
    {
        if (ctx)
            redisFree(ctx);
    }

    QString where() const { return endpoint.display(); }

    // The context is unusable after any I/O error: say why in words a user can act on.
    Error ioError(const QByteArray &what, int savedErrno) const
    {
        if (ctx && ctx->err == REDIS_ERR_IO && (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK))
            return Error{
                StoreText::tr("Redis at %1 did not answer %2 within %3 ms (server down, frozen or overloaded).")
                    .arg(where(), QString::fromUtf8(what))
                    .arg(endpoint.timeoutMs)};
        if (ctx && ctx->err == REDIS_ERR_EOF)
            return Error{
                StoreText::tr("Redis at %1 closed the connection during %2.").arg(where(), QString::fromUtf8(what))};
        const QString detail = ctx ? QString::fromLocal8Bit(ctx->errstr) : StoreText::tr("out of memory");
        return Error{StoreText::tr("Lost the connection to Redis at %1 during %2: %3.")
                         .arg(where(), QString::fromUtf8(what), detail)};
    }

    Error brokenError() const
    {
        if (!staleReply.isEmpty())
            return Error{StoreText::tr("Redis at %1 is no longer the master (%2); reconnect through the sentinels.")
                             .arg(where(), QString::fromUtf8(staleReply))};
        return Error{StoreText::tr("The connection to Redis at %1 is broken (%2); reconnect.")
                         .arg(where(), QString::fromLocal8Bit(ctx->errstr))};
    }

    Result<RedisValue> run(const QList<QByteArray> &argv)
    {
        if (argv.isEmpty())
            return Error{StoreText::tr("Empty Redis command.")};
        const QByteArray name = argv.first().toUpper();
        if (ctx->err || !staleReply.isEmpty())
            return brokenError();
        std::vector<const char *> args;
        std::vector<size_t> lens;
        args.reserve(size_t(argv.size()));
        lens.reserve(size_t(argv.size()));
        for (const QByteArray &a : argv) {
            args.push_back(a.constData());
            lens.push_back(size_t(a.size()));
        }
        errno = 0;
        ReplyPtr reply(static_cast<redisReply *>(redisCommandArgv(ctx, int(args.size()), args.data(), lens.data())));
        const int savedErrno = errno;
        if (!reply) {
            qCInfo(lcRedis) << "command" << name << "failed on" << where() << ctx->errstr;
            return ioError(name, savedErrno);
        }
        QByteArray errorText;
        RedisValue value = convert(reply.get(), &errorText);
        lastErrorReply = errorText;
        if (endpoint.isSentinel() &&
            (errorText.startsWith("READONLY") || errorText.startsWith("LOADING") || errorText.startsWith("MASTERDOWN")))
            staleReply = errorText;
        if (!errorText.isEmpty())
            // Never echo the arguments: AUTH carries a password.
            return Error{StoreText::tr("Redis at %1 refused %2: %3")
                             .arg(where(), QString::fromUtf8(name), QString::fromUtf8(errorText))};
        return value;
    }
};

RedisConnection::RedisConnection(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

RedisConnection::~RedisConnection() = default;

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint &endpoint)
{
    if (endpoint.isSentinel() && endpoint.host.isEmpty())
        return openThroughSentinels(endpoint);
    ignoreSigpipeOnce();
    if (endpoint.timeoutMs <= 0)
        return Error{StoreText::tr("The Redis timeout must be positive (got %1 ms).").arg(endpoint.timeoutMs)};

    auto impl = std::make_unique<Impl>();
    impl->endpoint = endpoint;
    const QByteArray host = endpoint.host.toUtf8();
    errno = 0;
    impl->ctx = redisConnectWithTimeout(host.constData(), endpoint.port, toTimeval(endpoint.timeoutMs));
    const int connectErrno = errno;
    if (!impl->ctx)
        return Error{StoreText::tr("Cannot connect to Redis at %1: out of memory.").arg(endpoint.display())};
    if (impl->ctx->err) {
        if (connectErrno == ETIMEDOUT || connectErrno == EINPROGRESS)
            return Error{StoreText::tr("Cannot connect to Redis at %1: no answer within %2 ms.")
                             .arg(endpoint.display())
                             .arg(endpoint.timeoutMs)};
        return Error{StoreText::tr("Cannot connect to Redis at %1: %2.")
                         .arg(endpoint.display(), QString::fromLocal8Bit(impl->ctx->errstr))};
    }
    if (redisSetTimeout(impl->ctx, toTimeval(endpoint.timeoutMs)) != REDIS_OK)
        return Error{StoreText::tr("Cannot set the timeout on the connection to Redis at %1.").arg(endpoint.display())};

    if (!endpoint.password.isEmpty()) {
        QList<QByteArray> auth{QByteArrayLiteral("AUTH")};
        if (!endpoint.user.isEmpty())
            auth.append(endpoint.user.toUtf8());
        auth.append(endpoint.password.toUtf8());
        auto r = impl->run(auth);
        if (!r)
            return Error{
                StoreText::tr("Redis at %1 rejected the login%2: %3")
                    .arg(endpoint.display(),
                         endpoint.user.isEmpty() ? QString() : StoreText::tr(" of user \"%1\"").arg(endpoint.user),
                         impl->lastErrorReply.isEmpty() ? r.errorMessage() : QString::fromUtf8(impl->lastErrorReply))};
    }
    if (endpoint.db != 0) {
        auto r = impl->run({QByteArrayLiteral("SELECT"), QByteArray::number(endpoint.db)});
        if (!r)
            return Error{
                StoreText::tr("Redis at %1 cannot select database %2: %3")
                    .arg(endpoint.display())
                    .arg(endpoint.db)
                    .arg(impl->lastErrorReply.isEmpty() ? r.errorMessage() : QString::fromUtf8(impl->lastErrorReply))};
    }
    auto pong = impl->run({QByteArrayLiteral("PING")});
    if (!pong) {
        if (pong.errorMessage().contains(QLatin1String("NOAUTH")))
            return Error{
                StoreText::tr("Redis at %1 requires a password (give one in the connection settings or the URL).")
                    .arg(endpoint.display())};
        return pong.error();
    }
    qCDebug(lcRedis) << "connected to" << endpoint.display() << "db" << endpoint.db;
    return std::unique_ptr<RedisConnection>(new RedisConnection(std::move(impl)));
}

// Resolves, connects and checks the role, until a master answers or endpoint.timeoutMs has passed.
// Sentinels that do not answer are skipped (each costs at most perSentinelTimeoutMs).
Result<std::unique_ptr<RedisConnection>> RedisConnection::openThroughSentinels(const RedisEndpoint &endpoint)
{
    if (endpoint.sentinels.isEmpty())
        return Error{StoreText::tr("No sentinel given for the Redis master \"%1\".").arg(endpoint.masterName)};
    constexpr int kPauseMs = 100; // between rounds while a failover settles
    const QDeadlineTimer deadline(qMax(endpoint.timeoutMs, 1));
    QString lastProblem;
    for (;;) {
        auto master = sentinel::resolveMaster(endpoint);
        if (!master)
            return master.error(); // every sentinel failed: asking again would cost as much
        auto conn = open(endpoint.atNode(*master));
        if (conn) {
            auto role = sentinel::role(**conn);
            if (role && (!role->has_value() || **role == QLatin1String("master"))) {
                qCDebug(lcRedis) << "sentinels name" << master->display() << "master of" << endpoint.masterName;
                return conn;
            }
            lastProblem = role ? StoreText::tr("Redis at %1, named master of \"%2\" by the sentinels, answers as %3 "
                                               "(a failover is under way)")
                                     .arg(master->display(), endpoint.masterName, **role)
                               : role.errorMessage();
        } else {
            lastProblem = conn.errorMessage();
        }
        if (deadline.remainingTime() < kPauseMs)
            return Error{StoreText::tr("No Redis master \"%1\" reachable through the sentinels: %2")
                             .arg(endpoint.masterName, lastProblem)};
        std::this_thread::sleep_for(std::chrono::milliseconds(kPauseMs));
    }
}

Status RedisConnection::ping()
{
    auto r = m_impl->run({QByteArrayLiteral("PING")});
    if (!r)
        return r.error();
    if (!r->isStatus() || r->string != "PONG")
        return Error{StoreText::tr("Redis at %1 gave an unexpected answer to PING.").arg(m_impl->where())};
    return {};
}

Result<double> RedisConnection::pingMs()
{
    QElapsedTimer timer;
    timer.start();
    if (Status s = ping(); !s)
        return s.error();
    return double(timer.nsecsElapsed()) / 1e6;
}

Result<RedisValue> RedisConnection::command(const QList<QByteArray> &argv)
{
    return m_impl->run(argv);
}

Status RedisConnection::subscribe(const QList<QByteArray> &channels)
{
    redisContext *c = m_impl->ctx;
    if (c->err)
        return m_impl->brokenError();
    std::vector<const char *> args{"SUBSCRIBE"};
    std::vector<size_t> lens{9};
    for (const QByteArray &ch : channels) {
        args.push_back(ch.constData());
        lens.push_back(size_t(ch.size()));
    }
    if (redisAppendCommandArgv(c, int(args.size()), args.data(), lens.data()) != REDIS_OK)
        return m_impl->ioError("SUBSCRIBE", errno);
    for (qsizetype i = 0; i < channels.size(); ++i) {
        void *raw = nullptr;
        errno = 0;
        const int rc = redisGetReply(c, &raw);
        const int savedErrno = errno;
        ReplyPtr reply(static_cast<redisReply *>(raw));
        if (rc != REDIS_OK || !reply)
            return m_impl->ioError("SUBSCRIBE", savedErrno);
        QByteArray errorText;
        const RedisValue v = convert(reply.get(), &errorText);
        if (!errorText.isEmpty())
            return Error{
                StoreText::tr("Redis at %1 refused SUBSCRIBE: %2").arg(m_impl->where(), QString::fromUtf8(errorText))};
        if (!v.isArray() || v.array.size() != 3 || v.array.at(0).string != "subscribe")
            return Error{StoreText::tr("Redis at %1 gave an unexpected answer to SUBSCRIBE.").arg(m_impl->where())};
    }
    return {};
}

Result<std::optional<RedisValue>> RedisConnection::nextPush(int timeoutMs)
{
    redisContext *c = m_impl->ctx;
    if (c->err)
        return m_impl->brokenError();
    // Read with poll() rather than the socket timeout: a timeout inside hiredis breaks the
    // context for good, while "no message yet" is the normal case here.
    const QDeadlineTimer deadline(qMax(0, timeoutMs));
    for (;;) {
        void *raw = nullptr;
        if (redisGetReplyFromReader(c, &raw) != REDIS_OK)
            return m_impl->brokenError();
        if (raw) {
            ReplyPtr reply(static_cast<redisReply *>(raw));
            QByteArray errorText;
            RedisValue v = convert(reply.get(), &errorText);
            if (!errorText.isEmpty())
                return Error{
                    StoreText::tr("Redis at %1 sent an error: %2").arg(m_impl->where(), QString::fromUtf8(errorText))};
            return std::optional<RedisValue>(std::move(v));
        }
        const qint64 remaining = deadline.remainingTime();
        if (remaining <= 0)
            return std::optional<RedisValue>();
        pollfd pfd{c->fd, POLLIN, 0};
        const int n = ::poll(&pfd, 1, int(remaining));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error{StoreText::tr("Waiting for Redis at %1 failed: %2")
                             .arg(m_impl->where(), QString::fromLocal8Bit(strerror(errno)))};
        }
        if (n == 0)
            return std::optional<RedisValue>();
        errno = 0;
        if (redisBufferRead(c) != REDIS_OK)
            return m_impl->ioError("SUBSCRIBE", errno);
    }
}

Result<int> RedisConnection::waitForReplicas(int numReplicas, int timeoutMs)
{
    auto r = m_impl->run({QByteArrayLiteral("WAIT"), QByteArray::number(numReplicas), QByteArray::number(timeoutMs)});
    if (!r)
        return r.error();
    if (!r->isInteger())
        return Error{StoreText::tr("Unexpected answer from Redis to %1.").arg(QStringLiteral("WAIT"))};
    return int(r->integer);
}

bool RedisConnection::isBroken() const
{
    return m_impl->ctx->err != 0 || !m_impl->staleReply.isEmpty();
}

const RedisEndpoint &RedisConnection::endpoint() const
{
    return m_impl->endpoint;
}

} // namespace mldeck
