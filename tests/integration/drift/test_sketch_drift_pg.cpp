#include "core/domain/DriftScore.h"
#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/services/FeatureSketching.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/FeatureSketchStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>
#include <random>
#include <span>

using namespace mldeck;
using namespace mldeck::test;

// Drift over a long window from the per-hour feature sketches on real PostgreSQL, the rows logged through the
// prediction log's COPY path and the hours sketched by the guard's own step (sketchCompletedHours): each figure
// lies within its stated bound of the exact figure over the same raw rows, without and with drift, and the
// check reads a long window from sketches and a short one from rows.
class TestSketchDriftPg final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    static constexpr int kHours = 30;
    static constexpr int kRowsPerHour = 1200;
    // The end of the window: a whole hour, so the window is [end - 30 h, end) plus a partial hour read raw.
    QDateTime m_end =
        QDateTime::fromSecsSinceEpoch((QDateTime::currentSecsSinceEpoch() / 3600 - 1) * 3600 + 1800, Qt::UTC);

    std::unique_ptr<PgConnection> open()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        if (!conn) {
            MLDECK_FAIL_IN_HELPER(conn.errorMessage());
            return nullptr;
        }
        return std::move(conn).value();
    }

    // A deployment with x (normal), y (log-normal), c (categories): a reference of 2 hours, then kHours hours whose
    // x is shifted by `shift` standard deviations and whose c leans to "b" when shifted.
    QString logDeployment(PgConnection &conn, const QString &prefix, double shift, quint64 seed)
    {
        const QString dep = uniqueName(prefix);
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back({QStringLiteral("y"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back({QStringLiteral("c"), FeatureSpec::Kind::Categorical, {}});
        if (!DeploymentStore(conn).ensure(dep, {}, schema).ok()) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("ensure"));
            return {};
        }
        const QDateTime refFrom = m_end.addSecs(-3600 * (kHours + 3));
        const Status set = DriftData(conn).setDriftSettings(
            dep, {{QStringLiteral("reference"),
                   QStringLiteral("period:%1/%2")
                       .arg(refFrom.toString(Qt::ISODate), refFrom.addSecs(7200).toString(Qt::ISODate))},
                  {QStringLiteral("max_rows"), 10'000'000}});
        if (!set) {
            MLDECK_FAIL_IN_HELPER(set.errorMessage());
            return {};
        }
        std::mt19937_64 rng(seed);
        std::normal_distribution<double> normal(0, 1);
        std::uniform_real_distribution<double> uniform(0, 1);
        PredictionLog log(conn);
        const qint64 start = refFrom.toMSecsSinceEpoch() * 1000;
        const int hours = kHours + 3;
        std::vector<PredictionRow> rows;
        for (int h = 0; h < hours; ++h) {
            const bool current = h >= 3;
            for (int i = 0; i < kRowsPerHour; ++i) {
                PredictionRow r;
                r.deployment = dep;
                r.tsMicros = start + qint64(h) * 3600'000'000LL + qint64(i) * (3600'000'000LL / kRowsPerHour);
                r.requestKey = QStringLiteral("%1-%2").arg(h).arg(i);
                const double x = normal(rng) + (current ? shift : 0);
                r.features.numeric = {float(x), float(std::exp(normal(rng)))};
                const double u = uniform(rng) + (current ? shift / 2 : 0);
                r.features.categorical = {u < 0.5 ? QStringLiteral("a") : QStringLiteral("b")};
                r.predicted = 2 * x;
                r.latencyMs = 1;
                rows.push_back(std::move(r));
            }
            if (rows.size() >= 6000) {
                if (const Status s = log.appendPredictions(rows); !s)
                    MLDECK_FAIL_IN_HELPER(s.errorMessage());
                rows.clear();
            }
        }
        if (!rows.empty())
            if (const Status s = log.appendPredictions(rows); !s)
                MLDECK_FAIL_IN_HELPER(s.errorMessage());
        return dep;
    }

    Result<DriftCheckReport> check(PgConnection &conn, const QString &dep, qint64 windowSeconds,
                                   DriftCheckRequest::Sketches sketches)
    {
        DriftCheckRequest r;
        r.deployment = dep;
        r.now = m_end;
        r.windowSeconds = windowSeconds;
        r.sketches = sketches;
        return runDriftCheck(conn, r);
    }

    // The exact figures of the raw rows lie within the sketch path's intervals; returns the drifting features.
    QStringList compareWithExact(PgConnection &conn, const QString &dep)
    {
        const qint64 window = kHours * 3600;
        auto sketched = check(conn, dep, window, DriftCheckRequest::Sketches::Auto);
        auto exact = check(conn, dep, window, DriftCheckRequest::Sketches::Never);
        if (!sketched || !exact) {
            MLDECK_FAIL_IN_HELPER(sketched ? exact.errorMessage() : sketched.errorMessage());
            return {};
        }
        if (!sketched->fromSketches || exact->fromSketches || sketched->sketchedHours != kHours - 1) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("paths: %1 hours").arg(sketched->sketchedHours));
            return {};
        }
        QStringList drifting;
        for (const auto &e : exact->result.features) {
            if (e.name == kDriftTargetFeature)
                continue;
            const auto s = std::find_if(sketched->result.features.begin(), sketched->result.features.end(),
                                        [&](const auto &f) { return f.name == e.name; });
            if (s == sketched->result.features.end() || !s->sketch) {
                MLDECK_FAIL_IN_HELPER(QStringLiteral("%1 missing from the sketch path").arg(e.name));
                return {};
            }
            const auto &b = *s->sketch;
            qInfo("%s %s: exact %.5f, sketches %.5f in [%.5f, %.5f], rank error %.5f, %s", qPrintable(e.name),
                  qPrintable(drift::testKey(e.test)), e.statistic, s->statistic, b.statisticLow, b.statisticHigh,
                  b.rankError, b.decided ? (s->drift ? "drift" : "ok") : "undecided");
            const double tol = 1e-9 * std::max(1.0, std::fabs(e.statistic));
            if (s->test != e.test || s->referenceCount != e.referenceCount || s->currentCount != e.currentCount ||
                e.statistic < b.statisticLow - tol || e.statistic > b.statisticHigh + tol ||
                (b.decided && s->drift != e.drift)) {
                MLDECK_FAIL_IN_HELPER(QStringLiteral("%1 outside its bound").arg(e.name));
                return {};
            }
            if (b.decided && s->drift)
                drifting << e.name;
        }
        return drifting;
    }

    struct Run
    {
        int code = -1;
        QByteArray out, err;
    };
    Run ctl(const QStringList &args)
    {
        QProcess p;
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                args + QStringList{QStringLiteral("--pg"), m_db->endpoint().toUrl(true)});
        if (!p.waitForFinished(120000)) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("mldeckctl did not finish: ") + args.join(u' '));
            p.kill();
            p.waitForFinished();
        }
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("sketchdrift"));
        auto conn = open();
        QVERIFY(conn);
        QVERIFY(Migrator::migrate(*conn).ok());
    }

    // Two writers that both found no watermark: the second stores nothing and cannot move the first's back.
    void firstWatermarkHasOneWriter()
    {
        auto conn = open();
        QVERIFY(conn);
        FeatureSketchStore store(*conn);
        const QString dep = QStringLiteral("two-writers");
        const qint64 hour = 3600LL * 1'000'000, start = 480'000 * hour;
        const FeatureSketchStore::HourSketch sketch{
            start, 1, QStringLiteral("x"), 1, drift::NumericSketch::fromValues(std::vector<double>{1.0}).serialise()};
        QVERIFY(store.storeHours(dep, std::nullopt, start + 2 * hour, {sketch}, {}).ok());
        const Status second = store.storeHours(dep, std::nullopt, start + hour, {sketch}, {});
        QVERIFY(!second.ok());
        QVERIFY2(second.errorMessage().contains(QStringLiteral("another writer")), qPrintable(second.errorMessage()));
        const auto watermark = store.watermark(dep);
        QVERIFY(watermark && *watermark);
        QCOMPARE(**watermark, start + 2 * hour);
        QVERIFY(!store.storeHours(dep, start + hour, start + 3 * hour, {}, {}).ok()); // a stale watermark: refused
        QVERIFY(store.storeHours(dep, start + 2 * hour, start + 3 * hour, {}, {}).ok());
        QCOMPARE(**store.watermark(dep), start + 3 * hour);
    }

    // The dataset verdict over sketches stands only when the undecided features could not change it.
    void datasetVerdictWaitsForUndecidedFeatures()
    {
        std::mt19937_64 rng(7);
        std::normal_distribution<double> normal(0, 1);
        auto side = [&](double shift) {
            SketchedSide s;
            for (const QString &name : {QStringLiteral("drifting"), QStringLiteral("u1"), QStringLiteral("u2")}) {
                std::vector<double> v(20'000);
                for (double &x : v)
                    x = normal(rng) + (name == QStringLiteral("drifting") ? shift : 0);
                drift::NumericSketch merged;
                for (std::size_t at = 0; at < v.size(); at += 1000) // hours of 1,000 rows: a bound > 0
                    merged.merge(drift::NumericSketch::fromValues(std::span<const double>(v).subspan(at, 1000)));
                s.columns.emplace_back(name, merged);
            }
            return s;
        };
        const SketchedSide reference = side(0), drifting = side(2), clean = side(0);
        drift::DriftOptions o;
        o.testOverrides[QStringLiteral("drifting")] = drift::TestKind::KolmogorovSmirnov;
        // A chi-square of a numeric feature's bins has no bound from sketches: always undecided.
        o.testOverrides[QStringLiteral("u1")] = drift::TestKind::ChiSquare;
        o.testOverrides[QStringLiteral("u2")] = drift::TestKind::ChiSquare;
        o.datasetShare = 0.5;
        drift::DatasetDrift d = compareSketchedSides(reference, drifting, o); // 1 of 3 sure, up to 3 of 3
        QCOMPARE(d.drifted, 1);
        QCOMPARE(d.considered, 3);
        QVERIFY(!d.datasetDrift);
        QVERIFY(d.datasetUndecided);
        o.datasetShare = 0.3; // 1 of 3 is enough whatever the undecided ones do
        d = compareSketchedSides(reference, drifting, o);
        QVERIFY(d.datasetDrift);
        QVERIFY(!d.datasetUndecided);
        // No drift: u2 surely clean (a Wasserstein threshold it cannot reach), the KS feature perhaps undecided
        // (its p-value interval may reach below 0.05): at most 2 of 3 drift, under 70 %.
        o.datasetShare = 0.7;
        o.testOverrides[QStringLiteral("u2")] = drift::TestKind::Wasserstein;
        o.thresholdOverrides[QStringLiteral("u2")] = 10;
        d = compareSketchedSides(reference, clean, o);
        QCOMPARE(d.drifted, 0);
        QVERIFY(!d.datasetDrift);
        QVERIFY(!d.datasetUndecided);
    }

    void sketchesMaintainedByTheGuardStep()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = logDeployment(*conn, QStringLiteral("sk"), 0, 1);
        QVERIFY(!dep.isEmpty());
        const qint64 now = m_end.toMSecsSinceEpoch() * 1000;
        // A budget of a few hours per run, as the guard's: runs until caught up, the watermark moving each time.
        FeatureSketchingOptions options;
        options.runBudgetMs = 1;
        options.hoursPerTransaction = 4;
        qint64 runs = 0, hours = 0;
        for (;;) {
            auto r = sketchCompletedHours(*conn, dep, now, options);
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
            hours += r->hours;
            ++runs;
            if (r->caughtUp)
                break;
            QVERIFY(runs < 100);
        }
        QCOMPARE(hours, qint64(kHours + 3)); // every complete hour, the partial one left for later
        const auto stored = test::query(*conn,
                                        QStringLiteral("SELECT count(*), sum(rows) FROM mldeck.feature_sketches WHERE "
                                                       "deployment = $1 AND feature = 'x'"),
                                        {dep});
        QVERIFY(stored.ok());
        QCOMPARE(stored->first(), (QStringList{QString::number(kHours + 3),
                                               QString::number((kHours + 3) * kRowsPerHour - kRowsPerHour / 2)}));
        // Nothing new: a second run changes nothing.
        auto again = sketchCompletedHours(*conn, dep, now, options);
        QVERIFY(again.ok());
        QCOMPARE(again->hours, qint64(0));
        QCOMPARE(again->hoursResketched, qint64(0));
        QVERIFY(again->caughtUp);

        // Late rows: 300 predictions committed now into an hour sketched long ago, x three deviations up. Without a
        // new sketch of that hour, the window's distribution from sketches would be up to 0.008 off the rows' (bound
        // 1/256).
        const qint64 lateHour = m_end.addSecs(-3600 * 20).toSecsSinceEpoch() / 3600 * 3600;
        std::vector<PredictionRow> late;
        for (int i = 0; i < 300; ++i) {
            PredictionRow r;
            r.deployment = dep;
            r.tsMicros = lateHour * 1'000'000 + qint64(i) * 1'000'000;
            r.requestKey = QStringLiteral("late-%1").arg(i);
            r.features.numeric = {float(3 + i % 7 * 0.1), 1.f};
            r.features.categorical = {QStringLiteral("a")};
            r.predicted = 6;
            r.latencyMs = 1;
            late.push_back(std::move(r));
        }
        QVERIFY(PredictionLog(*conn).appendPredictions(late).ok());
        auto resketched = sketchCompletedHours(*conn, dep, now, options);
        QVERIFY2(resketched.ok(), qPrintable(resketched.errorMessage()));
        QCOMPARE(resketched->hours, qint64(0));
        QCOMPARE(resketched->hoursResketched, qint64(1));
        const QString hourText = QDateTime::fromSecsSinceEpoch(lateHour, Qt::UTC).toString(Qt::ISODate);
        const auto lateStored =
            test::query(*conn,
                        QStringLiteral("SELECT (SELECT rows FROM mldeck.feature_sketches WHERE deployment = $1 AND "
                                       "feature = 'x' AND hour = $2::timestamptz), (SELECT predictions FROM "
                                       "mldeck.feature_sketch_hours WHERE deployment = $1 AND hour = $2::timestamptz)"),
                        {dep, hourText});
        QVERIFY(lateStored.ok());
        QCOMPARE(lateStored->first(),
                 (QStringList{QString::number(kRowsPerHour + 300), QString::number(kRowsPerHour + 300)}));
        auto settled = sketchCompletedHours(*conn, dep, now, options);
        QVERIFY(settled.ok());
        QCOMPARE(settled->hoursResketched, qint64(0));
        // `mldeckctl drift sketch` says so too.
        late.resize(1);
        late.front().tsMicros -= 3600'000'000LL;
        QVERIFY(PredictionLog(*conn).appendPredictions(late).ok());
        const Run cli = ctl({QStringLiteral("drift"), QStringLiteral("sketch"), QStringLiteral("--deployment"), dep,
                             QStringLiteral("--json")});
        QVERIFY2(cli.code == 0, cli.err.constData());
        QCOMPARE(QJsonDocument::fromJson(cli.out).object().value(QStringLiteral("hours_resketched")).toInt(), 1);

        const QStringList drifting = compareWithExact(*conn, dep);
        QVERIFY2(drifting.isEmpty(), qPrintable(drifting.join(u',')));
    }

    void driftFoundWithinBound()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = logDeployment(*conn, QStringLiteral("skd"), 0.5, 2);
        QVERIFY(!dep.isEmpty());
        // No hour sketched yet: a long window is read from its rows, exactly (not as "0 hourly sketches").
        auto unsketched = check(*conn, dep, kHours * 3600, DriftCheckRequest::Sketches::Auto);
        QVERIFY2(unsketched.ok(), qPrintable(unsketched.errorMessage()));
        QVERIFY(!unsketched->fromSketches);
        FeatureSketchingOptions options;
        options.runBudgetMs = 0;
        QVERIFY(sketchCompletedHours(*conn, dep, m_end.toMSecsSinceEpoch() * 1000, options).ok());
        const QStringList drifting = compareWithExact(*conn, dep);
        QVERIFY2(drifting.contains(QStringLiteral("x")), qPrintable(drifting.join(u',')));
        QVERIFY2(drifting.contains(QStringLiteral("c")), qPrintable(drifting.join(u',')));
        QVERIFY2(drifting.contains(kDriftPredictionFeature), qPrintable(drifting.join(u',')));
        QVERIFY2(!drifting.contains(QStringLiteral("y")), qPrintable(drifting.join(u',')));

        // `drift check` says the figures came from sketches, with their bounds (text and JSON).
        const QStringList args{QStringLiteral("drift"),        QStringLiteral("check"),
                               QStringLiteral("--deployment"), dep,
                               QStringLiteral("--window"),     QStringLiteral("30h"),
                               QStringLiteral("--at"),         m_end.toString(Qt::ISODate)};
        const Run text = ctl(args);
        QVERIFY2(text.code == 1, text.err.constData()); // dataset drift
        QVERIFY2(text.out.contains("hourly sketch"), text.out.constData());
        QVERIFY2(text.out.contains("from sketches: score in ["), text.out.constData());
        qInfo("%s", text.out.constData());
        const Run json = ctl(args + QStringList{QStringLiteral("--json")});
        QCOMPARE(json.code, 1);
        const QJsonObject o = QJsonDocument::fromJson(json.out).object();
        QCOMPARE(o.value(QStringLiteral("sketches")).toObject().value(QStringLiteral("hours")).toInt(), kHours - 1);
        for (const QJsonValue &f : o.value(QStringLiteral("features")).toArray()) {
            const QJsonObject sketch = f.toObject().value(QStringLiteral("sketch")).toObject();
            QVERIFY(sketch.value(QStringLiteral("statistic_low")).toDouble() <=
                    f.toObject().value(QStringLiteral("statistic")).toDouble());
            QVERIFY(sketch.contains(QStringLiteral("rank_error")));
        }
        const Run exact = ctl(args + QStringList{QStringLiteral("--exact"), QStringLiteral("--json")});
        QCOMPARE(exact.code, 1);
        QVERIFY(!QJsonDocument::fromJson(exact.out).object().contains(QStringLiteral("sketches")));
        const Run sketch = ctl({QStringLiteral("drift"), QStringLiteral("sketch"), QStringLiteral("--deployment"), dep,
                                QStringLiteral("--json")});
        QVERIFY2(sketch.code == 0, sketch.err.constData());
        QVERIFY(QJsonDocument::fromJson(sketch.out).object().value(QStringLiteral("sketched_to")).isString());
    }

    // The guard's request (Auto, persisted): a window longer than a day from sketches, a short one from rows.
    void longWindowFromSketchesShortFromRows()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = logDeployment(*conn, QStringLiteral("skp"), 0, 3);
        QVERIFY(!dep.isEmpty());
        QVERIFY(sketchCompletedHours(*conn, dep, m_end.toMSecsSinceEpoch() * 1000).ok());
        for (const qint64 window : {qint64(kHours) * 3600, qint64(600)}) {
            DriftCheckRequest r;
            r.deployment = dep;
            r.now = m_end.addSecs(window == 600 ? 120 : 0); // a new window for the anti-flap state
            r.windowSeconds = window;
            r.persist = true;
            r.actor = AlertActor{QStringLiteral("guard@test"), QStringLiteral("test")};
            auto report = runDriftCheck(*conn, r);
            QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
            QCOMPARE(report->fromSketches, window > kSketchWindowSeconds);
            for (const auto &f : report->result.features)
                QCOMPARE(f.sketch.has_value(), window > kSketchWindowSeconds);
            if (report->fromSketches) {
                QVERIFY(report->sketchedHours >= kHours - 1);
                QVERIFY(report->multivariate && !report->multivariate->enoughSamples); // no PCA from sketches
            }
        }
        const auto scores = test::query(
            *conn, QStringLiteral("SELECT count(DISTINCT window_end) FROM mldeck.drift_scores WHERE deployment = $1"),
            {dep});
        QVERIFY(scores.ok());
        QCOMPARE(scores->first().first(), QStringLiteral("2"));
    }
};

QTEST_GUILESS_MAIN(TestSketchDriftPg)
#include "test_sketch_drift_pg.moc"
