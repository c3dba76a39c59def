#include "core/services/KpiCache.h"
#include "core/stats/Metrics.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>
#include <map>
#include <random>

using namespace mldeck;
using namespace mldeck::stats;

// KpiCache (and `mldeckctl kpi`) over the real aggregates, against an exact recomputation from
// the raw rows this test wrote: random paths and versions, failures, corrected and late outcomes.
class TestKpiCache final : public QObject
{
    Q_OBJECT

    // The raw truth, as the test wrote it.
    struct Pred
    {
        qint64 tsSecs = 0;
        QString key;
        QString path;
        QString version;
        std::optional<double> predicted;
        float latencyMs = 0;
        std::optional<double> actual; // latest outcome
        qint64 actualObservedMicros = 0;
    };
    struct Fb
    {
        qint64 tsSecs;
        bool positive;
    };

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_deployment;
    int m_schema = 1;
    std::vector<Pred> m_preds;
    std::vector<Fb> m_feedback;
    std::mt19937_64 m_rng{2024};
    int m_keySeq = 0;
    // 2024-05-01T00:00:00Z: four days of sparse traffic, then a dense last two hours.
    static constexpr qint64 kStart = 1714521600;
    static constexpr qint64 kDenseFrom = kStart + 4 * 86400 - 2 * 3600;
    static constexpr qint64 kEnd = kStart + 4 * 86400;

    static constexpr int kX = 5; // default anticipation threshold

