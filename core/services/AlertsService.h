#pragma once

#include "core/config/Endpoints.h"
#include "core/services/JobThread.h"
#include "core/store/pg/AlertStore.h"

#include <QDateTime>
#include <QList>
#include <QObject>

#include <memory>

namespace mldeck {

// The alert list for the GUI: lists, acknowledges and silences alerts on its own worker thread
// (one PostgreSQL connection there). Every request finishes with exactly one signal.
class AlertsService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsService)

public:
    explicit AlertsService(QObject *parent = nullptr);
    ~AlertsService() override;

    void setEndpoint(const PgEndpoint &pg);
    void setActor(const AlertActor &actor); // default: the OS user on this host

    void refresh(const QString &deployment = {}, bool includeResolved = true);
    void acknowledge(qint64 alertId, const QString &reason = {});
    void silence(qint64 alertId, const QDateTime &until, const QString &reason = {});

    static AlertActor currentUser();

Q_SIGNALS:
    void alertsListed(const QList<mldeck::Alert> &alerts, const QString &error);
    void actionFinished(qint64 alertId, bool ok, const QString &message);

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread m_jobs;
    AlertActor m_actor;
};

} // namespace mldeck
