#pragma once

#include "core/domain/ModelVersion.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/rollout/StagedPlan.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// Writes a back-dated history (the demo's month): rows that the live code paths would have written
// at those times, with their own timestamps. The audit log stamps ts with now() and the KPI triggers
// fold every batch, so the load runs with triggers off (session_replication_role = replica, which
// needs a superuser, as the private demo server's role is) and the aggregates are rebuilt once.
// Session-level on purpose: the role ends with the connection, so a crash leaves nothing disabled.
class HistoryStore final
{
public:
    explicit HistoryStore(PgConnection &conn);

    // The marker of a loaded history (an audit row "demo.history"), or nullopt when there is none.
    Result<std::optional<QJsonObject>> loaded(const QString &deployment);
    // Whether the deployment has any logged prediction: a history is only loaded into an empty log.
    Result<bool> hasPredictions(const QString &deployment);

    // Triggers off on this connection until endLoad(); refused clearly for a role that may not.
    Status beginLoad();
    Status endLoad();

    // An audit row at `at` (server columns given explicitly: the stamping trigger is off).
    Status audit(const QDateTime &at, const AuditRecord &record);
    struct AlertRow
    {
        QString deployment, kind, severity, dedupKey, title;
        QJsonObject details;
        QDateTime raisedAt, lastSeenAt, acknowledgedAt, resolvedAt;
        QString acknowledgedBy, resolvedBy;
    };
    Result<qint64> insertAlert(const AlertRow &alert);
    Status savePlan(const QString &deployment, const StagedPlan &plan, int currentStep, const QDateTime &stepSince,
                    const QString &updatedBy);
    // A registry row as ModelRegistry::insert writes it, created at `at`; its audit row is the caller's.
    Result<qint64> insertModel(const NewModelVersion &model, std::optional<qint64> parentId, const QDateTime &at,
                               const QString &createdBy);
    Status setAlias(const QString &deployment, const QString &alias, qint64 modelId, const QDateTime &at,
                    const QString &by);
    struct RetrainRow
    {
        QString deployment, trigger, requestedBy, decision, decisionReason, baseVersion, resultVersion, log;
        QDateTime requestedAt, startedAt, finishedAt, dataFrom, dataTo;
        qint64 baseModelId = 0, resultModelId = 0;
        QJsonObject params, metrics;
    };
    Result<qint64> insertRetrainRun(const RetrainRow &run);

    // After the COPY: the latest outcome per request key, the KPI aggregates of [from, to) rebuilt
    // once (mldeck.kpi_rebuild) and the feedback aggregates. Returns the aggregate rows written.
    Result<qint64> buildAggregates(const QString &deployment, const QDateTime &from, const QDateTime &to);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
