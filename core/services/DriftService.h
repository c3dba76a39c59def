#pragma once

#include "core/config/Endpoints.h"
#include "core/services/DriftCheck.h"
#include "core/services/JobThread.h"
#include "core/store/pg/DriftData.h"

#include <QList>
#include <QObject>
#include <QStringList>

#include <memory>

namespace mldeck {

// What the drift page shows: the current check (read-only, same code as `mldeckctl drift check`)
// and the recorded score history of the guard's checks.
struct DriftView
{
    QString deployment;
    DriftCheckReport report;
    QList<DriftScorePoint> history;
};

// Drift for the GUI, on its own worker thread. Every request finishes with exactly one signal.
class DriftService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftService)

public:
    explicit DriftService(QObject *parent = nullptr);
    ~DriftService() override;

    void setEndpoint(const PgEndpoint &pg);
    void listDeployments();
    void refresh(const QString &deployment);

Q_SIGNALS:
    void deploymentsListed(const QStringList &deployments, const QString &error);
    void refreshed(const mldeck::DriftView &view, const QString &error);

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread m_jobs;
};

} // namespace mldeck
