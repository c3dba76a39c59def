#pragma once

#include "core/demo/HistoryModel.h"
#include "core/demo/HistoryScript.h"
#include "core/domain/Prediction.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/rollout/GuardStateMachine.h"
#include "core/rollout/WindowMetrics.h"
#include "core/stats/drift/DriftDebouncer.h"
#include "core/stats/drift/DriftEngine.h"
#include "core/store/pg/HistoryStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>

#include <deque>
#include <functional>

namespace mldeck {

class PgConnection;

// The events of the demo's month (HistoryScript), written as the live code paths write them: the plan's
// advances with their gate figures (plan::status), the guard's decision (GuardStateMachine) with its
// alert and the person's re-arm, drift checks (drift::compareDatasets, DriftDebouncer) with their scores
// and alerts, the retrain run evaluated on the last rides and its candidate registered and promoted.
// It sees the rides as they are generated (observe) so that each event's figures come from the rows
// before it.
class HistoryEvents final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::HistoryEvents)

public:
    // second: the retrained candidate, registered and promoted at the script's times; nullptr: no retrain.
    // A classifier's events carry no regression figures (its labelled figures come from the aggregates).
    HistoryEvents(PgConnection &conn, HistoryStore &store, const HistoryScript &script, QString deployment,
                  FeatureSchema schema, bool classifier, quint64 seed, double rate, HistoryModel &first,
                  HistoryModel *second);

    // The first model, registered before the month and champion from its start.
    Status registerFirstModel();
    // Fires every event at or before ms, in time order.
    Status fireUpTo(qint64 ms);
    // The next time after ms at which an event fires or the script changes something.
    qint64 nextBoundaryAfter(qint64 ms) const;

    // One request: its features, its truth (a delay, or a classifier's true class) and what was served.
    void observe(const FeatureRow &features, double actual, const PredictionRow &row, qint64 outcomeKnownMs);
    void countFeedback(qint64 ms, bool positive);
    Status writeMarker(const QJsonObject &marker);

    const Actor &person() const { return m_ops; }
    double seconds() const { return double(m_elapsedNs) / 1e9; }
    qint64 rows() const { return m_rows; }
    qint64 auditRows() const { return m_auditRows; }

private:
    struct Event
    {
        qint64 ms = 0;
        std::function<Status()> fire;
    };
    struct MlSample
    {
        qint64 ms = 0;
        qint64 knownMs = -1; // when the outcome arrived; -1: never
        float latencyMs = 0;
        bool failed = false;
        double predicted = 0;
        double actual = 0;
    };
    struct OpenAlert
    {
        HistoryStore::AlertRow row;
        bool acknowledge = false;
    };

    Status audit(const QDateTime &at, const QString &action, const Actor &actor, const QString &reason,
                 const std::optional<QJsonObject> &before, const std::optional<QJsonObject> &after);
    Status flagsChange(const QDateTime &at, const QString &action, const Actor &actor, const QString &reason,
                       const FlagState &after, const QJsonObject &details);
    WindowMetrics metrics(qint64 atMs, qint64 windowSeconds) const;

    Status savePlan();
    Status advance(int step);
    Status rollback();
    Status rearm();
    Status reenable();
    Status checkDrift(qint64 atMs);
    Status closeAlert(const QString &feature, const QDateTime &resolvedAt);
    Status finishRetrain();
    Status promote();

    PgConnection &m_conn;
    HistoryStore &m_store;
    const HistoryScript &m_script;
    QString m_deployment;
    quint64 m_seed;
    HistoryModel &m_first;
    HistoryModel *m_second;
    FeatureSchema m_schema;
    bool m_classifier = false;
    Actor m_ops, m_scientist, m_guard;

    std::vector<Event> m_events; // sorted by time
    std::size_t m_next = 0;
    std::vector<qint64> m_boundaries; // sorted
    qint64 m_elapsedNs = 0;
    qint64 m_rows = 0;
    qint64 m_auditRows = 0;
    quint64 m_changeCounter = 0;

    FlagState m_flags; // as the audit trail last recorded them
    GuardMemory m_guardMemory;
    qint64 m_firstModelId = 0, m_secondModelId = 0;
    QJsonObject m_candidateMetrics, m_championMetrics;

    std::deque<MlSample> m_ml;                                  // ML-routed rides of the last day
    std::deque<std::pair<qint64, FeatureRow>> m_recentFeatures; // the rides of the last drift window, sampled
    std::deque<std::pair<qint64, FeatureRow>> m_reference;      // the rides of the first eight days, sampled
    qint64 m_referenceEveryN = 1, m_referenceSeen = 0, m_currentEveryN = 1, m_currentSeen = 0;
    QHash<QString, drift::DebounceState> m_driftState;
    QHash<QString, OpenAlert> m_openAlerts;
    bool m_driftAcknowledged = false;
    std::deque<std::pair<FeatureRow, double>> m_holdout; // the last rides and their truth, for the retrain
    qint64 m_feedbackTotal = 0, m_feedbackPositive = 0;
};

} // namespace mldeck
