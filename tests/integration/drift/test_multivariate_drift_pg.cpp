#include "core/domain/DriftScore.h"
#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/CorrelatedPairs.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QJsonObject>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// The multivariate line through the drift check on real PostgreSQL: two features whose correlation flips
// (a 90° rotation: every marginal stays N(0, 1)) make it fire after K windows, with no univariate drift;
// it is recorded in drift_scores with its band, and K clean windows resolve its alert.
class TestMultivariateDriftPg final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    QString m_dep;
    // Whole seconds: the reference period is written to the settings to the second.
    QDateTime m_t0 = QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch() - 3600, Qt::UTC);

    std::unique_ptr<PgConnection> open()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        if (!conn) {
            MLDECK_FAIL_IN_HELPER(conn.errorMessage());
            return nullptr;
        }
        return std::move(conn).value();
    }

    // `rows` rows evenly over [from, from + seconds): see correlatedPairsSql.
    void log(PgConnection &conn, const QDateTime &from, int rows, int seconds, bool rotated, quint64 seed)
    {
        const Status s = test::exec(conn, correlatedPairsSql(m_dep, from, rows, seconds, rotated, seed));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    Result<DriftCheckReport> check(const QDateTime &now)
    {
        auto conn = open();
        DriftCheckRequest r;
        r.deployment = m_dep;
        r.persist = true;
        r.now = now;
        r.actor = AlertActor{QStringLiteral("guard@test"), QStringLiteral("test")};
        return runDriftCheck(*conn, r);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("mvdrift"));
        auto conn = open();
        QVERIFY(conn);
        QVERIFY(Migrator::migrate(*conn).ok());
        m_dep = uniqueName(QStringLiteral("mvdrift"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back({QStringLiteral("y"), FeatureSpec::Kind::Numeric, {}});
        QCOMPARE(DeploymentStore(*conn).ensure(m_dep, {}, schema).value(), 1);
        // Reference: 5,000 rows over 10 minutes; windows of 60 s with 500 rows: 10 reference chunks.
        QVERIFY(DriftData(*conn)
                    .setDriftSettings(m_dep,
                                      {{QStringLiteral("window"), QStringLiteral("60s")},
                                       {QStringLiteral("k"), 2},
                                       {QStringLiteral("min_samples"), 100},
                                       {QStringLiteral("reference"),
                                        QStringLiteral("period:%1/%2")
                                            .arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(600).toString(Qt::ISODate))}})
                    .ok());
        log(*conn, m_t0, 5000, 600, false, 1);
        for (int w = 0; w < 4; ++w)
            log(*conn, m_t0.addSecs(600 + 60 * w), 500, 60, w < 2, quint64(2 + w));
    }

    void rotationFiresOnlyTheMultivariateLine()
    {
        for (int w = 0; w < 2; ++w) {
            auto report = check(m_t0.addSecs(660 + 60 * w));
            QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
            QVERIFY(report->multivariate);
            const drift::MultivariateDrift &m = *report->multivariate;
            QVERIFY2(m.enoughSamples, qPrintable(m.problem));
            QCOMPARE(m.referenceChunks, 10);
            QCOMPARE(m.currentRows, qint64(500));
            QVERIFY(m.drift);
            QVERIFY(m.value > m.upper);
            QCOMPARE(report->result.drifted, 0); // no univariate test sees it
            for (const auto &f : report->result.features)
                QVERIFY2(!f.drift,
                         qPrintable(QStringLiteral("%1: %2 %3").arg(f.name, drift::testKey(f.test)).arg(f.statistic)));
            qInfo("window %d: mean reconstruction error %.3f, band %.3f to %.3f", w, m.value, m.lower, m.upper);
            if (w == 0)
                QVERIFY(report->fired.isEmpty()); // K = 2
            else
                QCOMPARE(report->fired, QStringList{kDriftMultivariateFeature});
        }
        auto conn = open();
        QVERIFY(conn);
        const auto row = test::query(*conn,
                                     QStringLiteral("SELECT test, drift, band_low < band_high, components, "
                                                    "variance_share, score > band_high FROM mldeck.drift_scores "
                                                    "WHERE deployment = $1 AND feature = $2 ORDER BY window_end DESC "
                                                    "LIMIT 1"),
                                     {m_dep, kDriftMultivariateFeature});
        QVERIFY2(row.ok(), qPrintable(row.errorMessage()));
        QCOMPARE(row->first(), (QStringList{QStringLiteral("pca"), QStringLiteral("t"), QStringLiteral("t"),
                                            QStringLiteral("1"), QStringLiteral("0.65"), QStringLiteral("t")}));
        const auto alert = test::query(*conn,
                                       QStringLiteral("SELECT title FROM mldeck.alerts WHERE deployment = $1 AND "
                                                      "kind = 'drift' AND resolved_at IS NULL"),
                                       {m_dep});
        QVERIFY(alert.ok());
        QCOMPARE(alert->size(), 1);
        QVERIFY2(alert->first().first().contains(QStringLiteral("multivariate (PCA, 1 component, 65 %)")),
                 qPrintable(alert->first().first()));
        // The history the drift page draws carries the band.
        const auto history = DriftData(*conn).scoreHistory(m_dep);
        QVERIFY(history.ok());
        int banded = 0;
        for (const DriftScorePoint &p : *history)
            if (p.feature == kDriftMultivariateFeature && p.bandLow && p.bandHigh && p.components == 1)
                ++banded;
        QCOMPARE(banded, 2);
    }

    void cleanWindowsResolve()
    {
        auto third = check(m_t0.addSecs(780));
        QVERIFY2(third.ok(), qPrintable(third.errorMessage()));
        QVERIFY(!third->multivariate->drift);
        QVERIFY(third->resolved.isEmpty());
        auto fourth = check(m_t0.addSecs(840));
        QVERIFY2(fourth.ok(), qPrintable(fourth.errorMessage()));
        QVERIFY(!fourth->multivariate->drift);
        QCOMPARE(fourth->resolved, QStringList{kDriftMultivariateFeature});
    }

    // Turned off while its alert fires: the alert resolves at the next check, not never.
    void turnedOffWhileFiringResolves()
    {
        auto conn = open();
        QVERIFY(conn);
        for (int w = 4; w < 6; ++w)
            log(*conn, m_t0.addSecs(600 + 60 * w), 500, 60, true, quint64(2 + w));
        for (int w = 4; w < 6; ++w) {
            auto report = check(m_t0.addSecs(660 + 60 * w));
            QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
            QVERIFY(report->multivariate && report->multivariate->drift);
        }
        const QString openAlerts = QStringLiteral("SELECT count(*) FROM mldeck.alerts WHERE deployment = $1 AND "
                                                  "dedup_key = 'drift:__multivariate__' AND resolved_at IS NULL");
        QCOMPARE(test::queryValue(*conn, openAlerts, {m_dep}), QStringLiteral("1"));

        QVERIFY(DriftData(*conn)
                    .setDriftSettings(m_dep,
                                      {{QStringLiteral("window"), QStringLiteral("60s")},
                                       {QStringLiteral("k"), 2},
                                       {QStringLiteral("multivariate"), false},
                                       {QStringLiteral("reference"),
                                        QStringLiteral("period:%1/%2")
                                            .arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(600).toString(Qt::ISODate))}})
                    .ok());
        auto off = check(m_t0.addSecs(1080));
        QVERIFY2(off.ok(), qPrintable(off.errorMessage()));
        QVERIFY(!off->multivariate);
        QCOMPARE(off->resolved, QStringList{kDriftMultivariateFeature});
        QCOMPARE(test::queryValue(*conn, openAlerts, {m_dep}), QStringLiteral("0"));
        QCOMPARE(test::queryValue(*conn,
                                  QStringLiteral("SELECT firing FROM mldeck.drift_state WHERE deployment = $1 AND "
                                                 "feature = '__multivariate__'"),
                                  {m_dep}),
                 QStringLiteral("f"));
        // Nothing left to resolve: the next check reports nothing.
        auto again = check(m_t0.addSecs(1140));
        QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
        QVERIFY(again->resolved.isEmpty());
    }

    void turnedOffBySettings()
    {
        auto conn = open();
        QVERIFY(conn);
        QVERIFY(DriftData(*conn)
                    .setDriftSettings(m_dep, {{QStringLiteral("window"), QStringLiteral("60s")},
                                              {QStringLiteral("multivariate"), false}})
                    .ok());
        DriftCheckRequest r;
        r.deployment = m_dep;
        r.now = m_t0.addSecs(660);
        r.reference =
            QStringLiteral("period:%1/%2").arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(600).toString(Qt::ISODate));
        auto report = runDriftCheck(*conn, r);
        QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
        QVERIFY(!report->multivariate);
        // A bad value is refused and names the key.
        const Status bad = DriftData(*conn).setDriftSettings(m_dep, {{QStringLiteral("pca_variance"), 1.5}});
        QVERIFY(!bad.ok());
        QVERIFY2(bad.errorMessage().contains(QStringLiteral("pca_variance")), qPrintable(bad.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestMultivariateDriftPg)
#include "test_multivariate_drift_pg.moc"
