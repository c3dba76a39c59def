// The classification aggregates of 012_classification.sql against an exact recomputation from the
// raw rows (class_check.sql): binary and multi-class, random data with late, corrected, stale, early
// and invalid labels and feedback labels, concurrent writers, rebuild; what KpiStore reads back; the
// ROC AUC of the aggregates within its stated bound of the exact AUC; the SQL bins equal the C++ ones;
// a regression deployment writes no classification row.
#include "core/rollout/AuditRecord.h"
#include "core/stats/Metrics.h"
#include "core/stats/kpi/ClassificationFigures.h"
#include "core/stats/kpi/ClassificationSums.h"
#include "core/store/pg/ClassificationStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QFile>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <random>
#include <thread>

using namespace mldeck;

namespace {

const qint64 kDay0 = QDateTime(QDate(2026, 5, 4), QTime(0, 0), Qt::UTC).toSecsSinceEpoch();
const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

QString checkSql(const QString &level)
{
    QFile f(QStringLiteral(MLDECK_CLASS_CHECK_SQL));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).replace(QStringLiteral("LEVEL"), level);
}

std::unique_ptr<PgConnection> openConn(const PgEndpoint &e)
{
    auto c = PgConnection::open(e, QStringLiteral("test_class_aggregates"));
    if (!c) {
        MLDECK_FAIL_IN_HELPER(c.errorMessage());
        return nullptr; // the caller checks it
    }
    return std::move(c).value();
}

// Random classifier traffic: K classes, the vector logged with probability `vectorShare`, a few
// rows failed, served against the model (a random class), without a class (a v1 backend), or with
// probabilities of exactly 0 and 1.
struct Generator
{
    std::mt19937_64 rng;
    std::map<QString, std::vector<float>> served; // key -> the probabilities of its latest prediction
    explicit Generator(quint64 seed) : rng(seed) {}

    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

    PredictionRow prediction(const QString &deployment, const QString &key, qint64 tsSecs, int classes,
                             double vectorShare)
    {
        PredictionRow r;
        r.tsMicros = tsSecs * 1000000 + qint64(rng() % 1000000);
        r.deployment = deployment;
        r.requestKey = key;
        const int path = int(rng() % 3);
        r.path = path == 0 ? PredictionPath::Ml : path == 1 ? PredictionPath::Heuristic : PredictionPath::Fallback;
        if (r.path != PredictionPath::Heuristic)
            r.modelVersion = (rng() % 2) ? QStringLiteral("v1") : QStringLiteral("v2");
        r.latencyMs = float(uniform(0.5, 40));
        r.failed = rng() % 20 == 0;
        if (r.failed)
            return r;
        std::vector<float> p(static_cast<size_t>(classes));
        if (rng() % 25 == 0) { // a certain model: exactly 0 and 1
            p[rng() % size_t(classes)] = 1.0f;
        } else {
            double total = 0;
            std::vector<double> w(static_cast<size_t>(classes));
            for (double &x : w)
                total += (x = std::exp(uniform(-4, 4)));
            for (size_t k = 0; k < w.size(); ++k)
                p[k] = float(w[k] / total);
        }
        ClassSpec spec;
        for (int k = 0; k < classes; ++k)
            spec.classes << QStringLiteral("c%1").arg(k);
        int c = spec.decide(std::span<const float>(p));
        if (rng() % 30 == 0)
            c = int(rng() % size_t(classes)); // served something else (a rule, an override)
        r.predicted = double(p[size_t(c)]);
        if (rng() % 50 != 0) // else a v1 backend: no class, not counted
            r.predictedClass = c;
        if (classes <= kMaxLoggedProbabilities && uniform(0, 1) < vectorShare)
            r.probabilities = p;
        served[key] = p;
        return r;
    }
    OutcomeRow outcome(const QString &deployment, const QString &key, qint64 observedSecs, int classes)
    {
        OutcomeRow o;
        o.deployment = deployment;
        o.requestKey = key;
        o.observedMicros = observedSecs * 1000000 + qint64(rng() % 1000000);
        // Mostly drawn from the served probabilities (a calibrated model: the AUC means something).
        const auto it = served.find(key);
        if (it != served.end() && rng() % 100 < 85)
            o.actual = double(std::discrete_distribution<int>(it->second.begin(), it->second.end())(rng));
        else
            o.actual = double(rng() % size_t(classes));
        if (rng() % 40 == 0) // not a class: leaves the row unlabelled
            o.actual = (rng() % 2) ? double(classes) + 1 : 0.5;
        return o;
    }
};

