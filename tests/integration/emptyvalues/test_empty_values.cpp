// The read verbs of mldeckctl through the built binary on a deployment that has logged nothing, and on an
// empty window: every figure over nothing is null in --json and "no data" in the text, never 0, 1 or 100 %
// (retrain check, kpi, deps, the report's CSV).
#include "core/demo/RideDelayGenerator.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace mldeck;

class TestEmptyValues : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;

    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };
    Run ctl(QStringList args)
    {
        args << QStringLiteral("--deployment") << m_dep;
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
        // The texts checked below are the English ones.
        env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
        env.insert(QStringLiteral("LANGUAGE"), QStringLiteral("en"));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), args);
        if (!p.waitForFinished(60'000))
            return {};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
                p.readAllStandardError()};
    }
    static QJsonObject condition(const QJsonObject &check, const QString &key)
    {
        for (const QJsonValue &c : check.value(QStringLiteral("conditions")).toArray())
            if (c.toObject().value(QStringLiteral("key")).toString() == key)
                return c.toObject();
        return {};
    }
    // Every figure of `figures` (a kpi --json group) that has nothing to be computed from is null.
    static void verifyFiguresNull(const QJsonObject &figures)
    {
        QCOMPARE(figures.value(QStringLiteral("predictions")).toInteger(-1), 0);
        for (const char *key : {"mae", "rmse", "r2", "mape_percent", "latency_mean_ms", "latency_p50_ms",
                                "latency_p95_ms", "latency_p99_ms", "failure_rate", "fallback_share",
                                "anticipated_share", "ml_uptime", "improvement_percent"})
            QVERIFY2(figures.value(QLatin1String(key)).isNull(), key);
        const QJsonObject meets = figures.value(QStringLiteral("meets_target")).toObject();
        QVERIFY(!meets.isEmpty());
        for (auto it = meets.begin(); it != meets.end(); ++it)
            QVERIFY2(it.value().isNull(), qPrintable(it.key())); // no figure, no verdict
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(),
                 "MLDECKCTL must point at the built mldeckctl");
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("empty"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test_empty_values"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_conn = std::move(c).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_dep = test::uniqueName(QStringLiteral("empty"));
        const auto made =
            DeploymentStore(*m_conn).ensure(m_dep, QStringLiteral("nothing logged"), RideDelayGenerator::schema());
        QVERIFY2(made.ok(), qPrintable(made.errorMessage()));
    }
    void cleanupTestCase()
    {
        m_conn.reset(); // before the database is dropped
        m_db.reset();
    }

    // No feedback has no satisfaction (it was printed as 1) and no outcomes no MAE (it was printed as 0).
    void retrainCheck()
    {
        const QStringList args{QStringLiteral("retrain"), QStringLiteral("check")};
        Run r = ctl(args + QStringList{QStringLiteral("--json")});
        QCOMPARE(r.code, 1); // not due
        const QJsonObject check = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(check.value(QStringLiteral("due")).toBool(true), false);
        const QJsonObject satisfaction = condition(check, QStringLiteral("satisfaction"));
        QVERIFY(satisfaction.value(QStringLiteral("value")).isNull());
        QCOMPARE(satisfaction.value(QStringLiteral("threshold")).toDouble(), 0.70);
        QCOMPARE(satisfaction.value(QStringLiteral("met")).toBool(true), false);
        const QJsonObject mae = condition(check, QStringLiteral("mae_above_target"));
        QVERIFY(mae.value(QStringLiteral("value")).isNull());
        QCOMPARE(mae.value(QStringLiteral("met")).toBool(true), false);
        // A count of nothing is a true 0.
        QCOMPARE(condition(check, QStringLiteral("feedback_count")).value(QStringLiteral("value")).toDouble(-1), 0.0);

        r = ctl(args);
        QCOMPARE(r.code, 1);
        const QString text = QString::fromUtf8(r.out);
        QVERIFY2(text.contains(QLatin1String("Satisfaction (positive share): no data (threshold < 0.7)")),
                 qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("MAE of the window above target: no data (threshold > 2.5)")),
                 qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("satisfaction: no data (no feedback)")), qPrintable(text));
    }

    // The KPIs of a deployment that logged nothing, over the default range and over a custom window.
    void kpi_data()
    {
        QTest::addColumn<QStringList>("range");
        QTest::newRow("last hour") << QStringList{QStringLiteral("--range"), QStringLiteral("1h")};
        QTest::newRow("custom window") << QStringList{QStringLiteral("--from"), QStringLiteral("2024-05-01T00:00:00Z"),
                                                      QStringLiteral("--to"), QStringLiteral("2024-05-02T00:00:00Z")};
    }
    void kpi()
    {
        QFETCH(QStringList, range);
        Run r = ctl(QStringList{QStringLiteral("kpi"), QStringLiteral("--json")} + range);
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        verifyFiguresNull(o.value(QStringLiteral("overall")).toObject());
        QVERIFY(o.value(QStringLiteral("overall")).toObject().value(QStringLiteral("satisfaction")).isNull());
        verifyFiguresNull(o.value(QStringLiteral("previous")).toObject());
        const QJsonObject byPath = o.value(QStringLiteral("by_path")).toObject();
        for (const char *path : {"ml", "heuristic", "fallback"})
            verifyFiguresNull(byPath.value(QLatin1String(path)).toObject());

        r = ctl(QStringList{QStringLiteral("kpi")} + range);
        QVERIFY2(r.code == 0, r.err.constData());
        const QString text = QString::fromUtf8(r.out);
        for (const QString &line : text.split(QLatin1Char('\n'))) {
            if (line.startsWith(QLatin1String("MAE (min)")) || line.startsWith(QLatin1String("Satisfaction")) ||
                line.startsWith(QLatin1String("Failure rate")) || line.startsWith(QLatin1String("ML uptime")))
                QVERIFY2(line.count(QLatin1String("no data")) == 4, qPrintable(line)); // all, ml, heuristic, fallback
        }
        QVERIFY2(text.contains(QLatin1String("Satisfaction")), qPrintable(text));
    }

    // No dependency reported: nothing to be up, so not "all up".
    void depsNoneReported()
    {
        const Run r = ctl({QStringLiteral("deps"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY(o.value(QStringLiteral("dependencies")).toArray().isEmpty());
        QVERIFY(o.value(QStringLiteral("all_up")).isNull());
    }

    // The report of an empty day: the CSV's figures over nothing are empty fields, its counts 0.
    void reportCsv()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("empty.csv"));
        const Run r = ctl({QStringLiteral("report"), QStringLiteral("--end"), QStringLiteral("2024-05-02"),
                           QStringLiteral("--out"), out});
        QVERIFY2(r.code == 0, r.err.constData());
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        const QList<QByteArray> header = lines.value(0).trimmed().split(',');
        QList<QByteArray> all;
        for (const QByteArray &line : lines)
            if (line.startsWith("summary,all,"))
                all = line.trimmed().split(',');
        QCOMPARE(all.size(), header.size());
        for (int i = 2; i < header.size(); ++i) {
            const QByteArray &column = header.at(i);
            if (column == "predictions" || column == "failed" || column == "labelled" || column == "throughput_per_s")
                QCOMPARE(all.at(i), QByteArray("0"));
            else
                QVERIFY2(all.at(i).isEmpty(), column.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestEmptyValues)
#include "test_empty_values.moc"
