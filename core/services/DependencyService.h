#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Dependency.h"
#include "core/domain/Result.h"

#include <QList>
#include <QObject>
#include <QStringList>

#include <memory>

class QTimer;

namespace mldeck {

class JobThread;

// The serving backend's dependencies for the GUI (resources/contract/dependencies.md): reads them
// from Redis on its own worker thread every few seconds (a report changes at most every few seconds
// and expires after three intervals, so polling is as live as the data) and when asked. Every read
// ends with exactly one dependenciesRead signal, on the owner's thread.
class DependencyService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DependencyService)

public:
    static constexpr int kDefaultPollMs = 5000;

    explicit DependencyService(QObject *parent = nullptr);
    ~DependencyService() override;

    void setEndpoint(const RedisEndpoint &redis);
    // Empty: every deployment in mldeck:deployments (the status bar); else these only (a page).
    void setDeployments(const QStringList &deployments);
    void setPollInterval(int ms); // 0 stops polling
    int pollInterval() const;

    void refresh(); // a read now

Q_SIGNALS:
    // Sorted by deployment, then name. Unknown entries carry their reason; an Error means Redis
    // itself could not be read.
    void dependenciesRead(const mldeck::Result<QList<mldeck::DependencyState>> &result);

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread *m_jobs = nullptr;
    QTimer *m_poll = nullptr;
    QStringList m_deployments;
    bool m_configured = false;
    bool m_busy = false;  // one read at a time: a slow Redis does not pile up reads
    bool m_again = false; // asked while busy: one more read afterwards
    quint64 m_generation = 0;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::Result<QList<mldeck::DependencyState>>)