struct ClassDeployment
{
    QString name;
    int classes = 2;
    double vectorShare = 1;
};

} // namespace

class TestClassAggregates : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;

    // Cells of kpi_class_<level> that differ from the exact recomputation (none when correct).
    int mismatches(PgConnection &conn, const QString &level)
    {
        const auto r = test::query(conn, checkSql(level));
        if (!r) {
            qWarning("%s", qPrintable(r.errorMessage()));
            return -1;
        }
        for (const QStringList &row : r.value().mid(0, 8))
            qWarning("mismatch in kpi_class_%s: %s", qPrintable(level), qPrintable(row.join(QLatin1Char(' '))));
        return int(r.value().size());
    }
    qint64 scalar(PgConnection &conn, const QString &sql)
    {
        const auto r = test::query(conn, sql);
        return r && !r.value().isEmpty() ? r.value().first().first().toLongLong() : -1;
    }

    void createClassifier(const QString &name, int classes)
    {
        NewDeployment d;
        d.name = name;
        d.task = QStringLiteral("classification");
        for (int k = 0; k < classes; ++k)
            d.classSpec.classes << QStringLiteral("c%1").arg(k);
        const auto created = DeploymentStore(*m_conn).create(d, kActor);
        QVERIFY2(created, qPrintable(created.errorMessage()));
        QCOMPARE(created->classSpec.classes, d.classSpec.classes);
    }

    // A random history through the COPY path: predictions in batches, outcomes for ~90 % arriving
    // over later batches (corrections, stale ones, some before their prediction, some not a class),
    // feedback on a third of the keys (a label on a binary deployment).
    void writeRandomHistory(PgConnection &conn, const ClassDeployment &dep, int rows, quint64 seed)
    {
        PredictionLog log(conn);
        QVERIFY(log.ensurePartitions(QDate(2026, 5, 4), QDate(2026, 5, 5)));
        Generator g(seed);
        std::vector<PredictionRow> preds;
        std::vector<OutcomeRow> early;
        for (int i = 0; i < rows; ++i) {
            const QString key = QStringLiteral("%1-%2").arg(seed).arg(i);
            const qint64 ts = kDay0 + qint64(g.rng() % (2 * 86400)) - 1800; // some in the default partition
            preds.push_back(g.prediction(dep.name, key, ts, dep.classes, dep.vectorShare));
            if (i % 10 == 0)
                early.push_back(g.outcome(dep.name, key, ts + 60, dep.classes)); // before the prediction is logged
            if (i % 97 == 0)                                                     // a request key predicted twice
                preds.push_back(g.prediction(dep.name, key, ts + 30, dep.classes, dep.vectorShare));
        }
        QVERIFY(log.appendOutcomes(early));
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedback;
        for (size_t start = 0; start < preds.size(); start += 600) {
            const size_t end = std::min(preds.size(), start + 600);
            QVERIFY(log.appendPredictions({preds.begin() + qsizetype(start), preds.begin() + qsizetype(end)}));
            for (size_t i = start; i < end; ++i) {
                const PredictionRow &p = preds[i];
                const qint64 ts = p.tsMicros / 1000000;
                if (g.rng() % 10 != 0)
                    outcomes.push_back(g.outcome(dep.name, p.requestKey, ts + 600, dep.classes));
                if (g.rng() % 8 == 0) // corrected later
                    outcomes.push_back(g.outcome(dep.name, p.requestKey, ts + 7200, dep.classes));
                if (g.rng() % 8 == 0) // stale: observed before the applied one, arrives later
                    outcomes.push_back(g.outcome(dep.name, p.requestKey, ts - 100000, dep.classes));
                if (g.rng() % 3 == 0) { // feedback, sometimes after the last outcome (then it wins)
                    FeedbackRow f;
                    f.tsMicros = (ts + qint64(g.rng() % 20000)) * 1000000;
                    f.positive = g.rng() % 3 != 0;
                    f.deployment = dep.name;
                    f.requestKey = p.requestKey;
                    feedback.push_back(f);
                }
            }
            // Late: the outcomes of a batch arrive with the next ones, in shuffled batches.
            std::shuffle(outcomes.begin(), outcomes.end(), g.rng);
            const size_t half = outcomes.size() / 2;
            QVERIFY(log.appendOutcomes({outcomes.begin(), outcomes.begin() + qsizetype(half)}));
            outcomes.erase(outcomes.begin(), outcomes.begin() + qsizetype(half));
            QVERIFY(log.appendFeedback(feedback));
            feedback.clear();
        }
        QVERIFY(log.appendOutcomes(outcomes));
    }

    void checkExact()
    {
        QCOMPARE(mismatches(*m_conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("hour")), 0);
    }

    // The sums KpiStore reads for a deployment over the whole history, merged.
    stats::ClassificationSums readSums(const QString &deployment, KpiStore::Level level)
    {
        KpiStore store(*m_conn);
        const auto rows = store.read(deployment, kDay0 - 86400, kDay0 + 4 * 86400, level);
        if (!rows) {
            MLDECK_FAIL_IN_HELPER(rows.errorMessage());
            return {};
        }
        stats::ClassificationSums all;
        for (const KpiBucket &b : rows->buckets)
            all.merge(b.sums.classification);
        return all;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(!checkSql(QStringLiteral("minute")).isEmpty(), "class_check.sql not found");
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("classagg"));
        m_conn = openConn(m_db->endpoint());
        QVERIFY(m_conn);
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
    }

    void binsMatchTheCpp()
    {
        // The SQL bin functions put every value where stats::scoreBin / calibrationBin do, on the bin
        // edges and their neighbours, on float probabilities and on the special values.
        QStringList values;
        QList<int> score, calibration;
        const auto add = [&](double v) {
            values << QString::number(v, 'g', 17);
            score << stats::scoreBin(v);
            calibration << stats::calibrationBin(v);
        };
        for (int i = 1; i < stats::kScoreBins; ++i) {
            const double edge = stats::scoreBinLow(i);
            for (double v : {edge, std::nextafter(edge, 0.0), std::nextafter(edge, 1.0)})
                add(v);
        }
        for (int i = 0; i <= 10; ++i) {
            const double edge = i / 10.0;
            for (double v : {edge, std::nextafter(edge, 0.0), std::nextafter(edge, 2.0)})
                add(v);
        }
        std::mt19937 rng(11);
        for (int i = 0; i < 3000; ++i) {
            const double logit = std::uniform_real_distribution<double>(-12, 12)(rng);
            add(double(float(1 / (1 + std::exp(-logit)))));
        }
        for (double v : {0.0, -0.5, 1.0, 1.5, 1e-300, 1 - 1e-16})
            add(v);
        const auto r = test::query(*m_conn,
                                   QStringLiteral("SELECT mldeck.kpi_score_bin(v::float8), "
                                                  "mldeck.kpi_calibration_bin(v::float8) FROM unnest($1::text[]) "
                                                  "WITH ORDINALITY u(v, n) ORDER BY n"),
                                   {QStringLiteral("{") + values.join(QLatin1Char(',')) + QStringLiteral("}")});
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QCOMPARE(r.value().size(), values.size());
        for (qsizetype i = 0; i < values.size(); ++i) {
            QVERIFY2(r.value().at(i).at(0).toInt() == score.at(i), qPrintable(values.at(i)));
            QVERIFY2(r.value().at(i).at(1).toInt() == calibration.at(i), qPrintable(values.at(i)));
        }
        QCOMPARE(test::queryValue(*m_conn, QStringLiteral("SELECT mldeck.kpi_score_bin('NaN')")), QStringLiteral("0"));
        QCOMPARE(test::queryValue(*m_conn, QStringLiteral("SELECT mldeck.kpi_calibration_bin('NaN')")),
                 QStringLiteral("0"));
    }

    void randomHistoryIsExact()
    {
        const QList<ClassDeployment> deps{
            {QStringLiteral("binary"), 2, 0.5}, {QStringLiteral("multi"), 4, 0.9}, {QStringLiteral("wide"), 25, 0}};
        for (const ClassDeployment &d : deps)
            createClassifier(d.name, d.classes);
        for (qsizetype i = 0; i < deps.size(); ++i)
            writeRandomHistory(*m_conn, deps.at(i), 2500, quint64(i + 1));
        QVERIFY(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions_default")) > 0);
        // Feedback on the binary deployment became outcomes (observed at the feedback's ts).
        QVERIFY(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.outcomes o JOIN mldeck.feedback f "
                                               "ON f.deployment = o.deployment AND f.request_key = o.request_key "
                                               "AND f.ts = o.observed_at WHERE o.deployment = 'binary'")) > 500);
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.outcomes o JOIN mldeck.feedback f "
                                                "ON f.deployment = o.deployment AND f.request_key = o.request_key "
                                                "AND f.ts = o.observed_at WHERE o.deployment <> 'binary'")),
                 0);
        // Partitions created afterwards move rows out of the default partition: nothing counts twice.
        PredictionLog log(*m_conn);
        QVERIFY(log.ensurePartitions(QDate(2026, 5, 2), QDate(2026, 5, 7)));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions_default")), 0);
        checkExact();

        // Each deployment has rows of every kind the conventions distinguish.
        for (const ClassDeployment &d : deps) {
            const stats::ClassificationSums s = readSums(d.name, KpiStore::Level::Hour);
            QCOMPARE(s.classes, d.classes);
            QCOMPARE(s.counted(), scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE "
                                                                 "deployment = '%1' AND NOT failed AND predicted_class "
                                                                 "IS NOT NULL")
                                                      .arg(d.name)));
            QVERIFY2(s.labelled() > s.counted() / 2, qPrintable(d.name));
            QCOMPARE(s.confusion.size(), size_t(d.classes * d.classes));
            if (d.classes == 2) {
                QCOMPARE(s.servedScoreCount.size(), size_t(128));
                QCOMPARE(s.lossCount, s.labelled()); // every binary row has its loss
            } else if (d.classes <= kMaxLoggedProbabilities) {
                QVERIFY(s.lossCount > 0 && s.lossCount < s.labelled()); // rows without a vector have none
                QCOMPARE(s.scoreHistogram.size(), size_t(d.classes * 128));
            } else {
                QCOMPARE(s.lossCount, qint64(0));
                QVERIFY(s.sumConfidence > 0);
            }
            // Minute and hour rows hold the same sums.
            const stats::ClassificationSums m = readSums(d.name, KpiStore::Level::Minute);
            QCOMPARE(m.confusion, s.confusion);
            QCOMPARE(m.scoreHistogram, s.scoreHistogram);
            QCOMPARE(m.predictedCount, s.predictedCount);
            QVERIFY(std::abs(m.sumLogLoss - s.sumLogLoss) <= 1e-9 * (1 + s.sumLogLoss));
        }

        // rebuild recomputes the same figures.
        KpiStore store(*m_conn);
        QVERIFY(store.rebuild(QStringLiteral("multi"), kDay0 - 86400, kDay0 + 4 * 86400));
        QVERIFY(store.rebuild(QStringLiteral("binary"), kDay0 + 3600, kDay0 + 7200));
        checkExact();
    }

    void aucOfTheAggregatesIsWithinItsBound()
    {
        // ROC AUC from the score histogram against the exact AUC over the same labelled rows.
        const auto rows = test::query(*m_conn, QStringLiteral(R"SQL(
WITH lo AS (SELECT DISTINCT ON (request_key) request_key, actual FROM mldeck.outcomes WHERE deployment = 'binary'
            ORDER BY request_key, observed_at DESC, id DESC)
SELECT CASE WHEN cardinality(p.probabilities) = 2 THEN p.probabilities[2]::float8
            WHEN p.predicted_class = 1 THEN p.predicted ELSE 1 - p.predicted END, lo.actual
FROM mldeck.predictions p JOIN lo USING (request_key)
WHERE p.deployment = 'binary' AND NOT p.failed AND p.predicted_class IS NOT NULL AND lo.actual IN (0, 1))SQL"));
        QVERIFY2(rows, qPrintable(rows.errorMessage()));
        std::vector<double> score, actual;
        for (const QStringList &r : rows.value()) {
            score.push_back(r.at(0).toDouble());
            actual.push_back(r.at(1).toDouble());
        }
        QVERIFY(score.size() > 1000);
        const auto exact = stats::rocAuc(score, actual);
        QVERIFY(exact);
        const stats::ClassificationSums sums = readSums(QStringLiteral("binary"), KpiStore::Level::Hour);
        QCOMPARE(sums.labelled(), qint64(score.size()));
        const stats::ClassificationFigures f = stats::computeClassificationFigures(sums);
        QVERIFY(f.rocAuc && f.rocAucBound);
        qInfo("binary: AUC %.6f from the histogram, exact %.6f, bound %.6f", *f.rocAuc, *exact, *f.rocAucBound);
        QVERIFY(std::abs(*f.rocAuc - *exact) <= *f.rocAucBound + 1e-12);
        QVERIFY(*f.rocAucBound < 0.05);
    }

    void feedbackLabelsABinaryPrediction()
    {
        // Served "accepted" (1); "wrong" feedback makes the true class "declined" (0); a later
        // outcome observed after the feedback overrides it, an earlier one does not.
        const QString dep = QStringLiteral("fb");
        createClassifier(dep, 2);
        PredictionLog log(*m_conn);
        PredictionRow p;
        p.tsMicros = (kDay0 + 100) * 1000000;
        p.deployment = dep;
        p.requestKey = QStringLiteral("ride-1");
        p.path = PredictionPath::Ml;
        p.modelVersion = QStringLiteral("v1");
        p.predicted = 0.8;
        p.predictedClass = 1;
        p.probabilities = {0.2f, 0.8f};
        QVERIFY(log.appendPredictions({p}));
        FeedbackRow wrong;
        wrong.tsMicros = (kDay0 + 500) * 1000000;
        wrong.deployment = dep;
        wrong.requestKey = p.requestKey;
        wrong.positive = false;
        FeedbackRow unknown = wrong; // no prediction of this key: no label
        unknown.requestKey = QStringLiteral("ride-404");
        QVERIFY(log.appendFeedback({wrong, unknown}));
        QCOMPARE(test::queryValue(*m_conn, QStringLiteral("SELECT string_agg(actual::text || '@' || "
                                                          "extract(epoch FROM observed_at)::bigint, ',') FROM "
                                                          "mldeck.outcomes WHERE deployment = 'fb'")),
                 QStringLiteral("0@%1").arg(kDay0 + 500));
        stats::ClassificationSums s = readSums(dep, KpiStore::Level::Minute);
        QCOMPARE(s.confusion, (std::vector<qint64>{0, 1, 0, 0})); // actual 0, served 1
        QVERIFY(std::abs(s.sumLogLoss - (-std::log(double(0.2f)))) < 1e-12);
        QVERIFY(std::abs(s.sumBrier - double(0.8f) * double(0.8f)) < 1e-12);

        OutcomeRow older{(kDay0 + 400) * 1000000, dep, p.requestKey, 1};
        QVERIFY(log.appendOutcomes({older}));
        QCOMPARE(readSums(dep, KpiStore::Level::Minute).confusion, (std::vector<qint64>{0, 1, 0, 0}));
        OutcomeRow newer{(kDay0 + 900) * 1000000, dep, p.requestKey, 1};
        QVERIFY(log.appendOutcomes({newer}));
        s = readSums(dep, KpiStore::Level::Hour);
        QCOMPARE(s.confusion, (std::vector<qint64>{0, 0, 0, 1}));
        QCOMPARE(s.calibrationPositive[8], qint64(1));
        checkExact();
    }

    void concurrentWritersAreExact()
    {
        // Four connections write predictions and outcomes of the SAME request keys of a binary and a
        // multi-class deployment in parallel; one of them writes in REPEATABLE READ, whose outcomes
        // wait for applyPendingOutcomes.
        const QList<ClassDeployment> deps{{QStringLiteral("cbin"), 2, 0.5}, {QStringLiteral("cmulti"), 3, 1}};
        for (const ClassDeployment &d : deps)
            createClassifier(d.name, d.classes);
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        const PgEndpoint endpoint = m_db->endpoint();
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([t, deps, endpoint, &failures] {
                auto opened = PgConnection::open(endpoint, QStringLiteral("test_class_aggregates"));
                if (!opened) { // no test macros off the test thread
                    ++failures;
                    return;
                }
                const auto &conn = opened.value();
                PredictionLog log(*conn);
                Generator g(200 + quint64(t));
                if (t == 3)
                    (void)test::exec(*conn, QStringLiteral("SET default_transaction_isolation = 'repeatable read'"));
                for (int round = 0; round < 20; ++round) {
                    const ClassDeployment &d = deps.at(round % 2);
                    std::vector<PredictionRow> preds;
                    std::vector<OutcomeRow> outs;
                    for (int i = 0; i < 80; ++i) {
                        const int k = int(g.rng() % 1000);
                        const QString key = QStringLiteral("c-%1").arg(k);
                        if (t % 2 == 0 && g.rng() % 3 != 0 && k % 4 == t)
                            preds.push_back(g.prediction(d.name, key, kDay0 + k * 60, d.classes, d.vectorShare));
                        else
                            outs.push_back(g.outcome(d.name, key, kDay0 + k * 60 + qint64(g.rng() % 5000), d.classes));
                    }
                    if (!log.appendPredictions(preds) || !log.appendOutcomes(outs))
                        ++failures;
                }
            });
        }
        for (auto &th : threads)
            th.join();
        QCOMPARE(failures.load(), 0);
        KpiStore store(*m_conn);
        const auto applied = store.applyPendingOutcomes();
        QVERIFY2(applied, qPrintable(applied.errorMessage()));
        QVERIFY(applied.value() > 0);
        checkExact();
    }

    void referenceRowsForCalibration()
    {
        // The labelled rows calibration is fitted on: the score as the fold computes it, the outcome
        // 0/1, in time order; the default reference is the first N logged predictions.
        const QString dep = QStringLiteral("calib");
        createClassifier(dep, 3);
        PredictionLog log(*m_conn);
        std::vector<PredictionRow> preds;
        std::vector<OutcomeRow> outs;
        std::vector<double> score;
        std::vector<int> outcome;
        for (int i = 0; i < 300; ++i) {
            PredictionRow p;
            p.tsMicros = (kDay0 + 10 * i) * 1000000;
            p.deployment = dep;
            p.requestKey = QStringLiteral("k%1").arg(i);
            p.path = i % 5 == 0 ? PredictionPath::Heuristic : PredictionPath::Ml;
            p.modelVersion = p.path == PredictionPath::Ml ? QStringLiteral("v1") : QString();
            const float top = 0.4f + 0.5f * float(i % 7) / 7;
            p.probabilities = {top, (1 - top) / 2, (1 - top) / 2};
            std::rotate(p.probabilities.begin(), p.probabilities.begin() + i % 3, p.probabilities.end());
            p.predictedClass = (3 - i % 3) % 3;
            if (i % 11 == 0) // no vector: the logged probability is the score
                p.probabilities.clear();
            p.predicted = double(top);
            preds.push_back(p);
            if (i % 4 == 3)
                continue; // unlabelled
            const int actual = i % 3 == 0 ? *p.predictedClass : (*p.predictedClass + 1) % 3;
            outs.push_back(OutcomeRow{(kDay0 + 10 * i + 5) * 1000000, dep, p.requestKey, double(actual)});
            if (i < 150 && p.path == PredictionPath::Ml) {
                score.push_back(double(top));
                outcome.push_back(actual == *p.predictedClass ? 1 : 0);
            }
        }
        QVERIFY(log.appendPredictions(preds));
        QVERIFY(log.appendOutcomes(outs));
        ClassificationStore store(*m_conn);
        const auto first = store.firstLabelledRows(dep, 150, QStringLiteral("ml"));
        QVERIFY2(first, qPrintable(first.errorMessage()));
        QCOMPARE(first->score, score);
        QCOMPARE(first->outcome, outcome);
        const auto period = store.labelledRows(dep, kDay0 * 1000000, (kDay0 + 1500) * 1000000, QStringLiteral("ml"));
        QVERIFY(period);
        QCOMPARE(period->score, score);
        const auto all = store.labelledRows(dep, kDay0 * 1000000, (kDay0 + 3000) * 1000000);
        QVERIFY(all);
        QCOMPARE(qsizetype(all->score.size()), qsizetype(outs.size()));
        // The default reference of a new deployment: first_rows:5000, ML path.
        const auto reference = store.referenceRows(dep, (kDay0 + 86400) * 1000000);
        QVERIFY2(reference, qPrintable(reference.errorMessage()));
        QVERIFY2(reference->description.contains(QStringLiteral("5000")), qPrintable(reference->description));
        QVERIFY(reference->score.size() > score.size());
        NewDeployment plain;
        plain.name = QStringLiteral("plain");
        QVERIFY(DeploymentStore(*m_conn).create(plain, kActor));
        QVERIFY(!store.referenceRows(plain.name, kDay0 * 1000000));                // not a classifier
        QVERIFY(!store.referenceRows(QStringLiteral("nowhere"), kDay0 * 1000000)); // unknown
    }

    void regressionDeploymentWritesNoClassRow()
    {
        PredictionLog log(*m_conn);
        std::vector<PredictionRow> rows;
        for (int i = 0; i < 50; ++i) {
            PredictionRow r;
            r.tsMicros = (kDay0 + i) * 1000000;
            r.deployment = QStringLiteral("eta");
            r.requestKey = QStringLiteral("r-%1").arg(i);
            r.path = PredictionPath::Ml;
            r.predicted = 12.5;
            rows.push_back(r);
        }
        QVERIFY(log.appendPredictions(rows));
        QVERIFY(
            log.appendOutcomes({OutcomeRow{(kDay0 + 90) * 1000000, QStringLiteral("eta"), QStringLiteral("r-1"), 1}}));
        QCOMPARE(
            scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.kpi_class_minute WHERE deployment = 'eta'")),
            0);
        KpiStore store(*m_conn);
        const auto read = store.read(QStringLiteral("eta"), kDay0, kDay0 + 3600, KpiStore::Level::Minute);
        QVERIFY(read);
        QCOMPARE(read->buckets.size(), 1);
        QCOMPARE(read->buckets.first().sums.count, qint64(50));
        QCOMPARE(read->buckets.first().sums.classification.classes, 0);
    }

    void incrementalReadReturnsTheChangedBucketWhole()
    {
        // A late label changes only the classification sums' bucket: the incremental read returns it
        // with both its rows.
        KpiStore store(*m_conn);
        const QString dep = QStringLiteral("fb");
        const auto first = store.read(dep, kDay0 - 3600, kDay0 + 3600, KpiStore::Level::Minute);
        QVERIFY(first);
        QCOMPARE(first->buckets.size(), 1);
        PredictionLog log(*m_conn);
        QVERIFY(log.appendOutcomes({OutcomeRow{(kDay0 + 2000) * 1000000, dep, QStringLiteral("ride-1"), 0}}));
        const auto next = store.read(dep, kDay0 - 3600, kDay0 + 3600, KpiStore::Level::Minute, first->nextSinceXid);
        QVERIFY(next);
        QCOMPARE(next->buckets.size(), 1);
        QCOMPARE(next->buckets.first().sums.count, qint64(1));
        QCOMPARE(next->buckets.first().sums.classification.confusion, (std::vector<qint64>{0, 1, 0, 0}));
        // Nothing new since: the watermark is the snapshot's xmin, which a transaction still open anywhere in
        // the cluster (another test's) holds back, so the bucket may come back again, but unchanged.
        const auto again = store.read(dep, kDay0 - 3600, kDay0 + 3600, KpiStore::Level::Minute, next->nextSinceXid);
        QVERIFY(again);
        QVERIFY(again->buckets.size() <= 1);
        for (const KpiBucket &b : again->buckets)
            QVERIFY(b.sums == next->buckets.first().sums);
    }

    void badInputChangesNothing()
    {
        PredictionLog log(*m_conn);
        const qint64 before = scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions"));
        PredictionRow ok;
        ok.tsMicros = kDay0 * 1000000;
        ok.deployment = QStringLiteral("multi");
        ok.requestKey = QStringLiteral("bad-1");
        ok.predicted = 0.5;
        ok.predictedClass = 1;
        PredictionRow tooMany = ok;
        tooMany.requestKey = QStringLiteral("bad-2");
        tooMany.probabilities.assign(21, 1.0f / 21);
        const Status refused = log.appendPredictions({ok, tooMany});
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("21 probabilities")),
                 qPrintable(refused.errorMessage()));
        PredictionRow negative = ok;
        negative.predictedClass = -1;
        QVERIFY(!log.appendPredictions({negative}));
        QVERIFY(!log.insertPredictionSingle(negative));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions")), before);
        // A class index beyond K is logged (the log takes what was served) but not counted.
        PredictionRow beyond = ok;
        beyond.predictedClass = 9;
        QVERIFY(log.insertPredictionSingle(beyond));
        checkExact();
    }

    void deploymentClassSpecRoundTrips()
    {
        DeploymentStore store(*m_conn);
        NewDeployment d;
        d.name = QStringLiteral("accept");
        d.task = QStringLiteral("classification");
        // A classifier needs its classes; nothing is written without them.
        const auto missing = store.create(d, kActor);
        QVERIFY(!missing);
        QVERIFY(!store.show(d.name));
        d.classSpec.classes = QStringList{QStringLiteral("declined"), QStringLiteral("accepted")};
        d.classSpec.decisionThreshold = 1.5;
        QVERIFY(!store.create(d, kActor));
        d.classSpec.decisionThreshold = 0.35;
        const auto created = store.create(d, kActor);
        QVERIFY2(created, qPrintable(created.errorMessage()));
        QCOMPARE(created->classSpec.classes, d.classSpec.classes);
        QCOMPARE(created->classSpec.decisionThreshold, 0.35);
        QCOMPARE(created->toJson().value(QStringLiteral("decision_threshold")).toDouble(), 0.35);
        QCOMPARE(
            test::queryValue(*m_conn, QStringLiteral("SELECT after->>'decision_threshold' FROM mldeck.audit_log "
                                                     "WHERE action = 'deployment.create' AND deployment = 'accept'")),
            QStringLiteral("0.35"));

        DeploymentEdit edit;
        edit.decisionThreshold = 0.6;
        QVERIFY(store.set(d.name, edit, kActor));
        QCOMPARE(store.show(d.name)->classSpec.decisionThreshold, 0.6);
        QCOMPARE(test::queryValue(*m_conn, QStringLiteral("SELECT before->>'decision_threshold' || ' ' || "
                                                          "(after->>'decision_threshold') FROM mldeck.audit_log WHERE "
                                                          "action = 'deployment.set' AND deployment = 'accept'")),
                 QStringLiteral("0.35 0.6"));
        edit.decisionThreshold = 0;
        QVERIFY(!store.set(d.name, edit, kActor));
        // A threshold is for a binary classifier only; classes are for a classifier only.
        edit.decisionThreshold = 0.4;
        QVERIFY(!store.set(QStringLiteral("multi"), edit, kActor));
        QCOMPARE(store.show(QStringLiteral("multi"))->classSpec.decisionThreshold, 0.5);
        NewDeployment r;
        r.name = QStringLiteral("reg");
        r.classSpec.classes = QStringList{QStringLiteral("a"), QStringLiteral("b")};
        QVERIFY(!store.create(r, kActor));
        QVERIFY(!store.show(r.name));
        NewDeployment huge = d;
        huge.name = QStringLiteral("huge");
        huge.classSpec.classes.clear();
        for (int k = 0; k < 101; ++k)
            huge.classSpec.classes << QStringLiteral("k%1").arg(k);
        QVERIFY(!store.create(huge, kActor));
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }
};

QTEST_GUILESS_MAIN(TestClassAggregates)
#include "test_class_aggregates.moc"
