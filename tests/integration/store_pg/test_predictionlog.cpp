// PredictionLog and DeploymentStore against a real PostgreSQL: COPY round trips with hostile
// text, NULLs and arrays; outcomes and feedback; partition routing; all-or-nothing batches.
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PgText.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <memory>
#include <random>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString scalar(PgConnection &conn, const QString &sql, const QStringList &params = {})
{
    const auto r = test::query(conn, sql, params);
    if (!r.ok() || r->isEmpty())
        return QStringLiteral("<error: %1>").arg(r.errorMessage());
    return r->first().first();
}

const QStringList kHostile{
    QStringLiteral("plain"),
    QStringLiteral("with \"quotes\""),
    QStringLiteral("comma,separated"),
    QStringLiteral("back\\slash\\"),
    QStringLiteral("tab\there"),
    QStringLiteral("new\nline\r\n"),
    QStringLiteral("{braces}"),
    QStringLiteral("NULL"),
    QStringLiteral("  spaced  "),
    QStringLiteral("\\N"),
    QStringLiteral("unicode \u00e9\u00e8 \u4e2d\u6587 🚀"),
    QStringLiteral("'single' ; DROP TABLE x; --"),
};

bool sameFloat(float a, float b)
{
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

qint64 nowMicros()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000;
}

} // namespace

