#include "core/domain/FeatureSchema.h"
#include "core/logging/RepeatFilter.h"
#include "core/services/DriftCheck.h"
#include "core/services/DriftReference.h"
#include "core/services/guard/GuardRunner.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// Drift works from the first minute: a deployment with no reference set compares with its first N
// logged predictions; until N are logged the check and the guard say "reference filling: n of N"
// (the guard once), then drift runs. `drift reference set` chooses each kind, audited; bad input
// changes nothing.
class TestDriftReference final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    QTemporaryDir m_dir;
    const QDateTime m_t0 = QDateTime::currentDateTimeUtc().addSecs(-3600);
    const Actor m_actor{QStringLiteral("tester"), QStringLiteral("tester"), QStringLiteral("test-host")};

    std::unique_ptr<PgConnection> open()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        if (!conn) {
            MLDECK_FAIL_IN_HELPER(conn.errorMessage());
            return nullptr; // the caller checks it
        }
        return std::move(conn).value();
    }

    QString newDeployment(PgConnection &conn, const QString &prefix)
    {
        const QString dep = uniqueName(prefix);
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back(
            {QStringLiteral("c"), FeatureSpec::Kind::Categorical, {QStringLiteral("a"), QStringLiteral("b")}});
        if (auto id = DeploymentStore(conn).ensure(dep, {}, schema); !id)
            MLDECK_FAIL_IN_HELPER(id.errorMessage());
        return dep;
    }

    // n rows from `from`, 10 ms apart: x ~ U(shift, shift + 1), c mostly "a".
    void log(PgConnection &conn, const QString &dep, const QDateTime &from, int n, double shift = 0)
    {
        const Status s = test::exec(
            conn, QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, path, deployment, request_key, "
                                 "feature_schema, numeric, categorical) "
                                 "SELECT '%1'::timestamptz + (i * 10) * interval '1 millisecond', 1.0, 'ml', '%2', "
                                 "'k' || i || '-' || extract(epoch FROM '%1'::timestamptz), 1, "
                                 "ARRAY[%3 + random()]::real[], ARRAY[CASE WHEN random() < 0.8 THEN 'a' ELSE 'b' END] "
                                 "FROM generate_series(0, %4) AS i")
                      .arg(from.toString(Qt::ISODateWithMs), dep)
                      .arg(shift)
                      .arg(n - 1));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    // The first column of the first row as text (empty when there is none).
    QString text(PgConnection &conn, const QString &sql)
    {
        auto rows = test::query(conn, sql);
        if (!rows) {
            MLDECK_FAIL_IN_HELPER(rows.errorMessage());
            return {};
        }
        return rows->isEmpty() || rows->first().isEmpty() ? QString() : rows->first().first();
    }
    qint64 scalar(PgConnection &conn, const QString &sql) { return text(conn, sql).toLongLong(); }

    qint64 auditRows(PgConnection &conn, const QString &dep)
    {
        return scalar(conn, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = '%1' AND action "
                                           "LIKE 'drift.%'")
                                .arg(dep));
    }

    QString storedSettings(PgConnection &conn, const QString &dep)
    {
        return text(conn, QStringLiteral("SELECT coalesce(settings -> 'drift', '{}')::text FROM mldeck.deployments "
                                         "WHERE name = '%1'")
                              .arg(dep));
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
        QVERIFY(m_dir.isValid());
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("driftref"));
        auto conn = open();
        QVERIFY(conn);
        QVERIFY(Migrator::migrate(*conn).ok());
    }

    void defaultReferenceFillsThenDriftRuns()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = newDeployment(*conn, QStringLiteral("fill"));

        // Nothing set: the default, the first 5,000 predictions, nothing logged yet.
        const auto fresh = readDriftReference(*conn, dep);
        QVERIFY2(fresh.ok(), qPrintable(fresh.errorMessage()));
        QVERIFY(fresh->stored.isEmpty());
        QCOMPARE(fresh->spec.toString(), drift::defaultReferenceSpec());
        QVERIFY(fresh->filling);
        QCOMPARE(fresh->filling->rows, 0);
        QCOMPARE(fresh->filling->needed, 5000);
        DriftCheckRequest check;
        check.deployment = dep;
        const auto empty = runDriftCheck(*conn, check);
        QVERIFY2(empty.ok(), qPrintable(empty.errorMessage()));
        QVERIFY(empty->filling);

        // A smaller N and a 2-minute window, through the audited store.
        QVERIFY(DriftData(*conn)
                    .setDriftSettings(dep,
                                      {{QStringLiteral("window"), QStringLiteral("2m")},
                                       {QStringLiteral("reference"), QStringLiteral("first_rows:300")}},
                                      m_actor)
                    .ok());
        log(*conn, dep, m_t0, 200);

        // The guard: three rounds while the reference fills (n changes in between) log it once.
        GuardRunnerOptions options;
        options.pg = m_db->endpoint();
        options.deployments = {dep};
        options.scope = uniqueName(QStringLiteral("scope"));
        std::vector<std::unique_ptr<GuardJob>> jobs;
        jobs.push_back(makeDriftGuardJob());
        GuardRunner runner(options, std::move(jobs));
        RepeatFilter repeats;
        QStringList logged;
        auto round = [&](qint64 atMs) {
            const GuardRunner::Round r = runner.runRound();
            QVERIFY2(r.errors.isEmpty(), qPrintable(r.errors.join(u'\n')));
            QList<LogEntry> entries;
            for (const QString &line : r.lines)
                entries << LogEntry{LogSeverity::Info, line};
            for (const LogEntry &e : repeats.pass(entries, atMs))
                logged << e.text;
        };
        round(0);
        log(*conn, dep, m_t0.addSecs(60), 50);
        round(2000);
        round(4000);
        const QStringList filling = logged.filter(QStringLiteral("reference filling: "));
        QCOMPARE(filling.size(), 1);
        QVERIFY2(filling.first().contains(QStringLiteral("reference filling: 200 of 300")),
                 qPrintable(filling.first()));
        QVERIFY(logged.filter(QStringLiteral("is empty")).isEmpty());
        QCOMPARE(
            scalar(*conn, QStringLiteral("SELECT count(*) FROM mldeck.drift_scores WHERE deployment = '%1'").arg(dep)),
            0);

        // The check reads the current count.
        const auto still = runDriftCheck(*conn, check);
        QVERIFY(still.ok());
        QVERIFY(still->filling);
        QCOMPARE(still->filling->rows, 250);
        QCOMPARE(still->filling->needed, 300);

        // N rows logged (and a current window): drift runs and the guard writes scores.
        log(*conn, dep, QDateTime::currentDateTimeUtc().addSecs(-60), 400);
        round(6000);
        QVERIFY2(
            scalar(*conn, QStringLiteral("SELECT count(*) FROM mldeck.drift_scores WHERE deployment = '%1'").arg(dep)) >
                0,
            qPrintable(logged.join(u'\n')));
        const auto full = runDriftCheck(*conn, check);
        QVERIFY2(full.ok(), qPrintable(full.errorMessage()));
        QVERIFY(!full->filling);
        QCOMPARE(full->referenceDescription, QStringLiteral("the first 300 logged predictions"));
        QVERIFY(full->result.considered > 0);
        QCOMPARE(logged.filter(QStringLiteral("reference filling: ")).filter(QStringLiteral("now stopped")).size(), 1);

        // A setting saved while the guard runs applies at its next round: a larger N fills again, said once more.
        QVERIFY(DriftData(*conn)
                    .setDriftSettings(dep,
                                      {{QStringLiteral("window"), QStringLiteral("2m")},
                                       {QStringLiteral("reference"), QStringLiteral("first_rows:1000")}},
                                      m_actor)
                    .ok());
        round(8000);
        QVERIFY2(logged.last().contains(QStringLiteral("reference filling: 650 of 1000")), qPrintable(logged.last()));
    }

    void referenceSetEachKindAudited()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = newDeployment(*conn, QStringLiteral("kinds"));
        log(*conn, dep, m_t0, 300);
        qint64 audits = auditRows(*conn, dep);
        QCOMPARE(audits, 0);
        auto expectSet = [&](const QString &spec, const QString &stored) {
            const auto s = setDriftReference(*conn, dep, spec, m_actor);
            QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
            QCOMPARE(s->stored, stored);
            QCOMPARE(auditRows(*conn, dep), ++audits);
        };
        expectSet(QStringLiteral("first_rows:1000"), QStringLiteral("first_rows:1000"));
        const QString period =
            QStringLiteral("period:%1/%2").arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(60).toString(Qt::ISODate));
        expectSet(period, period);
        // The newest audit row holds before and after.
        QCOMPARE(text(*conn, QStringLiteral("SELECT (before ->> 'reference') || ' -> ' || (after ->> 'reference') "
                                            "FROM mldeck.audit_log WHERE deployment = '%1' AND action = "
                                            "'drift.reference' ORDER BY id DESC LIMIT 1")
                                 .arg(dep)),
                 QStringLiteral("first_rows:1000 -> ") + period);
        QVERIFY(DriftData(*conn)
                    .createSnapshot(dep, QStringLiteral("base"), FeatureSchema{}, m_t0.toMSecsSinceEpoch() * 1000,
                                    m_t0.addSecs(60).toMSecsSinceEpoch() * 1000, 1000000)
                    .ok());
        expectSet(QStringLiteral("snapshot:base"), QStringLiteral("snapshot:base"));
        expectSet(QStringLiteral("auto"), QStringLiteral("auto")); // the existing forms keep working

        // Refused, nothing changed: a bad text, a missing snapshot, no champion model.
        const QString before = storedSettings(*conn, dep);
        for (const QString &bad :
             {QStringLiteral("first_rows:5"), QStringLiteral("first_rows:many"), QStringLiteral("snapshot:missing"),
              QStringLiteral("model"), QStringLiteral("later")}) {
            const auto r = setDriftReference(*conn, dep, bad, m_actor);
            QVERIFY2(!r.ok(), qPrintable(bad));
            QCOMPARE(storedSettings(*conn, dep), before);
            QCOMPARE(auditRows(*conn, dep), audits);
        }

        // The training data from a CSV file: a snapshot and the reference to it, one audit row.
        const QString csv = m_dir.filePath(QStringLiteral("train.csv"));
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x,c,predicted,actual,unused\n");
            for (int i = 0; i < 500; ++i)
                f.write(QStringLiteral("%1,%2,1.5,2,z\n").arg(0.002 * i).arg(i % 5 ? u'a' : u'b').toUtf8());
        }
        const auto fromCsv = setDriftReferenceFromCsv(*conn, dep, csv, QStringLiteral("training"), m_actor);
        QVERIFY2(fromCsv.ok(), qPrintable(fromCsv.errorMessage()));
        QCOMPARE(fromCsv->stored, QStringLiteral("snapshot:training"));
        QCOMPARE(auditRows(*conn, dep), ++audits);
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT row_count FROM mldeck.drift_snapshots WHERE deployment = '%1' "
                                              "AND name = 'training'")
                                   .arg(dep)),
                 500);
        DriftCheckRequest check;
        check.deployment = dep;
        check.now = m_t0.addSecs(120);
        const auto report = runDriftCheck(*conn, check);
        QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
        QCOMPARE(report->referenceDescription, QStringLiteral("snapshot training"));
        QCOMPARE(report->result.features.front().referenceCount, 500);

        // A file that lacks a feature changes nothing.
        const QString bad = m_dir.filePath(QStringLiteral("bad.csv"));
        {
            QFile f(bad);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x,predicted\n1,2\n");
        }
        const QString kept = storedSettings(*conn, dep);
        const auto refused = setDriftReferenceFromCsv(*conn, dep, bad, QStringLiteral("other"), m_actor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("\"c\"")), qPrintable(refused.errorMessage()));
        QCOMPARE(storedSettings(*conn, dep), kept);
        QCOMPARE(auditRows(*conn, dep), audits);
    }

    void invalidSettingsRefusedUnchanged()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = newDeployment(*conn, QStringLiteral("bad"));
        QVERIFY(DriftData(*conn).setDriftSettings(dep, {{QStringLiteral("k"), 4}}, m_actor).ok());
        const QString before = storedSettings(*conn, dep);
        for (const QJsonObject &bad :
             {QJsonObject{{QStringLiteral("k"), 0}}, QJsonObject{{QStringLiteral("p_value"), 1.5}},
              QJsonObject{{QStringLiteral("distance"), -1}}, QJsonObject{{QStringLiteral("min_samples"), 0}},
              QJsonObject{{QStringLiteral("window"), QStringLiteral("soon")}},
              QJsonObject{{QStringLiteral("thresholds"), QJsonObject{{QStringLiteral("x"), QStringLiteral("high")}}}},
              QJsonObject{{QStringLiteral("reference"), QStringLiteral("first_rows:0")}}}) {
            const Status s = DriftData(*conn).setDriftSettings(dep, bad, m_actor);
            QVERIFY2(!s.ok(), QJsonDocument(bad).toJson().constData());
            QCOMPARE(storedSettings(*conn, dep), before);
        }
        QCOMPARE(auditRows(*conn, dep), 1);
    }

    // Drift settings and references are the scientist's; the database refuses anyone else.
    void onlyTheScientistChangesThem()
    {
        auto admin = open();
        QVERIFY(admin);
        const QString dep = newDeployment(*admin, QStringLiteral("roles"));
        const QString csv = m_dir.filePath(QStringLiteral("roles.csv"));
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x,c\n");
            for (int i = 0; i < 200; ++i)
                f.write(QStringLiteral("%1,a\n").arg(i).toUtf8());
        }
        const LoginRole scientist(QStringLiteral("mldeck_scientist"));
        auto conn = PgConnection::open(scientist.endpoint(m_db->endpoint()), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        for (int round = 0; round < 2; ++round) { // the second replaces the snapshot
            const auto r = setDriftReferenceFromCsv(**conn, dep, csv, QStringLiteral("training"), m_actor);
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        }
        QCOMPARE(scalar(*admin, QStringLiteral("SELECT count(*) FROM mldeck.drift_snapshot_rows r JOIN "
                                               "mldeck.drift_snapshots s ON s.id = r.snapshot_id WHERE "
                                               "s.deployment = '%1'")
                                    .arg(dep)),
                 200);
        QVERIFY(setDriftReference(**conn, dep, QStringLiteral("first_rows:100"), m_actor).ok());
        const qint64 audits = auditRows(*admin, dep);
        QCOMPARE(audits, 3);
        const QString before = storedSettings(*admin, dep);
        for (const char *role : {"mldeck_operator", "mldeck_viewer"}) {
            const LoginRole other{QLatin1String(role)};
            auto c = PgConnection::open(other.endpoint(m_db->endpoint()), QStringLiteral("test"));
            QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
            QVERIFY(!DriftData(**c).setDriftSettings(dep, {{QStringLiteral("k"), 5}}, m_actor).ok());
            QVERIFY(!setDriftReference(**c, dep, QStringLiteral("first_rows:200"), m_actor).ok());
            QVERIFY(!setDriftReferenceFromCsv(**c, dep, csv, QStringLiteral("other"), m_actor).ok());
            QCOMPARE(storedSettings(*admin, dep), before);
            QCOMPARE(auditRows(*admin, dep), audits);
        }
    }

    void cli()
    {
        auto conn = open();
        QVERIFY(conn);
        const QString dep = newDeployment(*conn, QStringLiteral("cli"));
        log(*conn, dep, m_t0, 150);
        const QStringList d{QStringLiteral("--deployment"), dep};
        Run r = ctl(QStringList{QStringLiteral("drift"), QStringLiteral("check")} + d);
        QCOMPARE(r.code, 3); // filling: neither drift (1) nor an error (2)
        QVERIFY2(r.out.contains("reference filling: 150 of 5000"), r.out.constData());

        r = ctl(QStringList{QStringLiteral("drift"), QStringLiteral("reference"), QStringLiteral("set"),
                            QStringLiteral("--first-rows"), QStringLiteral("120"), QStringLiteral("--json")} +
                d);
        QCOMPARE(r.code, 0);
        const QJsonObject shown = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(shown.value(QStringLiteral("reference")).toString(), QStringLiteral("first_rows:120"));
        QVERIFY(shown.value(QStringLiteral("filling")).isNull());
        QCOMPARE(auditRows(*conn, dep), 1);

        const QString before = storedSettings(*conn, dep);
        for (const QStringList &bad :
             {QStringList{QStringLiteral("--first-rows"), QStringLiteral("5")},
              QStringList{QStringLiteral("--model"), QStringLiteral("--snapshot"), QStringLiteral("x")},
              QStringList{QStringLiteral("--snapshot"), QStringLiteral("missing")}, QStringList{}}) {
            r = ctl(QStringList{QStringLiteral("drift"), QStringLiteral("reference"), QStringLiteral("set")} + bad + d);
            QCOMPARE(r.code, 2);
            QVERIFY(!r.err.isEmpty());
            QCOMPARE(storedSettings(*conn, dep), before);
        }
        QCOMPARE(auditRows(*conn, dep), 1);
        r = ctl(QStringList{QStringLiteral("drift"), QStringLiteral("reference"), QStringLiteral("show")} + d);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("first_rows:120"), r.out.constData());
        r = ctl(QStringList{QStringLiteral("drift"), QStringLiteral("reference"), QStringLiteral("show"),
                            QStringLiteral("--deployment"), QStringLiteral("nosuchdeployment")});
        QCOMPARE(r.code, 2);
    }
};

QTEST_GUILESS_MAIN(TestDriftReference)
#include "test_drift_reference.moc"
