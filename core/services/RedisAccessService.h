#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <memory>

class QTimer;

namespace mldeck {

class JobThread;

// What the GUI's Redis connection may do (resources/contract/security.md, "Redis").
struct RedisAccess
{
    bool known = false;    // a probe has answered for this endpoint
    bool readOnly = false; // the ACL user may not run the flag write scripts
    QString user;          // the ACL user; "default" when the profile names none
    QString host;          // host:port
    bool encrypted = true; // false for a host off this machine: hiredis 0.14 has no TLS
};

// True for a host name or address that never leaves this machine (localhost, 127.0.0.0/8, ::1).
// Any other Redis host is reached without encryption: hiredis 0.14 has no TLS.
bool isLoopbackRedisHost(const QString &host);

// Probes, on its own worker thread, whether the endpoint's Redis user may change flags (the probe
// of FlagStore::canWrite, which writes nothing): at once on setEndpoint and again every 30 s, as an
// administrator may change the ACL while MLDeck runs. Every answer that changes what is known
// ends in one accessChanged signal on the owner's thread; an unreachable Redis keeps the last answer.
class RedisAccessService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisAccessService)

public:
    static constexpr int kPollMs = 30000;

    explicit RedisAccessService(QObject *parent = nullptr);
    ~RedisAccessService() override;

    void setEndpoint(const RedisEndpoint &redis);
    void refresh(); // a probe now
    const RedisAccess &access() const { return m_access; }

Q_SIGNALS:
    void accessChanged(const mldeck::RedisAccess &access);

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread *m_jobs = nullptr;
    QTimer *m_poll = nullptr;
    RedisAccess m_access;
    bool m_busy = false;
    quint64 m_generation = 0;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::RedisAccess)