class TestPredictionLog : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void init()
    {
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("plog"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test_predictionlog"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_conn = std::move(c).value();
        const auto m = Migrator::migrate(*m_conn);
        QVERIFY2(m.ok(), qPrintable(m.errorMessage()));
    }

    void cleanup()
    {
        m_conn.reset();
        m_db.reset();
    }

    void arrayTextFormat()
    {
        QCOMPARE(pgtext::realArray({1.5f, -2.f, std::nanf(""), INFINITY}), std::string("{1.5,-2,NaN,Infinity}"));
        QCOMPARE(pgtext::textArray({QStringLiteral("a\"b"), QString(), QStringLiteral("c\\d"), QStringLiteral("")}),
                 std::string("{\"a\\\"b\",NULL,\"c\\\\d\",\"\"}"));
        QCOMPARE(pgtext::timestamp(0), std::string("1970-01-01 00:00:00.000000+00"));
        QCOMPARE(pgtext::timestamp(-1), std::string("1969-12-31 23:59:59.999999+00"));
        QCOMPARE(pgtext::timestamp(951782400123456LL), std::string("2000-02-29 00:00:00.123456+00"));
        const auto parsed = pgtext::parseTextArray(QStringLiteral("{a,\"b,c\",NULL,\"NULL\",\"\"}"));
        QVERIFY(parsed.ok());
        QCOMPARE(parsed->size(), 5);
        QCOMPARE(parsed->at(1), QStringLiteral("b,c"));
        QVERIFY(parsed->at(2).isNull());
        QCOMPARE(parsed->at(3), QStringLiteral("NULL"));
        QVERIFY(!parsed->at(4).isNull() && parsed->at(4).isEmpty());
        QVERIFY(!pgtext::parseTextArray(QStringLiteral("{\"open")).ok());
        QVERIFY(!pgtext::parseTextArray(QStringLiteral("not an array")).ok());
    }

    void copyRoundTrip10k()
    {
        const QString deployment = uniqueName(QStringLiteral("eta"));
        std::mt19937 rng(42);
        std::uniform_real_distribution<float> uni(-1000.f, 1000.f);
        const qint64 base = nowMicros() - 3600LL * 1000000LL;
        const float specials[] = {std::nanf(""),
                                  INFINITY,
                                  -INFINITY,
                                  -0.f,
                                  std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::max(),
                                  1e-38f,
                                  0.1f};
        std::vector<PredictionRow> rows;
        constexpr int kRows = 10000;
        for (int i = 0; i < kRows; ++i) {
            PredictionRow r;
            r.tsMicros = base + qint64(i) * 1000 + (i % 997); // microsecond precision kept
            if (i % 1000 == 1)
                r.tsMicros = 32503680000000000LL + i; // year 3000: default partition
            if (i % 1000 == 2)
                r.tsMicros = 631152000000000LL + i; // 1990: default partition
            r.deployment = deployment;
            r.requestKey = QString::number(i) + QLatin1Char('|') + kHostile.at(i % kHostile.size());
            r.path = PredictionPath(i % 3);
            r.modelVersion = r.path == PredictionPath::Heuristic ? QString() : QStringLiteral("v1.%1").arg(i % 4);
            r.failed = i % 7 == 0;
            if (!r.failed)
                r.predicted = std::ldexp(double(uni(rng)), i % 20 - 10) + 1e-9 * i;
            r.error = r.failed ? QStringLiteral("model raised: ") + kHostile.at((i + 3) % kHostile.size()) : QString();
            r.latencyMs = std::abs(uni(rng)) / 10.f;
            r.featureSchema = 1 + i % 2;
            for (int f = 0; f < 8; ++f)
                r.features.numeric.push_back(f == 7 ? specials[i % 8] : uni(rng));
            r.features.categorical = {kHostile.at(i % kHostile.size()), kHostile.at((i * 7) % kHostile.size()),
                                      i % 11 == 0 ? QString() : QStringLiteral("car"), QStringLiteral("")};
            if (i % 500 == 0)
                r.features = FeatureRow{}; // empty arrays
            rows.push_back(std::move(r));
        }

        PredictionLog log(*m_conn);
        for (size_t start = 0; start < rows.size(); start += 1000) {
            std::vector<PredictionRow> batch(rows.begin() + qsizetype(start), rows.begin() + qsizetype(start + 1000));
            const Status st = log.appendPredictions(batch);
            QVERIFY2(st.ok(), qPrintable(st.errorMessage()));
        }

        const auto read = test::query(
            *m_conn,
            QStringLiteral(
                "SELECT (extract(epoch FROM ts) * 1000000)::bigint, predicted, latency_ms, feature_schema, failed, "
                "path, deployment, request_key, model_version, error, numeric, categorical "
                "FROM mldeck.predictions WHERE deployment = $1"),
            {deployment});
        QVERIFY2(read.ok(), qPrintable(read.errorMessage()));
        QCOMPARE(read->size(), kRows);
        QHash<QString, const PredictionRow *> byKey;
        for (const auto &r : rows)
            byKey.insert(r.requestKey, &r);
        int nullPredicted = 0;
        for (const QStringList &c : *read) {
            const PredictionRow *want = byKey.value(c.at(7));
            QVERIFY2(want, qPrintable(QStringLiteral("unexpected request key %1").arg(c.at(7))));
            QCOMPARE(c.at(0).toLongLong(), want->tsMicros);
            if (want->predicted) {
                QCOMPARE(c.at(1).toDouble(), *want->predicted);
            } else {
                QVERIFY(c.at(1).isNull());
                ++nullPredicted;
            }
            QCOMPARE(c.at(2).toFloat(), want->latencyMs);
            QCOMPARE(c.at(3).toInt(), want->featureSchema);
            QCOMPARE(c.at(4) == QLatin1String("t"), want->failed);
            QCOMPARE(c.at(5), pathName(want->path));
            QCOMPARE(c.at(6), deployment);
            QCOMPARE(c.at(8), want->modelVersion);
            QCOMPARE(c.at(9), want->error);
            const auto numeric = pgtext::parseRealArray(c.at(10));
            QVERIFY2(numeric.ok(), qPrintable(numeric.errorMessage()));
            QCOMPARE(numeric->size(), want->features.numeric.size());
            for (size_t k = 0; k < numeric->size(); ++k)
                QVERIFY2(sameFloat((*numeric)[k], want->features.numeric[k]), qPrintable(c.at(10)));
            const auto categorical = pgtext::parseTextArray(c.at(11));
            QVERIFY2(categorical.ok(), qPrintable(categorical.errorMessage()));
            QCOMPARE(*categorical, want->features.categorical);
            for (qsizetype k = 0; k < categorical->size(); ++k)
                QCOMPARE(categorical->at(k).isNull(), want->features.categorical.at(k).isNull());
        }
        QCOMPARE(nullPredicted, (kRows + 6) / 7);

        // Far past / far future rows are kept, in the default partition; the others in daily ones.
        QCOMPARE(scalar(*m_conn,
                        QStringLiteral("SELECT count(*) FROM mldeck.predictions_default WHERE deployment = $1"),
                        {deployment}),
                 QStringLiteral("20"));
        QCOMPARE(scalar(*m_conn,
                        QStringLiteral("SELECT count(DISTINCT tableoid) FROM mldeck.predictions WHERE deployment = $1 "
                                       "AND ts > now() - interval '2 days'"),
                        {deployment})
                         .toInt() >= 1,
                 true);
        QCOMPARE(scalar(*m_conn,
                        QStringLiteral(
                            "SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND "
                            "tableoid = 'mldeck.predictions_default'::regclass AND ts > now() - interval '2 days' "
                            "AND ts < now() + interval '2 days'"),
                        {deployment}),
                 QStringLiteral("0"));
    }

    void singleRowInsertMatchesCopy()
    {
        PredictionRow r;
        r.tsMicros = nowMicros();
        r.deployment = QStringLiteral("eta");
        r.requestKey = kHostile.at(5);
        r.path = PredictionPath::Fallback;
        r.predicted = 12.25;
        r.latencyMs = 3.5f;
        r.features.numeric = {1.f, std::nanf("")};
        r.features.categorical = {kHostile.at(1), QString()};
        PredictionLog log(*m_conn);
        QVERIFY(log.insertPredictionSingle(r).ok());
        QVERIFY(log.appendPredictions({r}).ok());
        const auto read = test::query(
            *m_conn, QStringLiteral("SELECT count(DISTINCT (ts, predicted, path, request_key, numeric::text, "
                                    "categorical)), count(*) FROM mldeck.predictions"));
        QVERIFY(read.ok());
        QCOMPARE(read->first(), (QStringList{QStringLiteral("1"), QStringLiteral("2")}));
    }

    void badBatchLogsNothing()
    {
        PredictionLog log(*m_conn);
        std::vector<PredictionRow> rows(3);
        for (auto &r : rows) {
            r.tsMicros = nowMicros();
            r.deployment = QStringLiteral("eta");
            r.requestKey = QStringLiteral("k");
        }
        rows[2].requestKey.clear();
        const Status st = log.appendPredictions(rows);
        QVERIFY(!st.ok());
        QVERIFY2(st.errorMessage().contains(QStringLiteral("request key")), qPrintable(st.errorMessage()));

        // A row the server refuses mid-COPY: the whole batch is rolled back, the connection lives on.
        std::vector<FeedbackRow> feedback(3);
        for (int i = 0; i < 3; ++i) {
            feedback[size_t(i)].tsMicros = nowMicros();
            feedback[size_t(i)].deployment = QStringLiteral("eta");
            feedback[size_t(i)].requestKey = QStringLiteral("k%1").arg(i);
            feedback[size_t(i)].userPseudonym = QStringLiteral("u%1").arg(i);
        }
        feedback[1].userPseudonym = QStringLiteral("alice@example.com"); // not pseudonymised: refused
        const Status fb = log.appendFeedback(feedback);
        QVERIFY(!fb.ok());
        QVERIFY2(fb.errorMessage().contains(QStringLiteral("nothing of this batch")), qPrintable(fb.errorMessage()));
        QVERIFY(m_conn->ping().ok());
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.feedback")), QStringLiteral("0"));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions")), QStringLiteral("0"));
        QVERIFY(log.appendPredictions({}).ok()); // an empty batch is a no-op
    }

    void outcomesAndFeedbackAppended()
    {
        PredictionLog log(*m_conn);
        const qint64 t0 = nowMicros();
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < 100; ++i)
            outcomes.push_back(
                OutcomeRow{t0 + i, QStringLiteral("eta"), QStringLiteral("ride-%1").arg(i % 50), double(i) + 0.5});
        QVERIFY(log.appendOutcomes(outcomes).ok());
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.outcomes")), QStringLiteral("100"));
        // Latest observation wins; earlier ones stay (history is never rewritten).
        QCOMPARE(
            scalar(*m_conn, QStringLiteral("SELECT actual FROM mldeck.latest_outcomes WHERE request_key = 'ride-7'")),
            QStringLiteral("57.5"));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.latest_outcomes")), QStringLiteral("50"));
        QVERIFY(!test::exec(*m_conn, QStringLiteral("UPDATE mldeck.outcomes SET actual = 0")).ok());

        std::vector<FeedbackRow> feedback{
            FeedbackRow{t0, QStringLiteral("eta"), QStringLiteral("ride-1"), true, kHostile.at(5),
                        QStringLiteral("u-9f2c"), QString()},
            FeedbackRow{t0 + 1, QStringLiteral("eta"), QStringLiteral("ride-2"), false, QString(), QString(),
                        QString()},
        };
        QVERIFY(log.appendFeedback(feedback).ok());
        const auto read = test::query(
            *m_conn, QStringLiteral("SELECT positive, comment, user_pseudonym FROM mldeck.feedback ORDER BY ts"));
        QVERIFY(read.ok());
        QCOMPARE(read->size(), 2);
        QCOMPARE(read->at(0), (QStringList{QStringLiteral("t"), kHostile.at(5), QStringLiteral("u-9f2c")}));
        QCOMPARE(read->at(1).at(0), QStringLiteral("f"));
        QVERIFY(read->at(1).at(1).isNull());
    }

    void ensurePartitionsMovesRowsOutOfDefault()
    {
        PredictionLog log(*m_conn);
        const QDate day = QDate::currentDate().addDays(30);
        const qint64 dayStart = QDateTime(day, QTime(0, 0), Qt::UTC).toMSecsSinceEpoch() * 1000;
        std::vector<PredictionRow> rows(5);
        for (int i = 0; i < 5; ++i) {
            rows[size_t(i)].tsMicros = dayStart + i * 3600LL * 1000000LL;
            rows[size_t(i)].deployment = QStringLiteral("eta");
            rows[size_t(i)].requestKey = QStringLiteral("late-%1").arg(i);
        }
        QVERIFY(log.appendPredictions(rows).ok());
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions_default")),
                 QStringLiteral("5"));
        const auto created = log.ensurePartitions(day, day.addDays(1));
        QVERIFY2(created.ok(), qPrintable(created.errorMessage()));
        QCOMPARE(*created, 2);
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions_default")),
                 QStringLiteral("0"));
        const QString part = QStringLiteral("mldeck.predictions_") + day.toString(QStringLiteral("yyyyMMdd"));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM ") + part), QStringLiteral("5"));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions")), QStringLiteral("5"));
        // Idempotent, and bad ranges are refused.
        QCOMPARE(*log.ensurePartitions(day, day.addDays(1)), 0);
        QVERIFY(!log.ensurePartitions(day, day.addDays(-1)).ok());

        // Retention drops whole partitions.
        const auto dropped = test::query(*m_conn, QStringLiteral("SELECT mldeck.drop_prediction_partitions($1::date)"),
                                         {day.addDays(1).toString(Qt::ISODate)});
        QVERIFY2(dropped.ok(), qPrintable(dropped.errorMessage()));
        QVERIFY(dropped->size() >= 9);
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions")), QStringLiteral("0"));
    }

    void deploymentStoreEnsure()
    {
        DeploymentStore store(*m_conn);
        FeatureSchema schema;
        schema.features = {FeatureSpec{QStringLiteral("distance_km"), FeatureSpec::Kind::Numeric, {}},
                           FeatureSpec{QStringLiteral("vehicle_type"),
                                       FeatureSpec::Kind::Categorical,
                                       {QStringLiteral("car"), QStringLiteral("van")}}};
        const auto id1 = store.ensure(QStringLiteral("eta"), QStringLiteral("ride delay"), schema);
        QVERIFY2(id1.ok(), qPrintable(id1.errorMessage()));
        QCOMPARE(*id1, 1);
        QCOMPARE(*store.ensure(QStringLiteral("eta"), QStringLiteral("ride delay"), schema), 1); // same schema reused
        schema.features.push_back(FeatureSpec{QStringLiteral("rain_mm"), FeatureSpec::Kind::Numeric, {}});
        QCOMPARE(*store.ensure(QStringLiteral("eta"), QString(), schema), 2);
        QCOMPARE(*store.ensure(QStringLiteral("pickup"), QString(), schema), 1);
        const auto names = store.names();
        QVERIFY(names.ok());
        QCOMPARE(*names, (QStringList{QStringLiteral("eta"), QStringLiteral("pickup")}));
        const auto back = store.featureSchema(QStringLiteral("eta"), 2);
        QVERIFY(back.ok());
        QCOMPARE(back->categoricalNames(), QStringList{QStringLiteral("vehicle_type")});
        QCOMPARE(back->numericNames(), (QStringList{QStringLiteral("distance_km"), QStringLiteral("rain_mm")}));

        const auto bad = store.ensure(QStringLiteral("bad name; drop"), QString(), schema);
        QVERIFY(!bad.ok());
        QVERIFY2(bad.errorMessage().contains(QStringLiteral("invalid deployment name")),
                 qPrintable(bad.errorMessage()));
        QCOMPARE(store.names()->size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestPredictionLog)
#include "test_predictionlog.moc"
