#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace mldeck {

// Fills an empty deployment with a month of realistic, back-dated history (HistoryScript), made by the
// live demo's own parts: RideDelayGenerator for the rides, ServingPolicy for routing, fallback and
// latency, the bundled TorchScript models (in a model worker) for the ML path, userFeedback for what
// riders say. Rows go in with COPY (PredictionLog) with triggers off, then the KPI aggregates are built
// once (HistoryStore). Alongside: the staged plan's audit trail with its gate figures, the guard's
// rollback and its re-arm, drift scores and alerts, the retrain run, both model versions and their
// aliases. A deployment created as a classifier (the demo's `accept`) gets ride offers instead
// (OfferTraffic), its one model (accept_mlp.pt), the driver's late answers and dispatchers' marks as
// labels, and a shift of its world in the last days that leaves the model over-confident; no retrain.
// Deterministic for a seed and an end time. A deployment that already has its history is
// left alone (reused); one whose log has other rows is refused, never mixed.
struct HistoryOptions
{
    QString deployment = QStringLiteral("eta");
    int days = 30;
    quint64 seed = 42;
    double rate = 1.0;      // mean requests per second over the day (busier at rush hours, quiet at night)
    QDateTime end;          // the end of the history ("now"); invalid: the current minute
    QString firstModel;     // the champion at the start; default: the bundled eta_mlp.pt (accept_mlp.pt)
    QString secondModel;    // the retrained candidate; default: the bundled eta_lstm.pt
    QString storeDirectory; // the model store; default: ModelStore::defaultDirectory()
    RedisEndpoint redis;
    PgEndpoint pg;
};

struct HistoryStage
{
    QString name;
    qint64 rows = 0;
    double seconds = 0;
    double rowsPerSecond() const { return seconds > 0 ? double(rows) / seconds : 0; }
};

struct HistoryReport
{
    bool reused = false;
    QJsonObject marker; // what the history recorded about itself (seed, span, counts)
    QDateTime from, to;
    qint64 predictions = 0, outcomes = 0, feedback = 0, auditRows = 0, aggregateRows = 0;
    QList<HistoryStage> stages;
    double seconds = 0;
};

class HistoryBackfill final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::HistoryBackfill)

public:
    explicit HistoryBackfill(HistoryOptions options);
    static constexpr double kMaxRate = 50;

    // Blocking (PostgreSQL, Redis, model workers). progress() gets a line per stage.
    Result<HistoryReport> run(const std::function<void(const QString &)> &progress = {});

private:
    HistoryOptions m_options;
};

} // namespace mldeck
