#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// A classifier's drift lines on real PostgreSQL: the predicted-class distribution (prior shift, chi-square)
// and the predicted probability drift when the share of "accepted" doubles; a classifier serving the
// same way is not flagged; a snapshot copied out of the log keeps the served class.
class TestClassificationDrift final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    // The reference hour, then the current window ten minutes long.
    const QDateTime m_t0 = QDateTime::currentDateTimeUtc().addSecs(-7200);
    const QDateTime m_now = QDateTime::currentDateTimeUtc().addSecs(-60);

    QString newClassifier()
    {
        const QString dep = uniqueName(QStringLiteral("clsdrift"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        if (auto id = DeploymentStore(*m_conn).ensure(dep, {}, schema); !id)
            MLDECK_FAIL_IN_HELPER(id.errorMessage());
        if (auto s = test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET task = 'classification', "
                                                        "classes = ARRAY['declined', 'accepted'] WHERE name = '%1'")
                                             .arg(dep));
            !s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
        return dep;
    }

    // n binary predictions from `from`, 100 ms apart (seeded): served "accepted" with probability
    // `acceptedShare`; the served class's probability ~ U(0.55, 0.95); x ~ U(0, 1).
    void log(const QString &dep, const QDateTime &from, int n, double acceptedShare, double seed)
    {
        const Status s = test::exec(
            *m_conn,
            QStringLiteral("SELECT setseed(%5);"
                           "INSERT INTO mldeck.predictions (ts, predicted, predicted_class, probabilities, path, "
                           "deployment, request_key, feature_schema, numeric) "
                           "SELECT '%1'::timestamptz + (i * 100) * interval '1 millisecond', q, c, "
                           "CASE WHEN c = 1 THEN ARRAY[1 - q, q] ELSE ARRAY[q, 1 - q] END::real[], 'ml', '%2', "
                           "'k' || i || '-' || extract(epoch FROM '%1'::timestamptz), 1, ARRAY[x]::real[] "
                           "FROM (SELECT i, (random() < %3)::int AS c, (0.55 + 0.4 * random())::real AS q, "
                           "random() AS x FROM generate_series(0, %4) AS i) r")
                .arg(from.toString(Qt::ISODateWithMs), dep)
                .arg(acceptedShare)
                .arg(n - 1)
                .arg(seed));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    Result<DriftCheckReport> check(const QString &dep, const QString &reference)
    {
        DriftCheckRequest r;
        r.deployment = dep;
        r.windowSeconds = 600;
        r.reference = reference;
        r.now = m_now;
        return runDriftCheck(*m_conn, r);
    }

    QString period() const
    {
        return QStringLiteral("period:%1/%2").arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(600).toString(Qt::ISODate));
    }

    static const drift::FeatureDrift *line(const DriftCheckReport &r, const QString &name)
    {
        for (const auto &f : r.result.features)
            if (f.name == name)
                return &f;
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("clsdrift"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
    }

    void priorShiftIsDetected()
    {
        const QString dep = newClassifier();
        log(dep, m_t0, 3000, 0.30, 0.11);
        log(dep, m_now.addSecs(-590), 3000, 0.60, 0.23); // twice as many served "accepted"
        const auto r = check(dep, period());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        const drift::FeatureDrift *cls = line(*r, kDriftPredictedClassFeature);
        QVERIFY(cls);
        QCOMPARE(cls->kind, drift::FeatureKind::Categorical);
        QCOMPARE(cls->test, drift::TestKind::ChiSquare);
        QCOMPARE(cls->referenceCount, 3000);
        QCOMPARE(cls->currentCount, 3000);
        QVERIFY(cls->drift);
        QVERIFY(cls->pValue && *cls->pValue < 1e-6);
        QVERIFY(cls->histogram.labels.contains(QStringLiteral("accepted")));
        QVERIFY(cls->histogram.labels.contains(QStringLiteral("declined")));
        // The predicted probability of "accepted" moves with it.
        const drift::FeatureDrift *score = line(*r, kDriftPredictionFeature);
        QVERIFY(score);
        QCOMPARE(score->kind, drift::FeatureKind::Numeric);
        QVERIFY(score->drift);
        // Neither counts towards the dataset verdict: x did not move.
        QCOMPARE(r->result.considered, 1);
        QVERIFY(!r->result.datasetDrift);
        QCOMPARE(driftFeatureLabel(kDriftPredictedClassFeature), QStringLiteral("predicted class"));
    }

    void stableClassifierIsNotFlagged()
    {
        const QString dep = newClassifier();
        log(dep, m_t0, 3000, 0.30, 0.31);
        log(dep, m_now.addSecs(-590), 3000, 0.30, 0.47);
        const auto r = check(dep, period());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        const drift::FeatureDrift *cls = line(*r, kDriftPredictedClassFeature);
        const drift::FeatureDrift *score = line(*r, kDriftPredictionFeature);
        QVERIFY(cls && score);
        QVERIFY(cls->enoughSamples);
        QVERIFY2(!cls->drift, qPrintable(QString::number(cls->pValue.value_or(-1))));
        QVERIFY(cls->pValue && *cls->pValue > 0.05);
        QVERIFY(!score->drift);
    }

    void snapshotKeepsTheServedClass()
    {
        const QString dep = newClassifier();
        log(dep, m_t0, 3000, 0.30, 0.51);
        log(dep, m_now.addSecs(-590), 3000, 0.60, 0.53);
        DriftData data(*m_conn);
        const auto schema = data.latestSchema(dep);
        QVERIFY(schema);
        const qint64 from = m_t0.toMSecsSinceEpoch() * 1000;
        const auto copied = data.createSnapshot(dep, QStringLiteral("base"), *schema, from, from + 600'000'000, 100000);
        QVERIFY2(copied, qPrintable(copied.errorMessage()));
        QCOMPARE(*copied, 3000);
        const auto r = check(dep, QStringLiteral("snapshot:base"));
        QVERIFY2(r, qPrintable(r.errorMessage()));
        const drift::FeatureDrift *cls = line(*r, kDriftPredictedClassFeature);
        QVERIFY(cls);
        QCOMPARE(cls->referenceCount, 3000);
        QVERIFY(cls->drift);
    }
};

QTEST_GUILESS_MAIN(TestClassificationDrift)
#include "test_classification_drift.moc"