    void writePredictions(qint64 from, qint64 to, int n)
    {
        std::uniform_int_distribution<qint64> ts(from, to - 1);
        std::uniform_real_distribution<double> u(0, 1);
        std::normal_distribution<double> delay(5, 4), noiseMl(0, 1.5), noiseH(0, 3);
        std::lognormal_distribution<double> lat(3, 0.8);
        std::vector<PredictionRow> rows;
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedback;
        for (int i = 0; i < n; ++i) {
            Pred p;
            p.tsSecs = ts(m_rng);
            p.key = QStringLiteral("r%1").arg(++m_keySeq);
            const double r = u(m_rng);
            p.path = r < 0.5    ? QStringLiteral("ml")
                     : r < 0.85 ? QStringLiteral("heuristic")
                                : QStringLiteral("fallback");
            if (p.path != QLatin1String("heuristic"))
                p.version = u(m_rng) < 0.6 ? QStringLiteral("v1") : QStringLiteral("v2");
            const double y = std::round(std::max(0.0, delay(m_rng)) * 10) / 10;
            const bool failed = p.path == QLatin1String("ml") && u(m_rng) < 0.06;
            if (!failed)
                p.predicted = y + (p.path == QLatin1String("ml") ? noiseMl(m_rng) : noiseH(m_rng));
            p.latencyMs = float(lat(m_rng));
            PredictionRow row;
            row.tsMicros = p.tsSecs * 1'000'000 + 123;
            row.deployment = m_deployment;
            row.requestKey = p.key;
            row.modelVersion = p.version;
            row.path = p.path == QLatin1String("ml")          ? PredictionPath::Ml
                       : p.path == QLatin1String("heuristic") ? PredictionPath::Heuristic
                                                              : PredictionPath::Fallback;
            row.predicted = p.predicted;
            row.failed = failed;
            row.latencyMs = p.latencyMs;
            row.featureSchema = m_schema;
            rows.push_back(row);
            if (u(m_rng) < 0.9) {
                if (u(m_rng) < 0.2) // a wrong first observation, corrected later: the latest wins
                    outcomes.push_back({row.tsMicros + 1'000'000, m_deployment, p.key, 99});
                p.actual = y;
                p.actualObservedMicros = row.tsMicros + 2'000'000;
                outcomes.push_back({p.actualObservedMicros, m_deployment, p.key, y});
            }
            if (u(m_rng) < 0.1) {
                const bool positive = u(m_rng) < 0.7;
                feedback.push_back(
                    {row.tsMicros + 500'000, m_deployment, p.key, positive, QString(), QStringLiteral("u"), QString()});
                m_feedback.push_back({p.tsSecs, positive});
            }
            m_preds.push_back(p);
        }
        PredictionLog log(*m_conn);
        const Status a = log.appendPredictions(rows);
        QVERIFY2(a.ok(), qPrintable(a.errorMessage()));
        const Status b = log.appendOutcomes(outcomes);
        QVERIFY2(b.ok(), qPrintable(b.errorMessage()));
        const Status c = log.appendFeedback(feedback);
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    }

    // A late outcome for a prediction already logged (possibly in an old bucket): replaces the latest.
    void lateOutcome(Pred &p, double actual)
    {
        p.actual = actual;
        p.actualObservedMicros = p.tsSecs * 1'000'000 + 3'600'000'000LL;
        PredictionLog log(*m_conn);
        const Status s = log.appendOutcomes({{p.actualObservedMicros, m_deployment, p.key, actual}});
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
    }

    // A range is exact to the minute: a row counts when its minute starts inside [from, to).
    static bool inRange(qint64 tsSecs, qint64 from, qint64 to)
    {
        const qint64 minute = tsSecs - tsSecs % 60;
        return minute >= from && minute < to;
    }

    // Exact figures of [from, to) from the raw rows (same definitions as the store's sums).
    PathSums exactSums(qint64 from, qint64 to) const
    {
        PathSums s;
        for (const Pred &p : m_preds) {
            if (!inRange(p.tsSecs, from, to))
                continue;
            KpiAccumulator &a = p.path == QLatin1String("ml")          ? s.ml
                                : p.path == QLatin1String("heuristic") ? s.heuristic
                                                                       : s.fallback;
            ++a.count;
            a.latencySumMs += double(p.latencyMs);
            a.latency.add(double(p.latencyMs));
            if (!p.predicted) {
                ++a.failed;
                continue;
            }
            if (!p.actual)
                continue;
            const double e = *p.predicted - *p.actual, y = *p.actual;
            ++a.labelled;
            a.sumError += e;
            a.sumAbsError += std::abs(e);
            a.sumSqError += e * e;
            a.sumActual += y;
            a.sumSqActual += y * y;
            if (y != 0) {
                a.sumAbsPctError += std::abs(e) / std::abs(y) * 100;
                ++a.pctCount;
            }
            for (int x = 1; x <= kAnticipationThresholds; ++x)
                if (y >= x) {
                    ++a.actualAtLeast[size_t(x - 1)];
                    if (*p.predicted >= x)
                        ++a.bothAtLeast[size_t(x - 1)];
                }
        }
        for (const Fb &f : m_feedback)
            if (inRange(f.tsSecs, from, to)) {
                ++s.feedback.total;
                s.feedback.positive += f.positive ? 1 : 0;
            }
        return s;
    }

    // The MAE etc. straight from the rows, not through sums: the figures must match both.
    RegressionMetrics exactRegression(qint64 from, qint64 to) const
    {
        std::vector<double> pr, ac;
        for (const Pred &p : m_preds)
            if (inRange(p.tsSecs, from, to) && p.predicted && p.actual) {
                pr.push_back(*p.predicted);
                ac.push_back(*p.actual);
            }
        return regressionMetrics(pr, ac);
    }

    static bool close(const std::optional<double> &a, const std::optional<double> &b)
    {
        if (a.has_value() != b.has_value())
            return false;
        return !a || std::abs(*a - *b) <= 1e-7 * std::max(1.0, std::abs(*b));
    }

    static void compareFigures(const KpiFigures &got, const KpiFigures &want, const char *what)
    {
        QVERIFY2(got.predictions == want.predictions, qPrintable(QStringLiteral("%1: predictions %2 vs %3")
                                                                     .arg(QLatin1String(what))
                                                                     .arg(got.predictions)
                                                                     .arg(want.predictions)));
        QVERIFY2(got.failed == want.failed, what);
        QVERIFY2(
            got.labelled == want.labelled,
            qPrintable(
                QStringLiteral("%1: labelled %2 vs %3").arg(QLatin1String(what)).arg(got.labelled).arg(want.labelled)));
        const std::pair<const char *, std::optional<double> KpiFigures::*> fields[] = {
            {"throughput", &KpiFigures::throughputPerSecond},
            {"mae", &KpiFigures::mae},
            {"rmse", &KpiFigures::rmse},
            {"r2", &KpiFigures::r2},
            {"mape", &KpiFigures::mape},
            {"latencyMean", &KpiFigures::latencyMeanMs},
            {"p50", &KpiFigures::latencyP50Ms},
            {"p95", &KpiFigures::latencyP95Ms},
            {"p99", &KpiFigures::latencyP99Ms},
            {"failureRate", &KpiFigures::failureRate},
            {"fallbackShare", &KpiFigures::fallbackShare},
            {"anticipated", &KpiFigures::anticipatedShare},
            {"satisfaction", &KpiFigures::satisfaction},
            {"mlUptime", &KpiFigures::mlUptime},
            {"improvement", &KpiFigures::improvementPercent}};
        for (const auto &[name, field] : fields) {
            const auto &g = got.*field, &w = want.*field;
            QVERIFY2(close(g, w), qPrintable(QStringLiteral("%1: %2 %3 vs %4")
                                                 .arg(QLatin1String(what), QLatin1String(name))
                                                 .arg(g ? QString::number(*g, 'g', 12) : QStringLiteral("none"))
                                                 .arg(w ? QString::number(*w, 'g', 12) : QStringLiteral("none"))));
        }
    }

    void compareWithExact(const KpiSnapshot &snap)
    {
        const qint64 from = snap.query.fromSecs, to = snap.query.toSecs;
        const double secs = double(to - from);
        const PathSums s = exactSums(from, to);
        compareFigures(snap.overall, computeFigures(s, secs, kX), "overall");
        compareFigures(snap.byPath.value(QStringLiteral("ml")), computeFigures(s.ml, secs, kX), "ml");
        compareFigures(snap.byPath.value(QStringLiteral("heuristic")), computeFigures(s.heuristic, secs, kX),
                       "heuristic");
        compareFigures(snap.byPath.value(QStringLiteral("fallback")), computeFigures(s.fallback, secs, kX), "fallback");
        compareFigures(snap.previous, computeFigures(exactSums(from - (to - from), from), secs, kX), "previous");
        const RegressionMetrics m = exactRegression(from, to);
        QVERIFY(m.rows > 0);
        QVERIFY(std::abs(*snap.overall.mae - m.mae) < 1e-7);
        QVERIFY(std::abs(*snap.overall.rmse - m.rmse) < 1e-7);
        QVERIFY(std::abs(*snap.overall.r2 - m.r2) < 1e-7);
        QVERIFY(std::abs(*snap.overall.mape - *m.mape) < 1e-7);
        // Versions: v1 + v2 + none add up to everything.
        qint64 byVersion = 0;
        for (const KpiFigures &f : snap.byVersion)
            byVersion += f.predictions;
        QCOMPARE(byVersion, snap.overall.predictions);
        // The series cover the range and add up to the overall figures.
        const QVector<KpiPoint> all = snap.seriesByPath.value(QStringLiteral("all"));
        QVERIFY(!all.isEmpty() && all.size() <= 301);
        qint64 inSeries = 0;
        for (const KpiPoint &p : all)
            inSeries += p.figures.predictions;
        QCOMPARE(inSeries, snap.overall.predictions);
        QCOMPARE(snap.seriesByPath.value(QStringLiteral("ml")).size(), all.size());
    }

    static QString iso(qint64 secs) { return QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(Qt::ISODate); }

    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };
    Run ctl(const QStringList &args)
    {
        QProcess p;
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                QStringList{QStringLiteral("kpi"), QStringLiteral("--pg"), m_db->endpoint().toUrl(true)} + args);
        if (!p.waitForFinished(60000))
            return {};
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("kpicache"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_deployment = test::uniqueName(QStringLiteral("eta"));
        auto schema = DeploymentStore(*m_conn).ensure(m_deployment, QString(), FeatureSchema{});
        QVERIFY2(schema.ok(), qPrintable(schema.errorMessage()));
        m_schema = schema.value();
        writePredictions(kStart - 4 * 86400, kDenseFrom, 3000); // sparse, also the "previous" period
        writePredictions(kDenseFrom, kEnd, 3000);
    }

    void shortRangeEqualsExact()
    {
        KpiCache cache;
        const auto q = KpiQuery::lastRange(m_deployment, QStringLiteral("2h"), kEnd);
        auto snap = cache.load(*m_conn, *q, kEnd);
        QVERIFY2(snap.ok(), qPrintable(snap.errorMessage()));
        QCOMPARE(snap->bucketSeconds, 60);
        QVERIFY(snap->overall.predictions > 2500);
        compareWithExact(snap.value());
    }

    void longUnalignedRangeEqualsExact()
    {
        // Four days starting at :17: hour rows inside, minute rows at both edges.
        KpiCache cache;
        KpiQuery q;
        q.deployment = m_deployment;
        q.fromSecs = kStart + 17 * 60;
        q.toSecs = kEnd - 23 * 60;
        q.live = false;
        auto snap = cache.load(*m_conn, q, kEnd);
        QVERIFY2(snap.ok(), qPrintable(snap.errorMessage()));
        QCOMPARE(snap->bucketSeconds, 3600);
        compareWithExact(snap.value());
    }

    void refreshEqualsFreshLoad()
    {
        // Live 4-day range: the refresh crosses an hour at both edges and sees new rows and late outcomes.
        const qint64 now1 = kEnd - 30, now2 = kEnd + 90;
        KpiCache cache;
        auto first = cache.load(*m_conn, *KpiQuery::lastRange(m_deployment, QStringLiteral("4d"), now1), now1);
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        compareWithExact(first.value());

        writePredictions(kEnd - 30, now2, 200);
        // Late outcomes: one for an old (sparse-period, hour-level) bucket, one in the dense part,
        // one for the previous period.
        int changed = 0;
        const std::pair<qint64, qint64> spans[] = {
            {kStart + 86400, kStart + 2 * 86400}, {kDenseFrom, kEnd}, {kStart - 3 * 86400, kStart - 3600}};
        for (const auto &[lo, hi] : spans) {
            for (Pred &p : m_preds) {
                if (p.predicted && p.tsSecs >= lo && p.tsSecs < hi) {
                    lateOutcome(p, 42.5);
                    ++changed;
                    break;
                }
            }
        }
        QCOMPARE(changed, 3);
        auto refreshed = cache.refresh(*m_conn, now2);
        QVERIFY2(refreshed.ok(), qPrintable(refreshed.errorMessage()));
        QCOMPARE(refreshed->query.toSecs, now2);
        QVERIFY(refreshed->bucketRowsRead < first->bucketRowsRead);
        compareWithExact(refreshed.value());
        KpiCache fresh;
        auto reloaded = fresh.load(*m_conn, *KpiQuery::lastRange(m_deployment, QStringLiteral("4d"), now2), now2);
        QVERIFY(reloaded.ok());
        compareFigures(refreshed->overall, reloaded->overall, "refresh vs load");
        compareFigures(refreshed->previous, reloaded->previous, "refresh vs load, previous");
        const auto a = refreshed->seriesByPath.value(QStringLiteral("all")),
                   b = reloaded->seriesByPath.value(QStringLiteral("all"));
        QCOMPARE(a.size(), b.size());
        for (int i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].startSecs, b[i].startSecs);
            compareFigures(a[i].figures, b[i].figures, "series point");
        }
        // Nothing new: a refresh reads (almost) nothing and changes nothing.
        auto again = cache.refresh(*m_conn, now2);
        QVERIFY(again.ok());
        compareFigures(again->overall, reloaded->overall, "second refresh");
    }

    void refreshNeedsLoad()
    {
        KpiCache cache;
        QVERIFY(!cache.refresh(*m_conn, kEnd).ok());
        KpiQuery q;
        q.deployment = m_deployment;
        q.fromSecs = q.toSecs = kEnd;
        q.live = false;
        QVERIFY(!cache.load(*m_conn, q, kEnd).ok());
        QVERIFY(!cache.isLoaded());
    }

    void cliPrintsTheSameFigures()
    {
        const qint64 from = kEnd - 3 * 3600, to = kEnd;
        const Run r = ctl({QStringLiteral("--deployment"), m_deployment, QStringLiteral("--from"), iso(from),
                           QStringLiteral("--to"), iso(to), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value(QStringLiteral("deployment")).toString(), m_deployment);
        const PathSums s = exactSums(from, to);
        const KpiFigures want = computeFigures(s, double(to - from), kX);
        const QJsonObject overall = j.value(QStringLiteral("overall")).toObject();
        QCOMPARE(overall.value(QStringLiteral("predictions")).toInteger(), want.predictions);
        QCOMPARE(overall.value(QStringLiteral("labelled")).toInteger(), want.labelled);
        QVERIFY(close(overall.value(QStringLiteral("mae")).toDouble(), want.mae));
        QVERIFY(close(overall.value(QStringLiteral("r2")).toDouble(), want.r2));
        QVERIFY(close(overall.value(QStringLiteral("latency_p95_ms")).toDouble(), want.latencyP95Ms));
        QVERIFY(close(overall.value(QStringLiteral("fallback_share")).toDouble(), want.fallbackShare));
        const QJsonObject ml = j.value(QStringLiteral("by_path")).toObject().value(QStringLiteral("ml")).toObject();
        QCOMPARE(ml.value(QStringLiteral("predictions")).toInteger(), computeFigures(s.ml, 1, kX).predictions);
        QVERIFY(ml.value(QStringLiteral("fallback_share")).isNull()); // a cross-path figure: empty per path
        QVERIFY(j.value(QStringLiteral("targets")).toObject().contains(QStringLiteral("mae_max")));

        const Run byVersion = ctl({QStringLiteral("--deployment"), m_deployment, QStringLiteral("--from"), iso(from),
                                   QStringLiteral("--to"), iso(to), QStringLiteral("--by"), QStringLiteral("version"),
                                   QStringLiteral("--json")});
        QCOMPARE(byVersion.code, 0);
        const QJsonObject versions =
            QJsonDocument::fromJson(byVersion.out).object().value(QStringLiteral("by_version")).toObject();
        QVERIFY(versions.contains(QStringLiteral("v1")) && versions.contains(QStringLiteral("v2")));

        const Run text = ctl({QStringLiteral("--deployment"), m_deployment, QStringLiteral("--from"), iso(from),
                              QStringLiteral("--to"), iso(to)});
        QCOMPARE(text.code, 0);
        QVERIFY(text.out.contains("MAE"));
        QVERIFY(text.out.contains("OK") || text.out.contains("FAIL"));
    }

    void cliRefusesBadInput()
    {
        for (const QStringList &args :
             {QStringList{QStringLiteral("--deployment"), m_deployment, QStringLiteral("--range"),
                          QStringLiteral("1y")},
              QStringList{QStringLiteral("--deployment"), m_deployment, QStringLiteral("--range"),
                          QStringLiteral("0h")},
              QStringList{QStringLiteral("--deployment"), m_deployment, QStringLiteral("--from"),
                          QStringLiteral("yesterday"), QStringLiteral("--to"), iso(kEnd)},
              QStringList{QStringLiteral("--deployment"), m_deployment, QStringLiteral("--from"), iso(kEnd),
                          QStringLiteral("--to"), iso(kEnd - 60)},
              QStringList{QStringLiteral("--deployment"), QStringLiteral("nosuchdeployment")},
              QStringList{QStringLiteral("--deployment"), m_deployment, QStringLiteral("--by"),
                          QStringLiteral("colour")},
              QStringList{QStringLiteral("--range"), QStringLiteral("1h")}}) {
            const Run r = ctl(args);
            QVERIFY2(r.code == 2, qPrintable(args.join(QLatin1Char(' '))));
            QVERIFY(!r.err.trimmed().isEmpty());
            QVERIFY(r.out.isEmpty());
        }
        // No server: a connection error, exit 2.
        QProcess p;
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                {QStringLiteral("kpi"), QStringLiteral("--pg"),
                 QStringLiteral("postgresql://mldeck:mldeck@127.0.0.1:1/mldeck"), QStringLiteral("--deployment"),
                 m_deployment});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
    }
};

QTEST_GUILESS_MAIN(TestKpiCache)
#include "test_kpicache.moc"
