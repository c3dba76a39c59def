#pragma once

#include "core/rollout/AuditRecord.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/AuditLog.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QTest>

#include <cmath>
#include <memory>
#include <optional>
#include <vector>

namespace mldeck::test {

// A scratch database with one hour of known predictions and outcomes on three paths, one alert
// and one audited change inside a day-long period, and an alert and a change that must NOT show.
// expected(path) is the exact recomputation from the rows written.
class ReportFixture
{
public:
    struct Row
    {
        QString path;
        std::optional<double> predicted;
        std::optional<double> actual;
        double latencyMs = 0;
    };
    struct Exact
    {
        qint64 predictions = 0, failed = 0, labelled = 0;
        std::optional<double> mae, rmse, r2, mape;
        std::optional<double> failureRate;
    };

    std::unique_ptr<ScratchDatabase> db;
    std::unique_ptr<PgConnection> conn;
    QString deployment;
    QDateTime end; // the --end of the report: the next whole hour after now, plus one hour
    std::vector<Row> rows;

    // Returns an empty string on success, else what failed.
    QString setUp()
    {
        db = std::make_unique<ScratchDatabase>(QStringLiteral("report"));
        auto c = PgConnection::open(db->endpoint(), QStringLiteral("test-report"));
        if (!c)
            return c.errorMessage();
        conn = std::move(c).value();
        if (const auto m = Migrator::migrate(*conn); !m)
            return m.errorMessage();
        deployment = uniqueName(QStringLiteral("rep"));
        if (const auto s = DeploymentStore(*conn).ensure(deployment, QString(), FeatureSchema{}); !s)
            return s.errorMessage();
        if (const auto s = DeploymentStore(*conn).ensure(QStringLiteral("other"), QString(), FeatureSchema{}); !s)
            return s.errorMessage();

        const qint64 nowSecs = QDateTime::currentSecsSinceEpoch();
        end = QDateTime::fromSecsSinceEpoch((nowSecs / 3600 + 2) * 3600, Qt::UTC);
        const qint64 firstSecs = end.toSecsSinceEpoch() - 4 * 3600;
        std::vector<PredictionRow> preds;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < 60; ++i) {
            Row r;
            PredictionRow p;
            p.tsMicros = (firstSecs + i * 60) * 1'000'000LL + 500;
            p.deployment = deployment;
            p.requestKey = QStringLiteral("k%1").arg(i);
            if (i < 36) {
                r.path = QStringLiteral("ml");
                p.path = PredictionPath::Ml;
                p.modelVersion = QStringLiteral("v1");
                if (i == 5 || i == 17)
                    p.failed = true;
                else
                    r.predicted = 3 + (i % 7) * 0.5;
                r.latencyMs = 20 + i;
            } else if (i < 52) {
                r.path = QStringLiteral("heuristic");
                p.path = PredictionPath::Heuristic;
                r.predicted = 4 + (i % 5);
                r.latencyMs = 2 + i * 0.1;
            } else {
                r.path = QStringLiteral("fallback");
                p.path = PredictionPath::Fallback;
                p.modelVersion = QStringLiteral("v1");
                r.predicted = 5;
                r.latencyMs = 30 + i;
            }
            p.predicted = r.predicted;
            if (p.failed)
                p.error = QStringLiteral("timeout");
            p.latencyMs = float(r.latencyMs);
            r.latencyMs = double(p.latencyMs);
            if (i % 5 != 4) {
                r.actual = 2 + (i % 9) * 0.75;
                outcomes.push_back({p.tsMicros + 60'000'000LL, deployment, p.requestKey, *r.actual});
            }
            preds.push_back(p);
            rows.push_back(r);
        }
        PredictionLog log(*conn);
        if (const Status s = log.appendPredictions(preds); !s)
            return s.errorMessage();
        if (const Status s = log.appendOutcomes(outcomes); !s)
            return s.errorMessage();

        AlertStore alerts(*conn);
        if (const auto a =
                alerts.raise(deployment, QStringLiteral("latency"), QStringLiteral("warning"), QStringLiteral("p95"),
                             QStringLiteral("Latency p95 above 2 s, \"ml\" path"), {});
            !a)
            return a.errorMessage();
        // Resolved two days ago: outside a day-long period.
        if (const auto q = test::query(
                *conn,
                QStringLiteral(
                    "INSERT INTO mldeck.alerts (deployment, kind, severity, dedup_key, title, raised_at, "
                    "last_seen_at, resolved_at) VALUES ($1, 'drift', 'info', 'old', 'Old drift alert', "
                    "now() - interval '3 days', now() - interval '3 days', now() - interval '2 days') RETURNING id"),
                {deployment});
            !q)
            return q.errorMessage();

        AuditRecord change = AuditRecord::make(QStringLiteral("flags.apply"), deployment, Actor::current(),
                                               QStringLiteral("raise to 25 %"));
        change.before = QJsonObject{{QStringLiteral("ml_traffic_percentage"), 10}};
        change.after = QJsonObject{{QStringLiteral("ml_traffic_percentage"), 25}};
        if (const auto a = AuditLog(*conn).insert(change); !a)
            return a.errorMessage();
        const AuditRecord other = AuditRecord::make(QStringLiteral("flags.rollback"), QStringLiteral("other"),
                                                    Actor::current(), QStringLiteral("another deployment"));
        if (const auto a = AuditLog(*conn).insert(other); !a)
            return a.errorMessage();
        return {};
    }

    // Exact figures of one path ("all" for every path) from the rows written.
    Exact expected(const QString &path) const
    {
        Exact e;
        double sumAbs = 0, sumSq = 0, sumA = 0, sumA2 = 0, sumPct = 0;
        for (const Row &r : rows) {
            if (path != QLatin1String("all") && r.path != path)
                continue;
            ++e.predictions;
            if (!r.predicted) {
                ++e.failed;
                continue;
            }
            if (!r.actual)
                continue;
            ++e.labelled;
            const double err = *r.predicted - *r.actual;
            sumAbs += std::abs(err);
            sumSq += err * err;
            sumA += *r.actual;
            sumA2 += *r.actual * *r.actual;
            sumPct += std::abs(err) / std::abs(*r.actual) * 100;
        }
        if (e.predictions > 0)
            e.failureRate = double(e.failed) / double(e.predictions);
        if (e.labelled > 0) {
            const double n = double(e.labelled);
            e.mae = sumAbs / n;
            e.rmse = std::sqrt(sumSq / n);
            e.mape = sumPct / n;
            const double sst = sumA2 - sumA * sumA / n;
            if (sst > 0)
                e.r2 = 1 - sumSq / sst;
        }
        return e;
    }
};

} // namespace mldeck::test
